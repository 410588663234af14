import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * The Node flags that keep the tail latency down when the server has one CPU.
 * V8's background threads (parallel scavenges, concurrent marking, TurboFan)
 * can only run by preempting the event loop there, and the default young
 * generation (semi-spaces up to 16 MB) makes each scavenge pause 1–2 ms; on one
 * core both land in every request in flight. With these, GC and compilation run
 * on the main thread in short steps and a scavenge takes ~0.25 ms (the server
 * README, "On one CPU"; `bench/README.md`, "Tail latency on one CPU").
 */
export const ONE_CPU_FLAGS = ['--single-threaded', '--max-semi-space-size=4'] as const;

/** How much CPU the process may use, and what sets that. */
export interface CpuLimit {
  /** In CPUs: whole from the affinity, possibly a fraction from a quota (0.5 for `docker run --cpus=0.5`). */
  cpus: number;
  /** The CPU affinity (`taskset`, `--cpuset-cpus`, the machine's CPUs) or a cgroup's CFS quota (`--cpus`). */
  by: 'affinity' | 'cgroup quota';
}

/** The tighter of the CPU affinity and the cgroups' CPU quota. */
export function cpuLimit(affinity: number = availableParallelism(), quota = cgroupCpuQuota()): CpuLimit {
  return quota !== undefined && quota < affinity
    ? { cpus: quota, by: 'cgroup quota' }
    : { cpus: affinity, by: 'affinity' };
}

/** A file's text, or undefined when it cannot be read. */
export type ReadText = (path: string) => string | undefined;

const readText: ReadText = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * The CPU time the process's cgroups allow it, in CPUs (quota ÷ period): the
 * lowest quota on its cgroup's path, up to the root of the hierarchy. That is
 * what `docker run --cpus`, Kubernetes' CPU limits and systemd's `CPUQuota=`
 * set, and what Node 20's `os.availableParallelism()` does not see (it reads
 * the affinity only). Undefined without a quota, and off Linux.
 *
 * cgroup v2 keeps it in `cpu.max` (`max 100000`, or `50000 100000`), v1 in
 * `cpu.cfs_quota_us` (-1: none) over `cpu.cfs_period_us`. Inside a container
 * without a cgroup namespace, `/proc/self/cgroup` names the host's path, which
 * is not under the container's mount: walking up then reaches the mount's root,
 * the container's own cgroup.
 */
export function cgroupCpuQuota(read: ReadText = readText, root = '/sys/fs/cgroup'): number | undefined {
  const self = read('/proc/self/cgroup');
  if (self === undefined) return undefined;
  let lowest: number | undefined;
  const take = (cpus: number | undefined) => {
    if (cpus !== undefined && (lowest === undefined || cpus < lowest)) lowest = cpus;
  };
  for (const line of self.split('\n')) {
    // hierarchy-id:controllers:path — v2's line has no controllers ("0::/path").
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (controllers === '') {
      for (const dir of upFrom(root, path)) take(cpuMax(read(`${dir}/cpu.max`)));
    } else if (controllers.split(',').includes('cpu')) {
      // v1's cpu controller is mounted as cpu, or as cpu,cpuacct with cpu a link to it.
      for (const mount of new Set([`${root}/cpu`, `${root}/${controllers}`])) {
        for (const dir of upFrom(mount, path)) {
          take(ratio(read(`${dir}/cpu.cfs_quota_us`), read(`${dir}/cpu.cfs_period_us`)));
        }
      }
    }
  }
  return lowest;
}

/** `mount/a/b`, `mount/a`, `mount` for the path `/a/b`. */
function upFrom(mount: string, path: string): string[] {
  const parts = path.split('/').filter((part) => part !== '');
  // A cgroup outside the reader's cgroup namespace shows as /../…: only the mount is known to be ours.
  if (parts.includes('..')) return [mount];
  const dirs: string[] = [];
  for (let n = parts.length; n >= 0; n--) dirs.push([mount, ...parts.slice(0, n)].join('/'));
  return dirs;
}

function cpuMax(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const [quota, period] = text.trim().split(/\s+/);
  return ratio(quota, period);
}

function ratio(quota: string | undefined, period: string | undefined): number | undefined {
  const q = Number(quota);
  const p = Number(period);
  // "max" (v2) and -1 (v1) mean no quota.
  return q > 0 && p > 0 ? q / p : undefined;
}

/**
 * What to tell the operator at startup when the process may use one CPU or
 * less — by its affinity (`taskset`, `docker --cpuset-cpus`, a one-vCPU
 * machine) or a cgroup quota (`docker --cpus=1`) — and Node was started without
 * {@link ONE_CPU_FLAGS}; undefined otherwise. A `--max-semi-space-size` of the
 * operator's own choosing counts as chosen.
 */
export function oneCpuHint(
  limit: CpuLimit = cpuLimit(),
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
): string | undefined {
  if (limit.cpus > 1) return undefined;
  // V8 takes --max_semi_space_size as well as --max-semi-space-size, and the value after = or apart.
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].map((arg) =>
    arg.split('=')[0]!.replaceAll('_', '-'),
  );
  const has = (flag: string) => given.includes(flag);
  const missing = ONE_CPU_FLAGS.filter((flag) => !has(flag.split('=')[0]!));
  if (missing.length === 0) return undefined;
  const why =
    limit.by === 'affinity'
      ? 'this process has one CPU'
      : `this process may use ${Number(limit.cpus.toFixed(2))} CPU (its cgroup's CPU quota)`;
  return `${why}: start Node with ${missing.join(' ')} for a lower tail latency, e.g. node ${ONE_CPU_FLAGS.join(' ')} $(command -v restash-server) (see the server README, "On one CPU")`;
}
