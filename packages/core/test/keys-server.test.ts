import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from '../src/index.js';
import { prefix, type Stack, startStack } from './helpers.js';

let stack: Stack;
let redis: Redis;
const p = prefix();

beforeAll(async () => {
  stack = await startStack();
  redis = stack.client();
});
afterAll(() => stack?.stop());

describe('keys', () => {
  it('expires, persists and measures time to live', async () => {
    await redis.set(`${p}k`, 'v');
    expect(await redis.expire(`${p}k`, 100)).toBe(1);
    expect(await redis.expire(`${p}k`, 50, 'GT')).toBe(0);
    expect(await redis.ttl(`${p}k`)).toBeGreaterThan(90);
    expect(await redis.pexpire(`${p}k`, 200_000)).toBe(1);
    expect(await redis.pttl(`${p}k`)).toBeGreaterThan(100_000);
    const at = Math.floor(Date.now() / 1000) + 1000;
    expect(await redis.expireat(`${p}k`, at)).toBe(1);
    expect(await redis.expiretime(`${p}k`)).toBe(at);
    expect(await redis.pexpireat(`${p}k`, at * 1000)).toBe(1);
    expect(await redis.pexpiretime(`${p}k`)).toBe(at * 1000);
    expect(await redis.persist(`${p}k`)).toBe(1);
    expect(await redis.ttl(`${p}k`)).toBe(-1);
    expect(await redis.ttl(`${p}none`)).toBe(-2);
  });

  it('copies, renames, types, touches and deletes keys', async () => {
    await redis.set(`${p}a`, 1);
    expect(await redis.copy(`${p}a`, `${p}b`)).toBe(1);
    expect(await redis.copy(`${p}a`, `${p}b`)).toBe(0);
    expect(await redis.copy(`${p}a`, `${p}b`, { replace: true })).toBe(1);
    expect(await redis.rename(`${p}b`, `${p}c`)).toBe('OK');
    expect(await redis.renamenx(`${p}c`, `${p}a`)).toBe(0);
    expect(await redis.type(`${p}c`)).toBe('string');
    expect(await redis.type(`${p}none`)).toBe('none');
    expect(await redis.touch(`${p}a`, `${p}c`, `${p}none`)).toBe(2);
    expect(await redis.exists(`${p}a`, `${p}c`)).toBe(2);
    expect(await redis.objectEncoding(`${p}a`)).toBe('int');
    expect(await redis.objectRefcount(`${p}a`)).toBeGreaterThanOrEqual(1);
    expect(await redis.objectIdletime(`${p}a`)).toBeGreaterThanOrEqual(0);
    expect(await redis.del(`${p}a`, `${p}none`)).toBe(1);
    expect(await redis.unlink(`${p}c`)).toBe(1);
  });

  it('dumps and restores a value byte for byte', async () => {
    await redis.rpush(`${p}list`, 'a', 'b');
    const dump = await redis.dump(`${p}list`);
    expect(dump).toBeInstanceOf(Uint8Array);
    expect(await redis.restore(`${p}restored`, 0, dump!)).toBe('OK');
    expect(await redis.lrange(`${p}restored`, 0, -1)).toEqual(['a', 'b']);
    expect(await redis.restore(`${p}restored`, 60_000, dump!, { replace: true })).toBe('OK');
    expect(await redis.dump(`${p}none`)).toBeNull();
  });

  it('sorts lists and stores sorted results', async () => {
    await redis.rpush(`${p}nums`, 3, 1, 2);
    expect(await redis.sort(`${p}nums`)).toEqual([1, 2, 3]);
    expect(await redis.sortRo(`${p}nums`, { order: 'desc', offset: 0, count: 2 })).toEqual([3, 2]);
    await redis.rpush(`${p}words`, 'b', 'a');
    expect(await redis.sort(`${p}words`, { alpha: true })).toEqual(['a', 'b']);
    expect(await redis.sortStore(`${p}nums`, `${p}sorted`)).toBe(3);
  });

  it('finds keys with KEYS, SCAN and scanIterator, names as strings', async () => {
    const names = Array.from({ length: 120 }, (_, i) => `${p}scan:${i}`);
    await redis.mset(Object.fromEntries(names.map((name) => [name, 1])));
    await redis.hset(`${p}scan:hash`, { a: 1 });
    expect((await redis.keys(`${p}scan:1?`)).length).toBe(10);
    const [cursor, keys] = await redis.scan(0, { match: `${p}scan:*`, count: 10 });
    expect(typeof cursor).toBe('string');
    expect(keys.every((key) => typeof key === 'string')).toBe(true);
    const seen: string[] = [];
    for await (const key of redis.scanIterator({ match: `${p}scan:*`, count: 25, type: 'string' }))
      seen.push(key);
    expect(seen.sort()).toEqual([...names].sort());
    expect(typeof (await redis.randomkey())).toBe('string');
  });
});

describe('server', () => {
  it('answers PING, ECHO, TIME, DBSIZE, INFO, LASTSAVE and MEMORY USAGE', async () => {
    expect(await redis.ping()).toBe('PONG');
    expect(await redis.ping('hi')).toBe('hi');
    expect(await redis.echo('OK')).toBe('OK');
    const [seconds, micros] = await redis.time();
    expect(Math.abs(seconds - Date.now() / 1000)).toBeLessThan(60);
    expect(micros).toBeGreaterThanOrEqual(0);
    expect(await redis.dbsize()).toBeGreaterThan(0);
    expect(await redis.info('server')).toMatch(/redis_version:/);
    expect(typeof (await redis.lastsave())).toBe('number');
    await redis.set(`${p}mem`, 'x');
    expect(await redis.memoryUsage(`${p}mem`, { samples: 0 })).toBeGreaterThan(0);
  });

  it('publishes and counts subscriptions', async () => {
    expect(await redis.publish(`${p}nobody`, { hello: 1 })).toBe(0);
    expect(await redis.pubsubChannels(`${p}*`)).toEqual([]);
    expect(await redis.pubsubNumsub(`${p}a`)).toEqual({ [`${p}a`]: 0 });
    expect(await redis.pubsubNumpat()).toBeGreaterThanOrEqual(0);
  });

  it('flushes the database', async () => {
    const other = stack.client();
    await other.set(`${p}flush`, 1);
    expect(await other.flushdb({ async: true })).toBe('OK');
    expect(await other.flushall()).toBe('OK');
    expect(await other.dbsize()).toBe(0);
  });
});
