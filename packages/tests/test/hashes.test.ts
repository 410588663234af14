import type { Redis } from '@restash/core';
import { prefix, useStack } from '@restash/test-harness';
import { beforeAll, describe, expect, it } from 'vitest';

const stack = useStack();
const p = prefix();
let redis: Redis;
beforeAll(() => {
  redis = stack.client();
});

describe('hashes', () => {
  it('sets fields from an object and reads them back as an object', async () => {
    expect(await redis.hset(`${p}h`, { name: 'ada', age: 36, tags: ['x'] })).toBe(3);
    expect(await redis.hgetall(`${p}h`)).toEqual({ name: 'ada', age: 36, tags: ['x'] });
    expect(await redis.hgetall(`${p}none`)).toBeNull();
    expect(await redis.hget(`${p}h`, 'age')).toBe(36);
    expect(await redis.hmget(`${p}h`, 'name', 'nope')).toEqual({ name: 'ada', nope: null });
    expect(await redis.hmget(`${p}h`, 'nope')).toBeNull();
    expect(await redis.hexists(`${p}h`, 'name')).toBe(1);
    expect((await redis.hkeys(`${p}h`)).sort()).toEqual(['age', 'name', 'tags']);
    expect(await redis.hvals(`${p}h`)).toHaveLength(3);
    expect(await redis.hlen(`${p}h`)).toBe(3);
    expect(await redis.hstrlen(`${p}h`, 'name')).toBe(3);
    expect(await redis.hdel(`${p}h`, 'tags', 'nope')).toBe(1);
  });

  it('increments fields and sets them conditionally', async () => {
    expect(await redis.hincrby(`${p}c`, 'n', 5)).toBe(5);
    expect(await redis.hincrbyfloat(`${p}c`, 'f', 0.5)).toBe(0.5);
    expect(await redis.hsetnx(`${p}c`, 'n', 1)).toBe(0);
    expect(await redis.hmset(`${p}c`, { m: 'x' })).toBe('OK');
    expect(await redis.hgetBytes(`${p}c`, 'm')).toEqual(new TextEncoder().encode('x'));
  });

  it('returns random fields, with values as an object', async () => {
    await redis.hset(`${p}r`, { a: 1, b: 2 });
    expect(['a', 'b']).toContain(await redis.hrandfield(`${p}r`));
    expect(((await redis.hrandfield(`${p}r`, 2)) as string[]).sort()).toEqual(['a', 'b']);
    expect(await redis.hrandfield(`${p}r`, 2, true)).toEqual({ a: 1, b: 2 });
    expect(await redis.hrandfield(`${p}none`)).toBeNull();
  });

  it('walks every field with HSCAN and hscanIterator', async () => {
    const values = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`f${i}`, { i }]));
    await redis.hset(`${p}big`, values);
    const [cursor, items] = await redis.hscan(`${p}big`, 0, { count: 10 });
    expect(typeof cursor).toBe('string');
    expect(items.length).toBeGreaterThan(0);
    const seen: Record<string, unknown> = {};
    for await (const [field, value] of redis.hscanIterator(`${p}big`, { match: 'f*', count: 50 }))
      seen[field] = value;
    expect(seen).toEqual(values);
  });

  it('reports the Redis error when the server has no hash-field expiry (Redis < 7.4)', async () => {
    await redis.hset(`${p}ttl`, { a: 1 });
    const info = await redis.info('server');
    const version = /redis_version:(\d+)\.(\d+)/.exec(info);
    const major = Number(version?.[1]);
    const minor = Number(version?.[2]);
    if (major > 7 || (major === 7 && minor >= 4)) {
      expect(await redis.hexpire(`${p}ttl`, 'a', 100)).toEqual([1]);
      expect(await redis.httl(`${p}ttl`, ['a'])).toEqual([100]);
    } else {
      await expect(redis.hexpire(`${p}ttl`, 'a', 100)).rejects.toMatchObject({
        code: 'redis',
        command: 'HEXPIRE',
      });
      await expect(redis.hexpire(`${p}ttl`, 'a', 100)).rejects.toThrow(/^ERR unknown command/);
    }
  });
});
