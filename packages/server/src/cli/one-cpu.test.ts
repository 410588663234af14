import { posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cgroupCpuQuota, cpuLimit, ONE_CPU_FLAGS, oneCpuHint, type ReadText } from './one-cpu.js';

const ONE: Parameters<typeof oneCpuHint>[0] = { cpus: 1, by: 'affinity' };

describe('oneCpuHint', () => {
  it('names both flags when the process has one CPU and Node was started without them', () => {
    const hint = oneCpuHint(ONE, [], '');
    expect(hint).toContain(
      'this process has one CPU: start Node with --single-threaded --max-semi-space-size=4 for',
    );
    expect(hint).toContain('On one CPU');
  });

  it('says nothing with more than one CPU, flags or not', () => {
    expect(oneCpuHint({ cpus: 2, by: 'affinity' }, [], '')).toBeUndefined();
    expect(oneCpuHint({ cpus: 64, by: 'affinity' }, ['--inspect'], '')).toBeUndefined();
    expect(oneCpuHint({ cpus: 1.5, by: 'cgroup quota' }, [], '')).toBeUndefined();
  });

  it('names a cgroup quota of one CPU or less as the reason', () => {
    expect(oneCpuHint({ cpus: 1, by: 'cgroup quota' }, [], '')).toContain(
      "this process may use 1 CPU (its cgroup's CPU quota): start Node with --single-threaded",
    );
    expect(oneCpuHint({ cpus: 1 / 3, by: 'cgroup quota' }, [], '')).toContain('may use 0.33 CPU');
  });

  it('says nothing once both flags are given, in any of the spellings V8 takes', () => {
    expect(oneCpuHint(ONE, [...ONE_CPU_FLAGS], '')).toBeUndefined();
    expect(oneCpuHint(ONE, ['--single_threaded', '--max_semi_space_size=8'], '')).toBeUndefined();
    expect(oneCpuHint(ONE, ['--single-threaded', '--max-semi-space-size', '2'], '')).toBeUndefined();
  });

  it('counts a semi-space size from NODE_OPTIONS, which cannot carry --single-threaded', () => {
    const hint = oneCpuHint(ONE, [], '--max-semi-space-size=2 --enable-source-maps');
    expect(hint).toContain('start Node with --single-threaded for');
    expect(hint).not.toContain('with --single-threaded --max-semi-space-size');
    expect(oneCpuHint(ONE, ['--single-threaded'], ' --max-semi-space-size=2 ')).toBeUndefined();
  });

  it('names only what is missing', () => {
    expect(oneCpuHint(ONE, ['--single-threaded'], '')).toContain(
      'start Node with --max-semi-space-size=4 for',
    );
  });
});

describe('cpuLimit', () => {
  it('takes the quota when it is tighter than the affinity, else the affinity', () => {
    expect(cpuLimit(4, 1)).toEqual({ cpus: 1, by: 'cgroup quota' });
    expect(cpuLimit(2, 0.5)).toEqual({ cpus: 0.5, by: 'cgroup quota' });
    expect(cpuLimit(1, 2)).toEqual({ cpus: 1, by: 'affinity' });
    expect(cpuLimit(8, undefined)).toEqual({ cpus: 8, by: 'affinity' });
  });
});

/** A file system of the given files only, as the kernel would show them (`..` resolved, as open() does). */
const files =
  (tree: Record<string, string>): ReadText =>
  (path) =>
    tree[posix.normalize(path)];

describe('cgroupCpuQuota', () => {
  it('reads cgroup v2 cpu.max on the process path and its parents, and keeps the lowest', () => {
    const read = files({
      '/proc/self/cgroup': '0::/system.slice/app.service\n',
      '/sys/fs/cgroup/system.slice/app.service/cpu.max': 'max 100000\n',
      '/sys/fs/cgroup/system.slice/cpu.max': '150000 100000\n',
      '/sys/fs/cgroup/cpu.max': 'max 100000\n',
    });
    expect(cgroupCpuQuota(read)).toBe(1.5);
    const tighter = files({
      '/proc/self/cgroup': '0::/system.slice/app.service\n',
      '/sys/fs/cgroup/system.slice/app.service/cpu.max': '50000 100000\n',
      '/sys/fs/cgroup/system.slice/cpu.max': '150000 100000\n',
    });
    expect(cgroupCpuQuota(tighter)).toBe(0.5);
  });

  it('reads cgroup v1 cfs_quota_us over cfs_period_us, on the cpu or cpu,cpuacct mount', () => {
    const read = files({
      '/proc/self/cgroup': '12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n',
      '/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '200000\n',
      '/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000\n',
      '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '-1\n',
      '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n',
    });
    expect(cgroupCpuQuota(read)).toBe(2);
  });

  it("finds a container's own quota at the mount's root when the host's path is not under it", () => {
    // docker without a cgroup namespace: /proc/self/cgroup names the host's path, the container sees its own dir as the root.
    const read = files({
      '/proc/self/cgroup': '1:cpu:/docker/0123abcd\n0::/\n',
      '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '100000\n',
      '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n',
    });
    expect(cgroupCpuQuota(read)).toBe(1);
  });

  it('never reads above the mount for a cgroup outside the namespace (/../…)', () => {
    const read = files({
      '/proc/self/cgroup': '0::/../../elsewhere\n',
      '/sys/fs/cgroup/cpu.max': '200000 100000\n',
      '/sys/cpu.max': '50000 100000\n',
      '/cpu.max': '50000 100000\n',
    });
    expect(cgroupCpuQuota(read)).toBe(2);
  });

  it('is undefined without a quota, with unreadable files, or off Linux', () => {
    expect(
      cgroupCpuQuota(
        files({
          '/proc/self/cgroup': '0::/user.slice\n',
          '/sys/fs/cgroup/user.slice/cpu.max': 'max 100000\n',
          '/sys/fs/cgroup/cpu.max': 'max 100000\n',
        }),
      ),
    ).toBeUndefined();
    expect(
      cgroupCpuQuota(
        files({
          '/proc/self/cgroup': '1:cpu:/\n',
          '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1\n',
          '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n',
        }),
      ),
    ).toBeUndefined();
    expect(cgroupCpuQuota(files({ '/proc/self/cgroup': 'garbage\n\n3:cpuset:/\n' }))).toBeUndefined();
    expect(cgroupCpuQuota(files({}))).toBeUndefined();
    // A quota without a usable period is no quota.
    expect(
      cgroupCpuQuota(files({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/cpu.max': '50000\n' })),
    ).toBeUndefined();
  });
});
