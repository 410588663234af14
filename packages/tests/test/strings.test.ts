import type { Redis } from '@restash/core';
import { prefix, useStack } from '@restash/test-harness';
import { beforeAll, describe, expect, it } from 'vitest';

const stack = useStack();
const p = prefix();
let redis: Redis;
beforeAll(() => {
  redis = stack.client();
});

describe('strings', () => {
  it('stores objects as JSON and returns them parsed, with SET options applied', async () => {
    expect(await redis.set(`${p}obj`, { a: [1, 'x'] })).toBe('OK');
    expect(await redis.get(`${p}obj`)).toEqual({ a: [1, 'x'] });
    expect(await redis.set(`${p}obj`, 'new', { nx: true })).toBeNull();
    expect(await redis.set(`${p}obj`, 'new', { xx: true, get: true, px: 60_000 })).toEqual({ a: [1, 'x'] });
    const pttl = await redis.pttl(`${p}obj`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(60_000);
    expect(await redis.set(`${p}obj`, 'kept', { keepTtl: true })).toBe('OK');
    expect(await redis.ttl(`${p}obj`)).toBeGreaterThan(0);
    expect(await redis.get(`${p}missing`)).toBeNull();
  });

  it('counts with INCR/DECR and floats with INCRBYFLOAT', async () => {
    expect(await redis.incr(`${p}n`)).toBe(1);
    expect(await redis.incrby(`${p}n`, 10)).toBe(11);
    expect(await redis.decr(`${p}n`)).toBe(10);
    expect(await redis.decrby(`${p}n`, 4)).toBe(6);
    expect(await redis.incrbyfloat(`${p}f`, 1.25)).toBe(1.25);
    expect(await redis.incrbyfloat(`${p}f`, -0.25)).toBe(1);
  });

  it('reads and writes ranges, appends and measures strings', async () => {
    expect(await redis.set(`${p}s`, 'Hello')).toBe('OK');
    expect(await redis.append(`${p}s`, ' World')).toBe(11);
    expect(await redis.getrange(`${p}s`, 0, 4)).toBe('Hello');
    expect(await redis.setrange(`${p}s`, 6, 'Redis')).toBe(11);
    expect(await redis.strlen(`${p}s`)).toBe(11);
    expect(await redis.getset(`${p}s`, 'x')).toBe('Hello Redis');
    expect(await redis.getdel(`${p}s`)).toBe('x');
    expect(await redis.exists(`${p}s`)).toBe(0);
    expect(await redis.set(`${p}a`, 'ohmytext')).toBe('OK');
    expect(await redis.set(`${p}b`, 'mynewtext')).toBe('OK');
    expect(await redis.lcs(`${p}a`, `${p}b`)).toBe('mytext');
    expect(await redis.lcs(`${p}a`, `${p}b`, { len: true })).toBe(6);
    // The example of the Redis documentation: 'ohmytext' and 'mynewtext'.
    expect(await redis.lcs(`${p}a`, `${p}b`, { idx: true, minMatchLen: 4, withMatchLen: true })).toEqual({
      matches: [{ a: [4, 7], b: [5, 8], len: 4 }],
      len: 6,
    });
  });

  it('sets with expiries, many keys at once, and GETEX', async () => {
    expect(await redis.setex(`${p}e`, 100, 'v')).toBe('OK');
    expect(await redis.psetex(`${p}pe`, 100_000, 'v')).toBe('OK');
    expect(await redis.setnx(`${p}e`, 'other')).toBe(0);
    expect(await redis.getex(`${p}e`, { persist: true })).toBe('v');
    expect(await redis.ttl(`${p}e`)).toBe(-1);
    expect(await redis.mset({ [`${p}m1`]: 1, [`${p}m2`]: { b: true } })).toBe('OK');
    expect(await redis.mget(`${p}m1`, `${p}m2`, `${p}m3`)).toEqual([1, { b: true }, null]);
    expect(await redis.msetnx({ [`${p}m1`]: 2, [`${p}m4`]: 2 })).toBe(0);
  });

  it('keeps exact bytes with Uint8Array values and getBytes', async () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);
    expect(await redis.set(`${p}bin`, bytes)).toBe('OK');
    expect(await redis.getBytes(`${p}bin`)).toEqual(bytes);
    expect(await redis.strlen(`${p}bin`)).toBe(256);
    expect(await redis.getBytes(`${p}missing`)).toBeNull();
    const big = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
    expect(await redis.set(`${p}big`, big, { ex: 60 })).toBe('OK');
    expect(await redis.getBytes(`${p}big`)).toEqual(big);
  });
});

describe('bitmaps', () => {
  it('sets, counts and finds bits, and combines bitmaps', async () => {
    expect(await redis.setbit(`${p}bits`, 7, 1)).toBe(0);
    expect(await redis.getbit(`${p}bits`, 7)).toBe(1);
    expect(await redis.bitcount(`${p}bits`)).toBe(1);
    expect(await redis.bitcount(`${p}bits`, 0, 7, 'BIT')).toBe(1);
    expect(await redis.bitpos(`${p}bits`, 1)).toBe(7);
    expect(await redis.setbit(`${p}bits2`, 0, 1)).toBe(0);
    expect(await redis.bitop('or', `${p}or`, `${p}bits`, `${p}bits2`)).toBe(1);
    expect(await redis.getBytes(`${p}or`)).toEqual(new Uint8Array([0b10000001]));
  });

  it('runs BITFIELD operations', async () => {
    expect(
      await redis.bitfield(`${p}bf`, [
        { set: ['u8', 0, 200] },
        { overflow: 'SAT' },
        { incrby: ['u8', 0, 100] },
        { get: ['u8', 0] },
      ]),
    ).toEqual([0, 255, 255]);
    expect(await redis.bitfieldRo(`${p}bf`, [['u4', 0]])).toEqual([15]);
  });
});

describe('hyperloglog', () => {
  it('estimates distinct elements and merges', async () => {
    expect(await redis.pfadd(`${p}hll`, 'a', 'b', 'c')).toBe(1);
    expect(await redis.pfadd(`${p}hll2`, 'c', 'd')).toBe(1);
    expect(await redis.pfcount(`${p}hll`)).toBe(3);
    expect(await redis.pfcount(`${p}hll`, `${p}hll2`)).toBe(4);
    expect(await redis.pfmerge(`${p}all`, `${p}hll`, `${p}hll2`)).toBe('OK');
    expect(await redis.pfcount(`${p}all`)).toBe(4);
  });
});
