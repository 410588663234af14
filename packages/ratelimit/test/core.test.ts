/** Tests on the real clock use day-long windows, so that a test never straddles a window edge (except within seconds of midnight UTC); window edges are tested with the client clock set. */
import { keys, useStack } from '@restash/test-harness';
import { describe, expect, it } from 'vitest';
import { type Algorithm, Ratelimit } from '../src/index.js';

const stack = useStack();

const algorithms: Array<[string, () => Algorithm]> = [
  ['fixedWindow', () => Ratelimit.fixedWindow(10, '1 d')],
  ['slidingWindow', () => Ratelimit.slidingWindow(10, '1 d')],
  ['tokenBucket', () => Ratelimit.tokenBucket(10, '1 d', 10)],
  ['cachedFixedWindow', () => Ratelimit.cachedFixedWindow(10, '1 d')],
];

describe.each(algorithms)('%s', (_name, algorithm) => {
  it('lets exactly the limit through out of 500 parallel callers over 50 connections', async () => {
    const prefix = keys(stack.client()).prefix;
    const limiters = Array.from(
      { length: 50 },
      () =>
        new Ratelimit({
          timeout: 0,
          redis: stack.client(),
          limiter: algorithm(),
          prefix,
          ephemeralCache: new Map(),
        }),
    );
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => limiters[i % 50]!.limit('user')));
    await Promise.all(results.map((r) => r.pending));
    expect(results.filter((r) => r.success)).toHaveLength(10);
    expect(results.every((r) => r.limit === 10 && r.reason !== 'timeout' && r.reason !== 'error')).toBe(true);
  });

  it('counts down remaining and agrees with getRemaining', async () => {
    const prefix = keys(stack.client()).prefix;
    const ratelimit = new Ratelimit({ timeout: 0, redis: stack.client(), limiter: algorithm(), prefix });
    for (let i = 1; i <= 3; i++) {
      const result = await ratelimit.limit('a');
      await result.pending;
      expect(result).toMatchObject({ success: true, limit: 10, remaining: 10 - i });
      expect(result.reset).toBeGreaterThan(Date.now());
      expect(await ratelimit.getRemaining('a')).toMatchObject({ remaining: 10 - i, limit: 10 });
    }
  });
});
