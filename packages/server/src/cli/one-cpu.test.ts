import { describe, expect, it } from 'vitest';
import { ONE_CPU_FLAGS, oneCpuHint } from './one-cpu.js';

describe('oneCpuHint', () => {
  it('names both flags when the process has one CPU and Node was started without them', () => {
    const hint = oneCpuHint(1, [], '');
    expect(hint).toContain('--single-threaded --max-semi-space-size=4 for a lower tail latency');
    expect(hint).toContain('On one CPU');
  });

  it('says nothing with more than one CPU, flags or not', () => {
    expect(oneCpuHint(2, [], '')).toBeUndefined();
    expect(oneCpuHint(64, ['--inspect'], '')).toBeUndefined();
  });

  it('says nothing once both flags are given, in any of the spellings V8 takes', () => {
    expect(oneCpuHint(1, [...ONE_CPU_FLAGS], '')).toBeUndefined();
    expect(oneCpuHint(1, ['--single_threaded', '--max_semi_space_size=8'], '')).toBeUndefined();
    expect(oneCpuHint(1, ['--single-threaded', '--max-semi-space-size', '2'], '')).toBeUndefined();
  });

  it('counts a semi-space size from NODE_OPTIONS, which cannot carry --single-threaded', () => {
    const hint = oneCpuHint(1, [], '--max-semi-space-size=2 --enable-source-maps');
    expect(hint).toContain('start Node with --single-threaded for');
    expect(hint).not.toContain('with --single-threaded --max-semi-space-size');
    expect(oneCpuHint(1, ['--single-threaded'], ' --max-semi-space-size=2 ')).toBeUndefined();
  });

  it('names only what is missing', () => {
    expect(oneCpuHint(1, ['--single-threaded'], '')).toContain('start Node with --max-semi-space-size=4 for');
  });
});
