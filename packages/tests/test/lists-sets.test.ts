import type { Redis } from '@restash/core';
import { prefix, useStack } from '@restash/test-harness';
import { beforeAll, describe, expect, it } from 'vitest';

const stack = useStack();
const p = prefix();
let redis: Redis;
beforeAll(() => {
  redis = stack.client();
});

describe('lists', () => {
  it('pushes, reads, pops and trims', async () => {
    expect(await redis.rpush(`${p}l`, 'a', 'b', { c: 1 })).toBe(3);
    expect(await redis.lpush(`${p}l`, 'z')).toBe(4);
    expect(await redis.lrange(`${p}l`, 0, -1)).toEqual(['z', 'a', 'b', { c: 1 }]);
    expect(await redis.llen(`${p}l`)).toBe(4);
    expect(await redis.lindex(`${p}l`, -1)).toEqual({ c: 1 });
    expect(await redis.linsert(`${p}l`, 'before', 'b', 'a2')).toBe(5);
    expect(await redis.lpos(`${p}l`, 'b')).toBe(3);
    expect(await redis.lpos(`${p}l`, 'a', { count: 0 })).toEqual([1]);
    expect(await redis.lset(`${p}l`, 0, 'y')).toBe('OK');
    expect(await redis.lrem(`${p}l`, 0, 'a2')).toBe(1);
    expect(await redis.ltrim(`${p}l`, 0, 2)).toBe('OK');
    expect(await redis.lpop(`${p}l`)).toBe('y');
    expect(await redis.rpop(`${p}l`, 5)).toEqual(['b', 'a']);
    expect(await redis.lpop(`${p}l`)).toBeNull();
    expect(await redis.lpushx(`${p}l`, 'x')).toBe(0);
    expect(await redis.rpushx(`${p}l`, 'x')).toBe(0);
  });

  it('moves elements between lists', async () => {
    await redis.rpush(`${p}src`, 1, 2, 3);
    expect(await redis.lmove(`${p}src`, `${p}dst`, 'left', 'right')).toBe(1);
    expect(await redis.rpoplpush(`${p}src`, `${p}dst`)).toBe(3);
    expect(await redis.lmpop([`${p}empty`, `${p}dst`], 'right', 5)).toEqual([`${p}dst`, [1, 3]]);
    expect(await redis.lmpop([`${p}empty`], 'left')).toBeNull();
  });
});

describe('sets', () => {
  it('adds, tests and removes members', async () => {
    expect(await redis.sadd(`${p}s`, 'a', 'b', 'c', 1)).toBe(4);
    expect(await redis.scard(`${p}s`)).toBe(4);
    expect(await redis.sismember(`${p}s`, 'a')).toBe(1);
    expect(await redis.smismember(`${p}s`, ['a', 'x', 1])).toEqual([1, 0, 1]);
    expect((await redis.smembers(`${p}s`)).map(String).sort()).toEqual(['1', 'a', 'b', 'c']);
    expect(await redis.srem(`${p}s`, 1, 'x')).toBe(1);
    expect(await redis.smove(`${p}s`, `${p}t`, 'c')).toBe(1);
    expect(['a', 'b']).toContain(await redis.srandmember(`${p}s`));
    expect(((await redis.srandmember(`${p}s`, 5)) as unknown as string[]).sort()).toEqual(['a', 'b']);
    expect(['a', 'b']).toContain(await redis.spop(`${p}s`));
  });

  it('combines sets and stores the results', async () => {
    await redis.sadd(`${p}x`, 'a', 'b', 'c');
    await redis.sadd(`${p}y`, 'b', 'c', 'd');
    expect((await redis.sinter(`${p}x`, `${p}y`)).sort()).toEqual(['b', 'c']);
    expect((await redis.sunion(`${p}x`, `${p}y`)).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(await redis.sdiff(`${p}x`, `${p}y`)).toEqual(['a']);
    expect(await redis.sintercard([`${p}x`, `${p}y`], { limit: 1 })).toBe(1);
    expect(await redis.sinterstore(`${p}i`, `${p}x`, `${p}y`)).toBe(2);
    expect(await redis.sunionstore(`${p}u`, `${p}x`, `${p}y`)).toBe(4);
    expect(await redis.sdiffstore(`${p}d`, `${p}x`, `${p}y`)).toBe(1);
  });

  it('walks members with SSCAN and sscanIterator', async () => {
    const members = Array.from({ length: 200 }, (_, i) => `m${i}`);
    await redis.sadd(`${p}big`, ...members);
    const [cursor] = await redis.sscan(`${p}big`, 0);
    expect(typeof cursor).toBe('string');
    const seen: string[] = [];
    for await (const member of redis.sscanIterator<string>(`${p}big`, { count: 30 })) seen.push(member);
    expect(seen.sort()).toEqual(members.sort());
  });
});
