import { RestashError } from '@restash/core';
import { prefix, useStack } from '@restash/test-harness';
import { describe, expect, it } from 'vitest';

const stack = useStack();

describe('argument checks against a real Redis', () => {
  it('refuse the @upstash/redis form of ZUNIONSTORE with a wrong count instead of emptying the destination', async () => {
    const redis = stack.client();
    const p = prefix();
    await redis.zadd(`${p}dest`, { score: 1, member: 'kept' });
    await redis.zadd(`${p}a`, { score: 1, member: 'x' });
    await redis.zadd(`${p}b`, { score: 2, member: 'y' });
    const loose = redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    // Plain JavaScript: numKeys 1 with two keys, and an options object where the keys go.
    for (const args of [
      [`${p}dest`, 1, [`${p}a`, `${p}b`]],
      [`${p}dest`, [`${p}a`], [`${p}b`]],
      [`${p}dest`, 1, `${p}a`, { weights: [Number.NaN] }],
    ]) {
      const error = await loose.zunionstore!.apply(redis, args).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RestashError);
      expect((error as RestashError).code).toBe('invalid-argument');
    }
    expect(await redis.zrange(`${p}dest`, 0, -1)).toEqual(['kept']);
    // The right count is accepted and does what @upstash/redis does.
    expect(await redis.zunionstore(`${p}dest`, 2, [`${p}a`, `${p}b`])).toBe(2);
    expect(await redis.zrange(`${p}dest`, 0, -1)).toEqual(['x', 'y']);
  });

  it('refuse options given positionally, as in SET key value EX 10, instead of dropping the expiry', async () => {
    const redis = stack.client();
    const key = `${prefix()}k`;
    const loose = redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    await expect(loose.set!.call(redis, key, 'v', 'EX', 10)).rejects.toMatchObject({
      code: 'invalid-argument',
    });
    expect(await redis.exists(key)).toBe(0);
  });
});
