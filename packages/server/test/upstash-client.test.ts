import { createHash } from 'node:crypto';
import { errors } from '@restash/core/protocol';
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prefix, READ_ONLY_TOKEN, startRedis, startServer, type TestRedis, TOKEN } from './helpers.js';

/*
 * The real `@upstash/redis` client, constructed with its defaults (auto-pipelining,
 * base64 response encoding and read-your-writes all on), against our server in
 * front of a private redis-server. Assertions are Redis 7.0 semantics.
 */

let backing: TestRedis;
let server: Awaited<ReturnType<typeof startServer>>;
let url: string;
let redis: Redis;

beforeAll(async () => {
  backing = await startRedis();
  server = await startServer({ redisUrl: backing.url });
  url = server.baseUrl;
  redis = new Redis({ url, token: TOKEN });
});

afterAll(async () => {
  await server.close();
  await backing.stop();
});

/** A flat `[k1, v1, k2, v2]` reply as an object. */
function pairs(flat: unknown): Record<string, unknown> {
  if (!Array.isArray(flat)) throw new Error(`expected a flat array, got ${JSON.stringify(flat)}`);
  const out: Record<string, unknown> = {};
  for (let i = 0; i < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

/** Letters, digits and underscores only: usable in Redis function and library names. */
const ident = () => `x${Math.random().toString(36).slice(2, 10)}`;

describe('strings', () => {
  it('set answers OK, get returns the value, and a missing key reads as null', async () => {
    const k = prefix();
    expect(await redis.set(`${k}a`, 'hello')).toBe('OK');
    expect(await redis.get(`${k}a`)).toBe('hello');
    expect(await redis.get(`${k}missing`)).toBeNull();
  });

  it('set with ex and px gives the key a time to live', async () => {
    const k = prefix();
    expect(await redis.set(`${k}ex`, 'v', { ex: 100 })).toBe('OK');
    const ttl = await redis.ttl(`${k}ex`);
    expect(ttl).toBeGreaterThan(90);
    expect(ttl).toBeLessThanOrEqual(100);
    expect(await redis.set(`${k}px`, 'v', { px: 50_000 })).toBe('OK');
    const pttl = await redis.pttl(`${k}px`);
    expect(pttl).toBeGreaterThan(40_000);
    expect(pttl).toBeLessThanOrEqual(50_000);
  });

  it('set with nx only creates a missing key and set with xx only overwrites an existing one', async () => {
    const k = prefix();
    expect(await redis.set(`${k}a`, 'first', { nx: true })).toBe('OK');
    expect(await redis.set(`${k}a`, 'second', { nx: true })).toBeNull();
    expect(await redis.get(`${k}a`)).toBe('first');
    expect(await redis.set(`${k}b`, 'v', { xx: true })).toBeNull();
    expect(await redis.exists(`${k}b`)).toBe(0);
    expect(await redis.set(`${k}a`, 'third', { xx: true })).toBe('OK');
    expect(await redis.get(`${k}a`)).toBe('third');
  });

  it('set with get returns the previous value, and keepTtl keeps the expiry while a plain set clears it', async () => {
    const k = prefix();
    await redis.set(`${k}a`, 'old', { ex: 1000 });
    expect(await redis.set(`${k}a`, 'new', { get: true, keepTtl: true })).toBe('old');
    expect(await redis.get(`${k}a`)).toBe('new');
    expect(await redis.ttl(`${k}a`)).toBeGreaterThan(900);
    expect(await redis.set(`${k}a`, 'newer')).toBe('OK');
    expect(await redis.ttl(`${k}a`)).toBe(-1);
    expect(await redis.set(`${k}none`, 'v', { get: true })).toBeNull();
  });

  it('mset writes several keys and mget reads them in order, with null for missing keys', async () => {
    const k = prefix();
    expect(await redis.mset({ [`${k}1`]: 'one', [`${k}2`]: 'two' })).toBe('OK');
    expect(await redis.mget(`${k}1`, `${k}missing`, `${k}2`)).toEqual(['one', null, 'two']);
    expect(await redis.mget([`${k}2`, `${k}1`])).toEqual(['two', 'one']);
  });

  it('msetnx sets all keys only when none of them exists yet', async () => {
    const k = prefix();
    expect(await redis.msetnx({ [`${k}a`]: 'one', [`${k}b`]: 'two' })).toBe(1);
    expect(await redis.msetnx({ [`${k}b`]: 'changed', [`${k}c`]: 'three' })).toBe(0);
    expect(await redis.mget(`${k}a`, `${k}b`, `${k}c`)).toEqual(['one', 'two', null]);
  });

  it('incr, incrby, decr, decrby and incrbyfloat return the new value as a number', async () => {
    const k = `${prefix()}counter`;
    expect(await redis.incr(k)).toBe(1);
    expect(await redis.incrby(k, 41)).toBe(42);
    expect(await redis.decr(k)).toBe(41);
    expect(await redis.decrby(k, 40)).toBe(1);
    expect(await redis.incrbyfloat(k, 1.5)).toBe(2.5);
    expect(await redis.incrbyfloat(k, 1.25)).toBe(3.75);
    expect(await redis.get(k)).toBe(3.75);
    expect(await backing.cli('GET', k)).toBe('3.75');
  });

  it('append, getrange, setrange and strlen work on the stored string', async () => {
    const k = prefix();
    expect(await redis.append(`${k}s`, 'Hello')).toBe(5);
    expect(await redis.append(`${k}s`, ' World')).toBe(11);
    expect(await redis.getrange(`${k}s`, 0, 4)).toBe('Hello');
    expect(await redis.getrange(`${k}s`, -5, -1)).toBe('World');
    expect(await redis.setrange(`${k}s`, 6, 'Redis')).toBe(11);
    expect(await redis.get(`${k}s`)).toBe('Hello Redis');
    expect(await redis.strlen(`${k}s`)).toBe(11);
    expect(await redis.strlen(`${k}missing`)).toBe(0);
  });

  it('getdel returns the value and deletes the key; getex returns it and sets or removes the expiry', async () => {
    const k = prefix();
    await redis.set(`${k}a`, 'v');
    expect(await redis.getdel(`${k}a`)).toBe('v');
    expect(await redis.exists(`${k}a`)).toBe(0);
    expect(await redis.getdel(`${k}a`)).toBeNull();
    await redis.set(`${k}b`, 'w');
    expect(await redis.getex(`${k}b`, { ex: 500 })).toBe('w');
    const ttl = await redis.ttl(`${k}b`);
    expect(ttl).toBeGreaterThan(400);
    expect(ttl).toBeLessThanOrEqual(500);
    expect(await redis.getex(`${k}b`, { persist: true })).toBe('w');
    expect(await redis.ttl(`${k}b`)).toBe(-1);
  });

  it('setex, psetex, setnx and getset behave like their Redis counterparts', async () => {
    const k = prefix();
    expect(await redis.setex(`${k}a`, 100, 'v')).toBe('OK');
    expect(await redis.ttl(`${k}a`)).toBeGreaterThan(90);
    expect(await redis.psetex(`${k}b`, 100_000, 'v')).toBe('OK');
    expect(await redis.pttl(`${k}b`)).toBeGreaterThan(90_000);
    expect(await redis.setnx(`${k}c`, 'first')).toBe(1);
    expect(await redis.setnx(`${k}c`, 'second')).toBe(0);
    expect(await redis.getset(`${k}c`, 'replaced')).toBe('first');
    expect(await redis.get(`${k}c`)).toBe('replaced');
  });

  it('objects, arrays, numbers and booleans round-trip through automatic JSON (de)serialization', async () => {
    const k = prefix();
    const value = { name: 'restash', tags: ['a', 'b'], nested: { n: 1.5, ok: true, none: null } };
    await redis.set(`${k}obj`, value);
    expect(await redis.get(`${k}obj`)).toEqual(value);
    expect(await backing.cli('GET', `${k}obj`)).toBe(JSON.stringify(value));
    await redis.set(`${k}arr`, [1, 'two', { three: 3 }]);
    expect(await redis.get(`${k}arr`)).toEqual([1, 'two', { three: 3 }]);
    await redis.set(`${k}num`, 42);
    expect(await redis.get(`${k}num`)).toBe(42);
    await redis.set(`${k}bool`, true);
    expect(await redis.get(`${k}bool`)).toBe(true);
    await redis.mset({ [`${k}m1`]: { a: 1 }, [`${k}m2`]: [true] });
    expect(await redis.mget(`${k}m1`, `${k}m2`)).toEqual([{ a: 1 }, [true]]);
  });

  it('an integer beyond 2^53 comes back as its exact text rather than a rounded number', async () => {
    const k = prefix();
    await redis.set(`${k}big`, '9007199254740993');
    expect(await redis.get(`${k}big`)).toBe('9007199254740993');
  });
});

describe('bitmaps', () => {
  it('setbit returns the previous bit and getbit reads bits back', async () => {
    const k = `${prefix()}bits`;
    expect(await redis.setbit(k, 7, 1)).toBe(0);
    expect(await redis.setbit(k, 7, 1)).toBe(1);
    expect(await redis.getbit(k, 7)).toBe(1);
    expect(await redis.getbit(k, 6)).toBe(0);
    expect(await redis.getbit(k, 1000)).toBe(0);
    expect(await redis.setbit(k, 7, 0)).toBe(1);
    expect(await redis.getbit(k, 7)).toBe(0);
  });

  it('bitcount counts set bits over the whole string or a byte range', async () => {
    const k = prefix();
    await redis.set(`${k}s`, 'foobar');
    expect(await redis.bitcount(`${k}s`, 0, -1)).toBe(26);
    expect(await redis.bitcount(`${k}s`, 0, 0)).toBe(4);
    expect(await redis.bitcount(`${k}s`, 1, 1)).toBe(6);
    expect(await redis.bitcount(`${k}missing`, 0, -1)).toBe(0);
  });

  it('bitpos finds the first set and the first clear bit', async () => {
    const k = `${prefix()}bits`;
    await redis.setbit(k, 10, 1);
    expect(await redis.bitpos(k, 1)).toBe(10);
    expect(await redis.bitpos(k, 0)).toBe(0);
    expect(await redis.bitpos(k, 1, 2)).toBe(-1);
  });

  it('bitop and, or, xor and not store the result and return its length in bytes', async () => {
    const k = prefix();
    await redis.setbit(`${k}a`, 0, 1);
    await redis.setbit(`${k}a`, 1, 1);
    await redis.setbit(`${k}b`, 1, 1);
    await redis.setbit(`${k}b`, 2, 1);
    expect(await redis.bitop('and', `${k}and`, `${k}a`, `${k}b`)).toBe(1);
    expect(await redis.bitcount(`${k}and`, 0, -1)).toBe(1);
    expect(await redis.getbit(`${k}and`, 1)).toBe(1);
    expect(await redis.bitop('or', `${k}or`, `${k}a`, `${k}b`)).toBe(1);
    expect(await redis.bitcount(`${k}or`, 0, -1)).toBe(3);
    expect(await redis.bitop('xor', `${k}xor`, `${k}a`, `${k}b`)).toBe(1);
    expect(await redis.bitcount(`${k}xor`, 0, -1)).toBe(2);
    expect(await redis.bitop('not', `${k}not`, `${k}a`)).toBe(1);
    expect(await redis.bitcount(`${k}not`, 0, -1)).toBe(6);
  });

  it('bitfield runs set, get and incrby in one call and honours the overflow mode', async () => {
    // With auto-pipelining on, `redis.bitfield(key)` is wrapped as a plain command and loses its
    // builder (a client limitation), so the builder is used through an explicit pipeline/transaction.
    const k = `${prefix()}bf`;
    expect(
      await redis.pipeline().bitfield(k).set('u8', 0, 255).get('u8', 0).incrby('u8', 0, 10).exec().exec(),
    ).toEqual([[0, 255, 9]]);
    expect(
      await redis.multi().bitfield(k).overflow('SAT').incrby('u8', 0, 300).get('u4', 0).exec().exec(),
    ).toEqual([[255, 15]]);
    expect(await redis.pipeline().bitfield(k).overflow('FAIL').incrby('u8', 0, 1).exec().exec()).toEqual([
      [null],
    ]);
    expect(await redis.getbit(k, 0)).toBe(1);
  });
});

describe('hashes', () => {
  it('hset stores fields and hget and hgetall return them deserialized, hgetall as an object', async () => {
    const k = `${prefix()}h`;
    expect(await redis.hset(k, { name: 'ann', age: 30, profile: { city: 'Oslo' } })).toBe(3);
    expect(await redis.hget(k, 'name')).toBe('ann');
    expect(await redis.hget(k, 'age')).toBe(30);
    expect(await redis.hget(k, 'missing')).toBeNull();
    expect(await redis.hgetall(k)).toEqual({ name: 'ann', age: 30, profile: { city: 'Oslo' } });
    expect(await redis.hgetall(`${k}missing`)).toBeNull();
    expect(await redis.hset(k, { name: 'bob', extra: 'x' })).toBe(1);
    expect(await redis.hget(k, 'name')).toBe('bob');
  });

  it('hmget returns an object of the asked fields, with null for missing ones', async () => {
    const k = `${prefix()}h`;
    await redis.hset(k, { a: 'one', b: 'two' });
    expect(await redis.hmget(k, 'b', 'missing', 'a')).toEqual({ b: 'two', missing: null, a: 'one' });
    expect(await redis.hmget(k, 'nope')).toBeNull();
    expect(await redis.hmset(k, { c: 'three' })).toBe('OK');
    expect(await redis.hget(k, 'c')).toBe('three');
  });

  it('hincrby and hincrbyfloat return the new number', async () => {
    const k = `${prefix()}h`;
    expect(await redis.hincrby(k, 'n', 5)).toBe(5);
    expect(await redis.hincrby(k, 'n', -7)).toBe(-2);
    expect(await redis.hincrbyfloat(k, 'f', 1.5)).toBe(1.5);
    expect(await redis.hincrbyfloat(k, 'f', 0.25)).toBe(1.75);
  });

  it('hdel, hexists, hkeys, hvals and hlen reflect the fields present', async () => {
    const k = `${prefix()}h`;
    await redis.hset(k, { a: 'x', b: 'y', c: 'z' });
    expect(await redis.hexists(k, 'a')).toBe(1);
    expect(await redis.hlen(k)).toBe(3);
    expect(await redis.hdel(k, 'a', 'missing')).toBe(1);
    expect(await redis.hexists(k, 'a')).toBe(0);
    expect([...(await redis.hkeys(k))].sort()).toEqual(['b', 'c']);
    expect([...(await redis.hvals(k))].sort()).toEqual(['y', 'z']);
    expect(await redis.hlen(k)).toBe(2);
    expect(await redis.hdel(k, 'b', 'c')).toBe(2);
    expect(await redis.exists(k)).toBe(0);
  });

  it('hscan walks the fields, filtered by match', async () => {
    const k = `${prefix()}h`;
    await redis.hset(k, { f1: 'v1', f2: 'v2', other: 'v3' });
    let cursor: string | number = 0;
    const seen: Record<string, unknown> = {};
    do {
      const [next, flat]: [string, (string | number)[]] = await redis.hscan(k, cursor, {
        match: 'f*',
        count: 100,
      });
      Object.assign(seen, pairs(flat));
      cursor = next;
    } while (String(cursor) !== '0');
    expect(seen).toEqual({ f1: 'v1', f2: 'v2' });
  });

  it('hrandfield returns one field, several distinct fields, or fields with their values', async () => {
    const k = `${prefix()}h`;
    const hash = { a: 'x', b: 'y', c: 'z' };
    await redis.hset(k, hash);
    expect(Object.keys(hash)).toContain(await redis.hrandfield(k));
    const two = await redis.hrandfield(k, 2);
    expect(two).toHaveLength(2);
    expect(new Set(two).size).toBe(2);
    for (const field of two) expect(Object.keys(hash)).toContain(field);
    const withValues = await redis.hrandfield<Record<string, string>>(k, 3, true);
    expect(withValues).toEqual(hash);
    expect(await redis.hrandfield(`${k}missing`)).toBeNull();
  });

  it('hsetnx only sets a missing field and hstrlen measures a value', async () => {
    const k = `${prefix()}h`;
    expect(await redis.hsetnx(k, 'f', 'hello')).toBe(1);
    expect(await redis.hsetnx(k, 'f', 'changed')).toBe(0);
    expect(await redis.hget(k, 'f')).toBe('hello');
    expect(await redis.hstrlen(k, 'f')).toBe(5);
    expect(await redis.hstrlen(k, 'missing')).toBe(0);
  });
});

describe('lists', () => {
  it('lpush and rpush return the new length and lrange returns the elements in order', async () => {
    const k = `${prefix()}l`;
    expect(await redis.rpush(k, 'b', 'c')).toBe(2);
    expect(await redis.lpush(k, 'a')).toBe(3);
    expect(await redis.rpush(k, 'd')).toBe(4);
    expect(await redis.lrange(k, 0, -1)).toEqual(['a', 'b', 'c', 'd']);
    expect(await redis.lrange(k, 1, 2)).toEqual(['b', 'c']);
    expect(await redis.lrange(`${k}missing`, 0, -1)).toEqual([]);
    expect(await redis.llen(k)).toBe(4);
  });

  it('lpop and rpop return one element, or an array when given a count', async () => {
    const k = `${prefix()}l`;
    await redis.rpush(k, 'a', 'b', 'c', 'd', 'e', 'f');
    expect(await redis.lpop(k)).toBe('a');
    expect(await redis.rpop(k)).toBe('f');
    expect(await redis.lpop(k, 2)).toEqual(['b', 'c']);
    expect(await redis.rpop(k, 2)).toEqual(['e', 'd']);
    expect(await redis.lpop(k)).toBeNull();
    expect(await redis.llen(k)).toBe(0);
  });

  it('lindex, linsert, lset, lrem and ltrim edit the list in place', async () => {
    const k = `${prefix()}l`;
    await redis.rpush(k, 'a', 'x', 'b', 'x', 'c', 'x');
    expect(await redis.lindex(k, 0)).toBe('a');
    expect(await redis.lindex(k, -1)).toBe('x');
    expect(await redis.lindex(k, 100)).toBeNull();
    expect(await redis.linsert(k, 'before', 'b', 'a2')).toBe(7);
    expect(await redis.linsert(k, 'after', 'missing', 'zz')).toBe(-1);
    expect(await redis.lset(k, 0, 'A')).toBe('OK');
    expect(await redis.lrem(k, 0, 'x')).toBe(3);
    expect(await redis.lrange(k, 0, -1)).toEqual(['A', 'a2', 'b', 'c']);
    expect(await redis.ltrim(k, 1, 2)).toBe('OK');
    expect(await redis.lrange(k, 0, -1)).toEqual(['a2', 'b']);
  });

  it('lpos finds positions, honouring rank and count', async () => {
    const k = `${prefix()}l`;
    await redis.rpush(k, 'a', 'b', 'c', 'b', 'b');
    expect(await redis.lpos(k, 'b')).toBe(1);
    expect(await redis.lpos(k, 'b', { rank: 2 })).toBe(3);
    expect(await redis.lpos(k, 'b', { rank: -1 })).toBe(4);
    expect(await redis.lpos<number[]>(k, 'b', { count: 0 })).toEqual([1, 3, 4]);
    expect(await redis.lpos(k, 'zz')).toBeNull();
  });

  it('lmove pops from one end of a list and pushes to an end of another', async () => {
    const k = prefix();
    await redis.rpush(`${k}src`, 'a', 'b', 'c');
    expect(await redis.lmove(`${k}src`, `${k}dst`, 'left', 'right')).toBe('a');
    expect(await redis.lmove(`${k}src`, `${k}dst`, 'right', 'left')).toBe('c');
    expect(await redis.lrange(`${k}src`, 0, -1)).toEqual(['b']);
    expect(await redis.lrange(`${k}dst`, 0, -1)).toEqual(['c', 'a']);
    expect(await redis.llen(`${k}dst`)).toBe(2);
  });
});

describe('sets', () => {
  it('sadd counts new members, smembers lists them and sismember/smismember test membership', async () => {
    const k = `${prefix()}s`;
    expect(await redis.sadd(k, 'a', 'b', 'c')).toBe(3);
    expect(await redis.sadd(k, 'a', 'd')).toBe(1);
    expect([...(await redis.smembers(k))].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(await redis.sismember(k, 'a')).toBe(1);
    expect(await redis.sismember(k, 'z')).toBe(0);
    expect(await redis.smismember(k, ['a', 'z', 'd'])).toEqual([1, 0, 1]);
    expect(await redis.scard(k)).toBe(4);
    expect(await redis.srem(k, 'a', 'z')).toBe(1);
    expect(await redis.scard(k)).toBe(3);
  });

  it('sinter, sunion and sdiff combine sets, and their *store forms write and count the result', async () => {
    const k = prefix();
    await redis.sadd(`${k}a`, 'x', 'y', 'z');
    await redis.sadd(`${k}b`, 'y', 'z', 'w');
    expect([...(await redis.sinter(`${k}a`, `${k}b`))].sort()).toEqual(['y', 'z']);
    expect([...(await redis.sunion(`${k}a`, `${k}b`))].sort()).toEqual(['w', 'x', 'y', 'z']);
    expect(await redis.sdiff(`${k}a`, `${k}b`)).toEqual(['x']);
    expect(await redis.sinterstore(`${k}i`, `${k}a`, `${k}b`)).toBe(2);
    expect(await redis.sunionstore(`${k}u`, `${k}a`, `${k}b`)).toBe(4);
    expect(await redis.sdiffstore(`${k}d`, `${k}b`, `${k}a`)).toBe(1);
    expect([...(await redis.smembers(`${k}i`))].sort()).toEqual(['y', 'z']);
    expect(await redis.scard(`${k}u`)).toBe(4);
    expect(await redis.smembers(`${k}d`)).toEqual(['w']);
  });

  it('spop removes random members and srandmember returns them without removing', async () => {
    const k = `${prefix()}s`;
    const members = ['a', 'b', 'c', 'd', 'e'];
    await redis.sadd(k, 'a', 'b', 'c', 'd', 'e');
    const one = await redis.srandmember<string>(k);
    expect(members).toContain(one);
    const three = await redis.srandmember<string[]>(k, 3);
    expect(three).toHaveLength(3);
    expect(new Set(three).size).toBe(3);
    expect(await redis.scard(k)).toBe(5);
    const popped = await redis.spop<string>(k);
    expect(members).toContain(popped);
    const two = await redis.spop<string[]>(k, 2);
    expect(two).toHaveLength(2);
    expect(await redis.scard(k)).toBe(2);
    const rest = await redis.smembers(k);
    expect(new Set([popped, ...(two ?? []), ...rest])).toEqual(new Set(members));
    expect(await redis.spop(`${k}missing`)).toBeNull();
  });

  it('sscan walks the members, filtered by match', async () => {
    const k = `${prefix()}s`;
    await redis.sadd(k, 'apple', 'avocado', 'banana');
    let cursor: string | number = 0;
    const seen: (string | number)[] = [];
    do {
      const [next, members]: [string, (string | number)[]] = await redis.sscan(k, cursor, { match: 'a*' });
      seen.push(...members);
      cursor = next;
    } while (String(cursor) !== '0');
    expect(seen.sort()).toEqual(['apple', 'avocado']);
  });

  it('smove moves a member from one set to another', async () => {
    const k = prefix();
    await redis.sadd(`${k}src`, 'a', 'b');
    await redis.sadd(`${k}dst`, 'c');
    expect(await redis.smove(`${k}src`, `${k}dst`, 'a')).toBe(1);
    expect(await redis.smove(`${k}src`, `${k}dst`, 'missing')).toBe(0);
    expect(await redis.smembers(`${k}src`)).toEqual(['b']);
    expect([...(await redis.smembers(`${k}dst`))].sort()).toEqual(['a', 'c']);
  });
});

describe('sorted sets', () => {
  it('zadd counts new members and honours nx, xx, ch, gt and incr', async () => {
    const k = `${prefix()}z`;
    expect(await redis.zadd(k, { score: 1, member: 'a' }, { score: 2, member: 'b' })).toBe(2);
    expect(await redis.zadd(k, { nx: true }, { score: 10, member: 'a' }, { score: 3, member: 'c' })).toBe(1);
    expect(await redis.zscore(k, 'a')).toBe(1);
    expect(
      await redis.zadd(k, { xx: true, ch: true }, { score: 5, member: 'a' }, { score: 9, member: 'new' }),
    ).toBe(1);
    expect(await redis.zscore(k, 'a')).toBe(5);
    expect(await redis.zscore(k, 'new')).toBeNull();
    expect(await redis.zadd(k, { gt: true, ch: true }, { score: 4, member: 'a' })).toBe(0);
    expect(await redis.zscore(k, 'a')).toBe(5);
    expect(await redis.zadd(k, { incr: true }, { score: 2.5, member: 'a' })).toBe(7.5);
    expect(await redis.zadd(k, { nx: true, incr: true }, { score: 1, member: 'a' })).toBeNull();
    expect(await redis.zcard(k)).toBe(3);
  });

  it('zrange returns members by rank, reversed, with scores, by score and with a limit', async () => {
    const k = `${prefix()}z`;
    await redis.zadd(
      k,
      { score: 1, member: 'a' },
      { score: 2, member: 'b' },
      { score: 3, member: 'c' },
      { score: 4.5, member: 'd' },
    );
    expect(await redis.zrange(k, 0, -1)).toEqual(['a', 'b', 'c', 'd']);
    expect(await redis.zrange(k, 0, 1, { rev: true })).toEqual(['d', 'c']);
    expect(await redis.zrange(k, 0, -1, { withScores: true })).toEqual(['a', 1, 'b', 2, 'c', 3, 'd', 4.5]);
    expect(await redis.zrange(k, 2, 3, { byScore: true })).toEqual(['b', 'c']);
    expect(await redis.zrange(k, '(1', '+inf', { byScore: true, withScores: true })).toEqual([
      'b',
      2,
      'c',
      3,
      'd',
      4.5,
    ]);
    expect(await redis.zrange(k, '-inf', '+inf', { byScore: true, offset: 1, count: 2 })).toEqual(['b', 'c']);
    expect(await redis.zrange(k, '+inf', '-inf', { byScore: true, rev: true, offset: 0, count: 1 })).toEqual([
      'd',
    ]);
  });

  it('zrange byLex selects members of equal score by lexical range', async () => {
    const k = `${prefix()}z`;
    await redis.zadd(
      k,
      { score: 0, member: 'a' },
      { score: 0, member: 'b' },
      { score: 0, member: 'c' },
      { score: 0, member: 'd' },
      { score: 0, member: 'e' },
    );
    expect(await redis.zrange(k, '[b', '(d', { byLex: true })).toEqual(['b', 'c']);
    expect(await redis.zrange(k, '-', '+', { byLex: true, offset: 1, count: 2 })).toEqual(['b', 'c']);
    expect(await redis.zrange(k, '+', '[c', { byLex: true, rev: true })).toEqual(['e', 'd', 'c']);
    expect(await redis.zlexcount(k, '[a', '[c')).toBe(3);
    expect(await redis.zremrangebylex(k, '[a', '[b')).toBe(2);
    expect(await redis.zrange(k, 0, -1)).toEqual(['c', 'd', 'e']);
  });

  it('zscore and zmscore return numbers, zincrby returns the new score', async () => {
    const k = `${prefix()}z`;
    await redis.zadd(k, { score: 1.5, member: 'a' }, { score: -2, member: 'b' });
    expect(await redis.zscore(k, 'a')).toBe(1.5);
    expect(await redis.zscore(k, 'missing')).toBeNull();
    expect(await redis.zmscore(k, ['a', 'missing', 'b'])).toEqual([1.5, null, -2]);
    expect(await redis.zincrby(k, 2.25, 'a')).toBe(3.75);
    expect(await redis.zincrby(k, 1, 'c')).toBe(1);
  });

  it('zrank, zrevrank, zcount and zrem follow the score order', async () => {
    const k = `${prefix()}z`;
    await redis.zadd(k, { score: 1, member: 'a' }, { score: 2, member: 'b' }, { score: 3, member: 'c' });
    expect(await redis.zrank(k, 'a')).toBe(0);
    expect(await redis.zrank(k, 'c')).toBe(2);
    expect(await redis.zrevrank(k, 'a')).toBe(2);
    expect(await redis.zrank(k, 'missing')).toBeNull();
    expect(await redis.zcount(k, 1, 2)).toBe(2);
    expect(await redis.zcount(k, '(1', '+inf')).toBe(2);
    expect(await redis.zcount(k, '-inf', '+inf')).toBe(3);
    expect(await redis.zrem(k, 'a', 'missing')).toBe(1);
    expect(await redis.zcard(k)).toBe(2);
  });

  it('zpopmin and zpopmax remove and return members with their scores', async () => {
    const k = `${prefix()}z`;
    await redis.zadd(
      k,
      { score: 1, member: 'a' },
      { score: 2, member: 'b' },
      { score: 3, member: 'c' },
      { score: 4, member: 'd' },
    );
    expect(await redis.zpopmin(k)).toEqual(['a', 1]);
    expect(await redis.zpopmax(k, 2)).toEqual(['d', 4, 'c', 3]);
    expect(await redis.zrange(k, 0, -1)).toEqual(['b']);
    expect(await redis.zpopmin(`${k}missing`)).toEqual([]);
  });

  it('zunionstore and zinterstore combine sets with weights and aggregates', async () => {
    const k = prefix();
    await redis.zadd(`${k}a`, { score: 1, member: 'x' }, { score: 2, member: 'y' });
    await redis.zadd(`${k}b`, { score: 10, member: 'y' }, { score: 20, member: 'z' });
    expect(await redis.zunionstore(`${k}u`, 2, [`${k}a`, `${k}b`], { weights: [1, 2] })).toBe(3);
    expect(await redis.zrange(`${k}u`, 0, -1, { withScores: true })).toEqual(['x', 1, 'y', 22, 'z', 40]);
    expect(await redis.zinterstore(`${k}i`, 2, [`${k}a`, `${k}b`], { aggregate: 'max' })).toBe(1);
    expect(await redis.zrange(`${k}i`, 0, -1, { withScores: true })).toEqual(['y', 10]);
    expect(await redis.zunionstore(`${k}one`, 1, [`${k}a`])).toBe(2);
    expect(await redis.zunion(2, [`${k}a`, `${k}b`], { aggregate: 'min', withScores: true })).toEqual([
      'x',
      1,
      'y',
      2,
      'z',
      20,
    ]);
  });

  it('zscan walks members and scores, and zremrangebyscore removes a score range', async () => {
    const k = `${prefix()}z`;
    await redis.zadd(
      k,
      { score: 1, member: 'a' },
      { score: 2, member: 'b' },
      { score: 3, member: 'c' },
      { score: 4, member: 'd' },
    );
    let cursor: string | number = 0;
    const seen: Record<string, unknown> = {};
    do {
      const [next, flat]: [string, (string | number)[]] = await redis.zscan(k, cursor, { count: 100 });
      Object.assign(seen, pairs(flat));
      cursor = next;
    } while (String(cursor) !== '0');
    expect(seen).toEqual({ a: 1, b: 2, c: 3, d: 4 });
    expect(await redis.zremrangebyscore(k, 2, '(4')).toBe(2);
    expect(await redis.zrange(k, 0, -1)).toEqual(['a', 'd']);
    expect(await redis.zremrangebyrank(k, 0, 0)).toBe(1);
    expect(await redis.zrange(k, 0, -1)).toEqual(['d']);
  });
});

describe('geo', () => {
  const palermo = { longitude: 13.361389, latitude: 38.115556, member: 'Palermo' };
  const catania = { longitude: 15.087269, latitude: 37.502669, member: 'Catania' };

  it('geoadd counts new members and geodist measures the distance between two of them', async () => {
    const k = `${prefix()}geo`;
    expect(await redis.geoadd(k, palermo, catania)).toBe(2);
    expect(await redis.geoadd(k, { nx: true }, palermo)).toBe(0);
    expect(Number(await redis.geodist(k, 'Palermo', 'Catania'))).toBeCloseTo(166274.1516, 2);
    expect(Number(await redis.geodist(k, 'Palermo', 'Catania', 'KM'))).toBeCloseTo(166.2742, 3);
    expect(await redis.geodist(k, 'Palermo', 'Nowhere')).toBeNull();
  });

  it('geopos returns coordinates and geohash returns the standard 11-character hashes', async () => {
    const k = `${prefix()}geo`;
    await redis.geoadd(k, palermo, catania);
    const [pos] = await redis.geopos(k, 'Palermo');
    expect(pos?.lng).toBeCloseTo(13.361389, 5);
    expect(pos?.lat).toBeCloseTo(38.115556, 5);
    expect(await redis.geohash(k, 'Palermo', 'Catania', 'Nowhere')).toEqual([
      'sqc8b49rny0',
      'sqdtr74hyu0',
      null,
    ]);
  });

  it('geosearch finds members within a radius, nearest first, with distance and coordinates', async () => {
    const k = `${prefix()}geo`;
    await redis.geoadd(k, palermo, catania);
    const near = await redis.geosearch(
      k,
      { type: 'FROMLONLAT', coordinate: { lon: 15, lat: 37 } },
      { type: 'BYRADIUS', radius: 200, radiusType: 'KM' },
      'ASC',
      { withDist: true, withCoord: true },
    );
    expect(near.map((hit) => hit.member)).toEqual(['Catania', 'Palermo']);
    expect(near[0]?.dist).toBeCloseTo(56.4413, 3);
    expect(near[1]?.dist).toBeCloseTo(190.4424, 3);
    expect(near[0]?.coord?.long).toBeCloseTo(15.087269, 5);
    const onlyOne = await redis.geosearch(
      k,
      { type: 'FROMMEMBER', member: 'Palermo' },
      { type: 'BYBOX', rect: { width: 100, height: 100 }, rectType: 'KM' },
      'ASC',
    );
    expect(onlyOne).toEqual([{ member: 'Palermo' }]);
  });
});

describe('hyperloglog', () => {
  it('pfadd reports whether the estimate changed and pfcount estimates the cardinality', async () => {
    const k = `${prefix()}hll`;
    expect(await redis.pfadd(k, 'a', 'b', 'c')).toBe(1);
    expect(await redis.pfadd(k, 'a', 'b')).toBe(0);
    expect(await redis.pfcount(k)).toBe(3);
  });

  it('pfmerge merges estimators and pfcount over several keys counts their union', async () => {
    const k = prefix();
    await redis.pfadd(`${k}a`, 'x', 'y', 'z');
    await redis.pfadd(`${k}b`, 'z', 'w');
    expect(await redis.pfcount(`${k}a`, `${k}b`)).toBe(4);
    expect(await redis.pfmerge(`${k}m`, `${k}a`, `${k}b`)).toBe('OK');
    expect(await redis.pfcount(`${k}m`)).toBe(4);
  });
});

describe('streams', () => {
  it('xadd returns the entry id, xlen counts entries and xrange/xrevrange return them as objects', async () => {
    const k = `${prefix()}stream`;
    const id1 = await redis.xadd(k, '*', { sensor: 'a', value: 1 });
    expect(id1).toMatch(/^\d+-\d+$/);
    expect(await redis.xadd(k, '99999999999999-0', { sensor: 'b', value: 2 })).toBe('99999999999999-0');
    expect(await redis.xlen(k)).toBe(2);
    const all = await redis.xrange(k, '-', '+');
    expect(all).toEqual({ [id1]: { sensor: 'a', value: 1 }, '99999999999999-0': { sensor: 'b', value: 2 } });
    const reversed = await redis.xrevrange(k, '+', '-', 1);
    expect(reversed).toEqual({ '99999999999999-0': { sensor: 'b', value: 2 } });
    expect(await redis.xrange(`${k}missing`, '-', '+')).toEqual({});
  });

  it('xadd with an exact MAXLEN or MINID trim keeps only the newest entries', async () => {
    const k = prefix();
    for (let i = 1; i <= 5; i++) {
      await redis.xadd(
        `${k}max`,
        `${i}-0`,
        { n: i },
        { trim: { type: 'MAXLEN', threshold: 3, comparison: '=' } },
      );
    }
    expect(await redis.xlen(`${k}max`)).toBe(3);
    expect(Object.keys(await redis.xrange(`${k}max`, '-', '+'))).toEqual(['3-0', '4-0', '5-0']);
    for (let i = 1; i <= 5; i++) {
      await redis.xadd(
        `${k}min`,
        `${i}-0`,
        { n: i },
        { trim: { type: 'MINID', threshold: '4-0', comparison: '=' } },
      );
    }
    expect(Object.keys(await redis.xrange(`${k}min`, '-', '+'))).toEqual(['4-0', '5-0']);
  });

  it('xdel removes entries by id and xtrim trims to a length', async () => {
    const k = `${prefix()}stream`;
    for (let i = 1; i <= 6; i++) await redis.xadd(k, `${i}-0`, { n: i });
    expect(await redis.xdel(k, ['2-0', '3-0', '42-0'])).toBe(2);
    expect(await redis.xdel(k, '1-0')).toBe(1);
    expect(await redis.xlen(k)).toBe(3);
    expect(await redis.xtrim(k, { strategy: 'MAXLEN', exactness: '=', threshold: 1 })).toBe(2);
    expect(await redis.xrange(k, '-', '+')).toEqual({ '6-0': { n: 6 } });
  });

  it('consumer groups: xgroup create, xreadgroup, xpending, xack, xclaim and xautoclaim', async () => {
    const k = `${prefix()}stream`;
    await redis.xadd(k, '1-0', { task: 'a' });
    await redis.xadd(k, '2-0', { task: 'b' });
    await redis.xadd(k, '3-0', { task: 'c' });
    expect(await redis.xgroup(k, { type: 'CREATE', group: 'workers', id: '0' })).toBe('OK');
    expect(
      await redis.xgroup(`${k}new`, { type: 'CREATE', group: 'g', id: '$', options: { MKSTREAM: true } }),
    ).toBe('OK');
    expect(await redis.exists(`${k}new`)).toBe(1);

    const read = await redis.xreadgroup('workers', 'alice', k, '>', { count: 2 });
    expect(read).toEqual([
      [
        k,
        [
          ['1-0', ['task', 'a']],
          ['2-0', ['task', 'b']],
        ],
      ],
    ]);

    const pending = (await redis.xpending(k, 'workers', '-', '+', 10)) as unknown[][];
    expect(pending.map((entry) => [entry[0], entry[1], entry[3]])).toEqual([
      ['1-0', 'alice', 1],
      ['2-0', 'alice', 1],
    ]);
    expect(typeof pending[0]?.[2]).toBe('number');

    expect(await redis.xack(k, 'workers', '1-0')).toBe(1);
    expect(await redis.xack(k, 'workers', ['1-0', '2-0'])).toBe(1);

    expect(await redis.xreadgroup('workers', 'bob', k, '>', { count: 10 })).toEqual([
      [k, [['3-0', ['task', 'c']]]],
    ]);
    expect(await redis.xreadgroup('workers', 'bob', k, '>')).toBeNull();

    expect(await redis.xclaim(k, 'workers', 'carol', 0, '3-0')).toEqual([['3-0', ['task', 'c']]]);
    const pendingAfterClaim = (await redis.xpending(k, 'workers', '-', '+', 10)) as unknown[][];
    expect(pendingAfterClaim.map((entry) => [entry[0], entry[1]])).toEqual([['3-0', 'carol']]);

    const auto = (await redis.xautoclaim(k, 'workers', 'dave', 0, '0-0', { count: 10 })) as unknown[];
    expect(auto[0]).toBe('0-0');
    expect(auto[1]).toEqual([['3-0', ['task', 'c']]]);
    expect(auto[2]).toEqual([]);
  });

  it('xreadgroup treats group and consumer names as data: a group or consumer called "block" reads without blocking', async () => {
    const k = `${prefix()}stream`;
    await redis.xadd(k, '1-0', { task: 'a' });
    await redis.xadd(k, '2-0', { task: 'b' });
    await redis.xgroup(k, { type: 'CREATE', group: 'block', id: '0' });
    await redis.xgroup(k, { type: 'CREATE', group: 'g', id: '0' });
    expect(await redis.xreadgroup('block', 'worker', k, '>', { count: 1 })).toEqual([
      [k, [['1-0', ['task', 'a']]]],
    ]);
    expect(await redis.xreadgroup('g', 'Block', k, '>', { count: 1 })).toEqual([
      [k, [['1-0', ['task', 'a']]]],
    ]);
    expect(await backing.cli('XPENDING', k, 'g')).toContain('Block');
  });

  it('xinfo reports groups and consumers as flat field/value lists', async () => {
    const k = `${prefix()}stream`;
    await redis.xadd(k, '1-0', { task: 'a' });
    await redis.xadd(k, '2-0', { task: 'b' });
    await redis.xgroup(k, { type: 'CREATE', group: 'g1', id: '0' });
    await redis.xreadgroup('g1', 'c1', k, '>', { count: 1 });
    await redis.xreadgroup('g1', 'c2', k, '>', { count: 1 });

    const groups = await redis.xinfo(k, { type: 'GROUPS' });
    expect(groups).toHaveLength(1);
    expect(pairs(groups[0])).toMatchObject({
      name: 'g1',
      consumers: 2,
      pending: 2,
      'last-delivered-id': '2-0',
      'entries-read': 2,
      lag: 0,
    });

    const consumers = await redis.xinfo(k, { type: 'CONSUMERS', group: 'g1' });
    const byName = consumers.map((consumer) => pairs(consumer));
    expect(byName.map((c) => c.name).sort()).toEqual(['c1', 'c2']);
    for (const consumer of byName) {
      expect(consumer.pending).toBe(1);
      expect(typeof consumer.idle).toBe('number');
    }
  });
});

describe('keys and generic commands', () => {
  it('exists, del and unlink count the keys they saw', async () => {
    const k = prefix();
    await redis.mset({ [`${k}a`]: 'x', [`${k}b`]: 'y', [`${k}c`]: 'z', [`${k}d`]: 'w' });
    expect(await redis.exists(`${k}a`, `${k}b`, `${k}missing`)).toBe(2);
    expect(await redis.exists(`${k}a`, `${k}a`)).toBe(2);
    expect(await redis.del(`${k}a`, `${k}missing`)).toBe(1);
    expect(await redis.unlink(`${k}b`, `${k}c`, `${k}missing`)).toBe(2);
    expect(await redis.exists(`${k}a`, `${k}b`, `${k}c`, `${k}d`)).toBe(1);
  });

  it('expire, pexpire, expireat, ttl, pttl and persist manage expiry', async () => {
    const k = prefix();
    await redis.set(`${k}a`, 'v');
    expect(await redis.ttl(`${k}a`)).toBe(-1);
    expect(await redis.ttl(`${k}missing`)).toBe(-2);
    expect(await redis.pttl(`${k}missing`)).toBe(-2);
    expect(await redis.expire(`${k}a`, 100)).toBe(1);
    expect(await redis.ttl(`${k}a`)).toBeGreaterThan(90);
    expect(await redis.expire(`${k}a`, 50, 'GT')).toBe(0);
    expect(await redis.expire(`${k}missing`, 100)).toBe(0);
    expect(await redis.pexpire(`${k}a`, 200_000)).toBe(1);
    expect(await redis.pttl(`${k}a`)).toBeGreaterThan(190_000);
    expect(await redis.persist(`${k}a`)).toBe(1);
    expect(await redis.persist(`${k}a`)).toBe(0);
    expect(await redis.ttl(`${k}a`)).toBe(-1);
    const at = Math.floor(Date.now() / 1000) + 300;
    expect(await redis.expireat(`${k}a`, at)).toBe(1);
    const ttl = await redis.ttl(`${k}a`);
    expect(ttl).toBeGreaterThan(290);
    expect(ttl).toBeLessThanOrEqual(300);
    expect(await redis.exec<number>(['EXPIRETIME', `${k}a`])).toBe(at);
    expect(await redis.pexpireat(`${k}a`, Date.now() + 400_000)).toBe(1);
    expect(await redis.ttl(`${k}a`)).toBeGreaterThan(390);
  });

  it('type names the type of each kind of key', async () => {
    const k = prefix();
    await redis.set(`${k}string`, 'v');
    await redis.rpush(`${k}list`, 'v');
    await redis.sadd(`${k}set`, 'v');
    await redis.zadd(`${k}zset`, { score: 1, member: 'v' });
    await redis.hset(`${k}hash`, { f: 'v' });
    await redis.xadd(`${k}stream`, '*', { f: 'v' });
    expect(await redis.type(`${k}string`)).toBe('string');
    expect(await redis.type(`${k}list`)).toBe('list');
    expect(await redis.type(`${k}set`)).toBe('set');
    expect(await redis.type(`${k}zset`)).toBe('zset');
    expect(await redis.type(`${k}hash`)).toBe('hash');
    expect(await redis.type(`${k}stream`)).toBe('stream');
    expect(await redis.type(`${k}missing`)).toBe('none');
  });

  it('rename moves a key, renamenx refuses to overwrite, copy copies with and without replace', async () => {
    const k = prefix();
    await redis.set(`${k}a`, 'one');
    expect(await redis.rename(`${k}a`, `${k}b`)).toBe('OK');
    expect(await redis.get(`${k}a`)).toBeNull();
    expect(await redis.get(`${k}b`)).toBe('one');
    await redis.set(`${k}c`, 'two');
    expect(await redis.renamenx(`${k}b`, `${k}c`)).toBe(0);
    expect(await redis.renamenx(`${k}b`, `${k}d`)).toBe(1);
    expect(await redis.get(`${k}d`)).toBe('one');
    await expect(redis.rename(`${k}missing`, `${k}x`)).rejects.toThrow(/no such key/);

    expect(await redis.copy(`${k}d`, `${k}copy`)).toBe('COPIED');
    expect(await redis.get(`${k}copy`)).toBe('one');
    expect(await redis.copy(`${k}c`, `${k}copy`)).toBe('NOT_COPIED');
    expect(await redis.get(`${k}copy`)).toBe('one');
    expect(await redis.copy(`${k}c`, `${k}copy`, { replace: true })).toBe('COPIED');
    expect(await redis.get(`${k}copy`)).toBe('two');
  });

  it('scan with match and count walks every matching key exactly once, and keys lists them', async () => {
    const k = prefix();
    const names = Array.from({ length: 25 }, (_, i) => `${k}key${i}`);
    await redis.mset(Object.fromEntries(names.map((name) => [name, 'v'])));
    await redis.hset(`${k}hash`, { f: 'v' });
    const seen: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, { match: `${k}key*`, count: 10 });
      seen.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    expect([...new Set(seen)].sort()).toEqual([...names].sort());

    const hashes: string[] = [];
    cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, { match: `${k}*`, count: 100, type: 'hash' });
      hashes.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    expect(hashes).toEqual([`${k}hash`]);

    expect([...(await redis.keys(`${k}key*`))].sort()).toEqual([...names].sort());
    expect(await redis.keys(`${k}nothing*`)).toEqual([]);
  });

  it('randomkey returns an existing key, dbsize counts keys and touch counts existing keys', async () => {
    const k = prefix();
    await redis.mset({ [`${k}a`]: '1', [`${k}b`]: '2' });
    const random = await redis.randomkey();
    expect(typeof random).toBe('string');
    expect(await redis.exists(random as string)).toBe(1);
    const size = await redis.dbsize();
    expect(size).toBeGreaterThanOrEqual(2);
    expect(Number(await backing.cli('DBSIZE'))).toBe(size);
    expect(await redis.touch(`${k}a`, `${k}b`, `${k}missing`)).toBe(2);
  });

  it('ping, echo and time answer, and exec runs a command the client has no method for', async () => {
    const k = prefix();
    expect(await redis.ping()).toBe('PONG');
    expect(await redis.ping(['hello'])).toBe('hello');
    expect(await redis.echo('échö')).toBe('échö');
    const [seconds, micros] = await redis.time();
    expect(Math.abs(seconds - Date.now() / 1000)).toBeLessThan(60);
    expect(micros).toBeGreaterThanOrEqual(0);
    await redis.mset({ [`${k}a`]: 'ohmytext', [`${k}b`]: 'mynewtext' });
    expect(await redis.exec<string>(['LCS', `${k}a`, `${k}b`])).toBe('mytext');
    expect(await redis.exec<string>(['OBJECT', 'ENCODING', `${k}a`])).toBe('embstr');
  });
});

describe('scripts', () => {
  it('eval runs Lua with KEYS and ARGV and returns nested values, including a nested OK status', async () => {
    const k = `${prefix()}lua`;
    const script =
      "local ok = redis.call('SET', KEYS[1], ARGV[1]); return {KEYS[1], ARGV[1], 42, redis.call('GET', KEYS[1]), ok, {1, 'deep'}}";
    expect(await redis.eval(script, [k], ['val'])).toEqual([k, 'val', 42, 'val', 'OK', [1, 'deep']]);
    expect(await redis.get(k)).toBe('val');
    expect(await redis.eval("return redis.call('PING')", [], [])).toBe('PONG');
    expect(await redis.eval('return nil', [], [])).toBeNull();
  });

  it('scriptLoad returns the SHA-1, evalsha runs it, scriptExists reports it and scriptFlush removes it', async () => {
    const k = `${prefix()}lua`;
    const script = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
    const sha = await redis.scriptLoad(script);
    expect(sha).toBe(sha1(script));
    expect(await redis.evalsha(sha, [k], [5])).toBe(5);
    expect(await redis.evalsha(sha, [k], [2])).toBe(7);
    expect(await redis.scriptExists(sha, '0'.repeat(40))).toEqual([1, 0]);
    expect(await redis.scriptFlush()).toBe('OK');
    expect(await redis.scriptExists(sha)).toEqual([0]);
    await expect(redis.evalsha(sha, [k], [1])).rejects.toThrow(/NOSCRIPT/);
  });

  it('createScript exec falls back from EVALSHA to EVAL when the script is not cached, then uses EVALSHA', async () => {
    const k = `${prefix()}lua`;
    const client = new Redis({ url, token: TOKEN });
    const sent: string[] = [];
    client.use(async (req, next) => {
      const body = req.body as unknown[];
      const commands = Array.isArray(body[0]) ? (body as unknown[][]) : [body];
      for (const command of commands) sent.push(String(command[0]).toLowerCase());
      return next(req);
    });
    const source = `return redis.call('INCRBY', KEYS[1], ARGV[1]) -- ${k}`;
    expect(await client.scriptFlush()).toBe('OK');
    const script = client.createScript<number>(source);
    sent.length = 0;
    expect(await script.exec([k], ['5'])).toBe(5);
    expect(sent).toEqual(['evalsha', 'eval']);
    expect(await client.scriptExists(sha1(source))).toEqual([1]);
    sent.length = 0;
    expect(await script.exec([k], ['10'])).toBe(15);
    expect(sent).toEqual(['evalsha']);
  });

  it('a read-only script runs through EVALSHA_RO with an EVAL_RO fallback', async () => {
    const k = `${prefix()}lua`;
    await redis.set(k, 'stored');
    await redis.scriptFlush();
    const script = redis.createScript<string, true>(`return redis.call('GET', KEYS[1]) -- ${k}`, {
      readonly: true,
    });
    expect(await script.exec([k], [])).toBe('stored');
    expect(await script.exec([k], [])).toBe('stored');
    expect(await redis.evalRo("return redis.call('GET', KEYS[1])", [k], [])).toBe('stored');
  });

  it('a Lua error rejects with the script error text', async () => {
    await expect(redis.eval("return redis.error_reply('MYERR custom failure')", [], [])).rejects.toThrow(
      /MYERR custom failure/,
    );
  });
});

describe('functions', () => {
  it('functions.load registers a library that functions.call and functions.callRo run', async () => {
    const k = `${prefix()}fn`;
    const lib = ident();
    const code = [
      `#!lua name=${lib}`,
      `redis.register_function('${lib}_echo', function(keys, args) return args[1] end)`,
      `redis.register_function('${lib}_set', function(keys, args) return redis.call('SET', keys[1], args[1]) end)`,
      `redis.register_function{function_name='${lib}_get', callback=function(keys, args) return redis.call('GET', keys[1]) end, flags={'no-writes'}}`,
    ].join('\n');
    expect(await redis.functions.load({ code })).toBe(lib);
    expect(await redis.functions.call(`${lib}_echo`, [], ['hi there'])).toBe('hi there');
    expect(await redis.functions.call(`${lib}_set`, [k], ['via-function'])).toBe('OK');
    expect(await redis.get(k)).toBe('via-function');
    expect(await redis.functions.callRo(`${lib}_get`, [k])).toBe('via-function');
    await expect(redis.functions.callRo(`${lib}_set`, [k], ['x'])).rejects.toThrow(/write flag/);
    expect(await redis.functions.load({ code, replace: true })).toBe(lib);
    await expect(redis.functions.load({ code })).rejects.toThrow(/already exists/);
  });

  it('functions.list describes libraries and functions.delete removes them', async () => {
    const lib = ident();
    const code = [
      `#!lua name=${lib}`,
      `redis.register_function{function_name='${lib}_ro', callback=function() return 1 end, flags={'no-writes'}}`,
      `redis.register_function('${lib}_rw', function() return 2 end)`,
    ].join('\n');
    await redis.functions.load({ code });
    const list = await redis.functions.list({ libraryName: lib });
    expect(list).toHaveLength(1);
    expect(list[0]?.libraryName).toBe(lib);
    expect(list[0]?.engine).toBe('LUA');
    const fns = [...(list[0]?.functions ?? [])].sort((a, b) => a.name.localeCompare(b.name));
    expect(fns.map((fn) => [fn.name, fn.flags])).toEqual([
      [`${lib}_ro`, ['no-writes']],
      [`${lib}_rw`, []],
    ]);
    const withCode = await redis.functions.list({ libraryName: lib, withCode: true });
    expect(withCode[0]?.libraryCode).toBe(code);
    const stats = await redis.functions.stats();
    expect(Number(stats.engines.LUA?.librariesCount)).toBeGreaterThanOrEqual(1);
    expect(await redis.functions.delete(lib)).toBe('OK');
    expect(await redis.functions.list({ libraryName: lib })).toEqual([]);
    await expect(redis.functions.call(`${lib}_rw`)).rejects.toThrow(/Function not found/);
  });
});

describe('pipelines', () => {
  it('pipeline exec returns every result in order, each deserialized like the single command', async () => {
    const k = prefix();
    const results = await redis
      .pipeline()
      .set(`${k}a`, 'x')
      .get(`${k}a`)
      .incr(`${k}n`)
      .hset(`${k}h`, { f: 1, g: { nested: true } })
      .hgetall(`${k}h`)
      .rpush(`${k}l`, 'a', 'b')
      .lrange(`${k}l`, 0, -1)
      .zadd(`${k}z`, { score: 1.5, member: 'm' })
      .zscore(`${k}z`, 'm')
      .get(`${k}missing`)
      .exec();
    expect(results).toEqual(['OK', 'x', 1, 2, { f: 1, g: { nested: true } }, 2, ['a', 'b'], 1, 1.5, null]);
  });

  it('pipeline exec rejects naming the failing command when one entry fails, but the others still ran', async () => {
    const k = prefix();
    await expect(
      redis.pipeline().set(`${k}a`, 'text').incr(`${k}a`).set(`${k}b`, 'after').exec(),
    ).rejects.toThrow(/Command 2 \[ incr \] failed: ERR value is not an integer/);
    expect(await redis.get(`${k}b`)).toBe('after');
  });

  it('exec({ keepErrors: true }) sets .error on the failing entry, leaves its result unset, and returns the rest', async () => {
    const k = prefix();
    const results = await redis
      .pipeline()
      .set(`${k}a`, 'text')
      .incr(`${k}a`)
      .get(`${k}a`)
      .exec({ keepErrors: true });
    expect(results).toHaveLength(3);
    expect(results[0]).toEqual({ result: 'OK', error: undefined });
    expect(results[1].error).toMatch(/^ERR value is not an integer/);
    expect(results[1].result).toBeUndefined();
    expect(results[2]).toEqual({ result: 'text', error: undefined });
  });

  it('a wrong-arity entry is an error entry while its neighbours succeed', async () => {
    const k = prefix();
    const results = await redis.pipeline().set(`${k}a`, '1').del().get(`${k}a`).exec({ keepErrors: true });
    expect(results[0].result).toBe('OK');
    expect(results[1].error).toMatch(/wrong number of arguments for 'del'/);
    expect(results[1].result).toBeUndefined();
    expect(results[2].result).toBe(1);
  });
});

describe('transactions', () => {
  it('multi exec runs the commands in order and returns their results', async () => {
    const k = prefix();
    const results = await redis
      .multi()
      .set(`${k}a`, 1)
      .incr(`${k}a`)
      .get(`${k}a`)
      .sadd(`${k}s`, 'x')
      .smembers(`${k}s`)
      .exec();
    expect(results).toEqual(['OK', 2, 2, 1, ['x']]);
  });

  it('a runtime error inside multi fails only its own entry; the other commands are applied', async () => {
    const k = prefix();
    const results = await redis
      .multi()
      .set(`${k}a`, 'text')
      .incr(`${k}a`)
      .set(`${k}b`, 'after')
      .exec({ keepErrors: true });
    expect(results[0].result).toBe('OK');
    expect(results[1].error).toMatch(/^ERR value is not an integer/);
    expect(results[1].result).toBeUndefined();
    expect(results[2].result).toBe('OK');
    expect(await redis.get(`${k}b`)).toBe('after');
    await expect(redis.multi().set(`${k}c`, 'x').lpush(`${k}c`, 'y').exec()).rejects.toThrow(
      /Command 2 \[ lpush \] failed: WRONGTYPE/,
    );
  });

  it('a queue-time error discards the whole transaction and nothing is applied', async () => {
    const k = prefix();
    await expect(redis.multi().set(`${k}a`, 'x').del().exec()).rejects.toThrow(/EXECABORT/);
    expect(await redis.exists(`${k}a`)).toBe(0);
  });
});

describe('read-your-writes', () => {
  it('the sync token is empty before the first request, a non-empty string after a write, and changes with every write', async () => {
    const k = prefix();
    const client = new Redis({ url, token: TOKEN });
    expect(client.readYourWritesSyncToken).toBe('');
    await client.set(`${k}a`, 'v');
    const first = client.readYourWritesSyncToken;
    expect(typeof first).toBe('string');
    expect(first?.length).toBeGreaterThan(0);
    await client.set(`${k}a`, 'v');
    const second = client.readYourWritesSyncToken;
    expect(second).toBeTruthy();
    expect(second).not.toBe(first);
    await client.pipeline().set(`${k}b`, 'w').get(`${k}b`).exec();
    const third = client.readYourWritesSyncToken;
    expect(third).toBeTruthy();
    expect(third).not.toBe(second);
    await client.eval("return redis.call('SET', KEYS[1], 'lua')", [`${k}c`], []);
    expect(client.readYourWritesSyncToken).toBeTruthy();
    expect(client.readYourWritesSyncToken).not.toBe(third);
  });

  it('a write is visible to the very next read, and an arbitrary user-set token is accepted', async () => {
    const k = prefix();
    const client = new Redis({ url, token: TOKEN });
    for (let i = 0; i < 20; i++) {
      await client.set(`${k}a`, `v${i}`);
      expect(await client.get(`${k}a`)).toBe(`v${i}`);
    }
    client.readYourWritesSyncToken = 'my-own-sync-token';
    expect(await client.get(`${k}a`)).toBe('v19');
    expect(client.readYourWritesSyncToken).not.toBe('my-own-sync-token');
  });
});

describe('binary-ish and unicode values', () => {
  const samples = [
    'emoji 😀🎉👩‍👩‍👧',
    'line1\nline2\r\nline3',
    `quotes " and ' and \``,
    'back\\slash \\n not a newline',
    'tab\tand\u0000nul',
    'ünïcödé 中文 العربية',
    '   leading and trailing spaces   ',
    'OK',
    'PONG',
    'YmFy',
    'abcd',
    '',
  ];

  it('strings with emoji, newlines, quotes, NUL and base64-looking text round-trip exactly through set/get', async () => {
    const k = prefix();
    for (const [i, value] of samples.entries()) {
      expect(await redis.set(`${k}${i}`, value)).toBe('OK');
      expect(await redis.get(`${k}${i}`)).toBe(value);
    }
    expect(await redis.mget(samples.map((_, i) => `${k}${i}`))).toEqual(samples);
    expect(await backing.cli('STRLEN', `${k}0`)).toBe(String(Buffer.byteLength(samples[0]!)));
  });

  it('the same values round-trip as list elements, hash fields and values, set and sorted-set members', async () => {
    const k = prefix();
    const values = samples.filter((value) => value !== '');
    await redis.rpush(`${k}list`, ...values);
    expect(await redis.lrange(`${k}list`, 0, -1)).toEqual(values);
    await redis.hset(`${k}hash`, Object.fromEntries(values.map((value, i) => [`${value}#${i}`, value])));
    expect(await redis.hgetall(`${k}hash`)).toEqual(
      Object.fromEntries(values.map((value, i) => [`${value}#${i}`, value])),
    );
    await redis.sadd(`${k}set`, values[0]!, ...values.slice(1));
    expect([...(await redis.smembers(`${k}set`))].sort()).toEqual([...values].sort());
    await redis.zadd(
      `${k}zset`,
      ...(values.map((member, score) => ({ score, member })) as [{ score: number; member: string }]),
    );
    expect(await redis.zrange(`${k}zset`, 0, -1)).toEqual(values);
    expect(await redis.echo(values[0]!)).toBe(values[0]);
  });

  it('a 3 MB value round-trips intact', async () => {
    const k = prefix();
    const big = `${'0123456789abcdef'.repeat(196_608)}😀`;
    expect(await redis.set(k, big)).toBe('OK');
    expect(await redis.get(k)).toBe(big);
    expect(await redis.strlen(k)).toBe(Buffer.byteLength(big));
  });

  it('keys containing unicode, spaces, slashes and quotes work', async () => {
    const k = prefix();
    const keys = [`${k}ключ`, `${k}with space`, `${k}a/b/c`, `${k}"quoted"`, `${k}😀`];
    for (const key of keys) await redis.set(key, key);
    for (const key of keys) expect(await redis.get(key)).toBe(key);
    expect([...(await redis.keys(`${k}*`))].sort()).toEqual([...keys].sort());
  });
});

describe('concurrency', () => {
  it('200 concurrent incr calls through auto-pipelining yield exactly 1..200', async () => {
    const k = `${prefix()}counter`;
    const results = await Promise.all(Array.from({ length: 200 }, () => redis.incr(k)));
    expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(await redis.get(k)).toBe(200);
  });

  it('100 concurrent set-then-get pairs on distinct keys each read their own value', async () => {
    const k = prefix();
    const results = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        await redis.set(`${k}${i}`, `value-${i}`);
        return redis.get(`${k}${i}`);
      }),
    );
    expect(results).toEqual(Array.from({ length: 100 }, (_, i) => `value-${i}`));
  });

  it('50 concurrent multi() transactions all succeed and each applies atomically', async () => {
    const k = prefix();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => redis.multi().incr(`${k}a`).incr(`${k}b`).exec()),
    );
    for (const [a, b] of results) expect(a).toBe(b);
    expect(results.map(([a]) => a).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    expect(await redis.mget(`${k}a`, `${k}b`)).toEqual([50, 50]);
  });
});

describe('errors', () => {
  it('a command against a key of the wrong type rejects with a WRONGTYPE error', async () => {
    const k = prefix();
    await redis.lpush(`${k}list`, 'a');
    await expect(redis.get(`${k}list`)).rejects.toThrow(/WRONGTYPE/);
    await expect(redis.hgetall(`${k}list`)).rejects.toThrow(/WRONGTYPE/);
    await expect(redis.zrange(`${k}list`, 0, -1)).rejects.toThrow(/WRONGTYPE/);
    expect(await redis.lrange(`${k}list`, 0, -1)).toEqual(['a']);
  });

  it('a client with a wrong token rejects with the 401 error text', async () => {
    const bad = new Redis({ url, token: 'not-the-token' });
    await expect(bad.get(`${prefix()}a`)).rejects.toThrow(errors.unauthorized);
    await expect(bad.dbsize()).rejects.toThrow(errors.unauthorized);
    await expect(bad.pipeline().get('a').exec()).rejects.toThrow(errors.unauthorized);
  });

  it('the read-only token can read but a write rejects with NOPERM and changes nothing', async () => {
    const k = prefix();
    const readOnly = new Redis({ url, token: READ_ONLY_TOKEN });
    await redis.set(`${k}a`, 'visible');
    expect(await readOnly.get(`${k}a`)).toBe('visible');
    expect(await readOnly.exists(`${k}a`)).toBe(1);
    await expect(readOnly.set(`${k}a`, 'changed')).rejects.toThrow(/NOPERM/);
    await expect(readOnly.incr(`${k}n`)).rejects.toThrow(/NOPERM/);
    await expect(readOnly.keys('*')).rejects.toThrow(/NOPERM/);
    const mixed = await readOnly.pipeline().get(`${k}a`).set(`${k}a`, 'changed').exec({ keepErrors: true });
    expect(mixed[0].result).toBe('visible');
    expect(mixed[1].error).toMatch(/NOPERM/);
    expect(await redis.get(`${k}a`)).toBe('visible');
    expect(await redis.exists(`${k}n`)).toBe(0);
  });
});
