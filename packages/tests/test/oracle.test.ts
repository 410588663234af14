import { Redis } from '@restash/core';
import { prefix, TOKEN, useStack } from '@restash/test-harness';
import { Redis as UpstashRedis } from '@upstash/redis';
import { afterAll, describe, expect, it } from 'vitest';
import { type Client, type Loose, moreSteps, type Step } from './oracle-steps.js';

/**
 * The oracle: one scripted sequence of commands run through @restash/core and
 * through @upstash/redis 1.39.0 (from npm) against the same server, each on its
 * own key prefix; the results must be the same.
 */
const stack = useStack();

const steps: Step[] = [
  ['SET object', (c, k) => c.set(k('obj'), { a: [1, 'x'], b: null })],
  ['GET object', (c, k) => c.get(k('obj'))],
  ['SET NX on an existing key', (c, k) => c.set(k('obj'), 'v', { nx: true })],
  ['SET XX GET EX', (c, k) => c.set(k('obj'), 'plain', { xx: true, get: true, ex: 100 })],
  ['TTL', (c, k) => c.ttl(k('obj'))],
  ['SET number, GET', (c, k) => c.set(k('n'), 41).then(() => c.get(k('n')))],
  ['INCR', (c, k) => c.incr(k('n'))],
  ['INCRBY', (c, k) => c.incrby(k('n'), 8)],
  ['DECR', (c, k) => c.decr(k('n'))],
  ['INCRBYFLOAT', (c, k) => c.incrbyfloat(k('f'), 1.5)],
  ['SET boolean, GET', (c, k) => c.set(k('bool'), true).then(() => c.get(k('bool')))],
  ['SET text that starts like JSON', (c, k) => c.set(k('t'), 'abc123').then(() => c.get(k('t')))],
  ['APPEND', (c, k) => c.append(k('t'), '!')],
  ['GETRANGE', (c, k) => c.getrange(k('t'), 0, 2)],
  ['STRLEN', (c, k) => c.strlen(k('t'))],
  ['MSET', (c, k) => c.mset({ [k('m1')]: 'one', [k('m2')]: { two: 2 } })],
  ['MGET', (c, k) => c.mget(k('m1'), k('m2'), k('nope'))],
  ['SETNX', (c, k) => c.setnx(k('m1'), 'x')],
  ['GETDEL', (c, k) => c.getdel(k('m1'))],
  ['HSET', (c, k) => c.hset(k('h'), { name: 'ada', age: 36, nested: { x: 1 } })],
  ['HGET', (c, k) => c.hget(k('h'), 'age')],
  ['HGETALL', (c, k) => c.hgetall(k('h'))],
  ['HGETALL missing', (c, k) => c.hgetall(k('nope'))],
  ['HMGET', (c, k) => c.hmget(k('h'), 'name', 'nope')],
  ['HINCRBY', (c, k) => c.hincrby(k('h'), 'age', 1)],
  ['HEXISTS', (c, k) => c.hexists(k('h'), 'name')],
  ['HLEN', (c, k) => c.hlen(k('h'))],
  ['HDEL', (c, k) => c.hdel(k('h'), 'nested')],
  ['HKEYS', (c, k) => c.hkeys(k('h')).then((keys) => (keys as string[]).sort())],
  ['RPUSH', (c, k) => c.rpush(k('l'), 'a', 'b', { c: 3 }, 4)],
  ['LPUSH', (c, k) => c.lpush(k('l'), 'z')],
  ['LRANGE', (c, k) => c.lrange(k('l'), 0, -1)],
  ['LINDEX', (c, k) => c.lindex(k('l'), 3)],
  ['LLEN', (c, k) => c.llen(k('l'))],
  ['LPOP', (c, k) => c.lpop(k('l'))],
  ['RPOP', (c, k) => c.rpop(k('l'))],
  ['LPOS', (c, k) => c.lpos(k('l'), 'b')],
  ['LSET, LTRIM', (c, k) => c.lset(k('l'), 0, 'A').then(() => c.ltrim(k('l'), 0, 1))],
  ['SADD', (c, k) => c.sadd(k('s'), 'x', 'y', 'z')],
  ['SMEMBERS', (c, k) => c.smembers(k('s')).then((members) => (members as string[]).sort())],
  ['SISMEMBER', (c, k) => c.sismember(k('s'), 'y')],
  ['SCARD', (c, k) => c.scard(k('s'))],
  ['SREM', (c, k) => c.srem(k('s'), 'x', 'nope')],
  [
    'ZADD',
    (c, k) =>
      c.zadd(k('z'), { score: 1, member: 'a' }, { score: 2.5, member: 'b' }, { score: 3, member: 'c' }),
  ],
  ['ZADD NX', (c, k) => c.zadd(k('z'), { nx: true }, { score: 9, member: 'a' })],
  ['ZSCORE', (c, k) => c.zscore(k('z'), 'b')],
  ['ZRANGE', (c, k) => c.zrange(k('z'), 0, -1)],
  [
    'ZRANGE by score, reversed, paged',
    (c, k) => c.zrange(k('z'), '+inf', 2, { byScore: true, rev: true, offset: 0, count: 5 }),
  ],
  ['ZRANK', (c, k) => c.zrank(k('z'), 'c')],
  ['ZINCRBY', (c, k) => c.zincrby(k('z'), 2, 'a')],
  ['ZCARD', (c, k) => c.zcard(k('z'))],
  ['ZCOUNT', (c, k) => c.zcount(k('z'), 2, 3)],
  ['ZREM', (c, k) => c.zrem(k('z'), 'c')],
  ['PFADD, PFCOUNT', (c, k) => c.pfadd(k('hll'), 'a', 'b').then(() => c.pfcount(k('hll')))],
  ['SETBIT, BITCOUNT', (c, k) => c.setbit(k('bits'), 3, 1).then(() => c.bitcount(k('bits')))],
  ['EXISTS', (c, k) => c.exists(k('n'), k('nope'), k('h'))],
  ['EXPIRE, PERSIST', (c, k) => c.expire(k('n'), 100).then(() => c.persist(k('n')))],
  ['TYPE', (c, k) => Promise.all([c.type(k('h')), c.type(k('l')), c.type(k('nope'))])],
  ['RENAME', (c, k) => c.rename(k('n'), k('n2'))],
  ['DEL', (c, k) => c.del(k('n2'), k('nope'))],
  ['XADD, XLEN', (c, k) => c.xadd(k('x'), '*', { a: 1 }).then(() => c.xlen(k('x')))],
  [
    'GEOADD, GEODIST',
    (c, k) =>
      c
        .geoadd(
          k('g'),
          { longitude: 13.361389, latitude: 38.115556, member: 'p' },
          { longitude: 15.087269, latitude: 37.502669, member: 'c' },
        )
        .then(() => c.geodist(k('g'), 'p', 'c', 'KM')),
  ],
  ['EVAL', (c, k) => c.eval('return {KEYS[1], ARGV[1]}', [k('e')], ['{"j":1}'])],
  [
    'script exec (EVALSHA with EVAL fallback)',
    (c, k) =>
      c.createScript(`return redis.call('INCRBY', KEYS[1], ARGV[1]) -- ${k('')}`).exec([k('sc')], [7]),
  ],
  ['PING', (c) => c.ping()],
  ['PUBLISH', (c, k) => c.publish(k('chan'), { hello: 1 })],
  [
    'pipeline',
    (c, k) => {
      const p = c.pipeline();
      p.set(k('p'), 1);
      p.incr(k('p'));
      p.get(k('p'));
      p.hset(k('ph'), { f: 'v' });
      p.hgetall(k('ph'));
      return p.exec();
    },
  ],
  [
    'multi',
    (c, k) => {
      const m = c.multi();
      m.incr(k('tx'));
      m.incr(k('tx'));
      m.get(k('tx'));
      return m.exec();
    },
  ],
  [
    'concurrent (auto-pipelined) commands',
    (c, k) => Promise.all([c.incr(k('auto')), c.incr(k('auto')), c.get(k('auto'))]),
  ],
  ...moreSteps,
];

/**
 * Commands both clients have whose results differ on purpose (each difference is
 * in the README's migration table) or that cannot be compared step by step here;
 * the second test shows the documented shapes side by side for the main ones.
 */
const DIFFERENT: Record<string, string> = {
  zpopmin: 'scores: { member, score }[] instead of a flat [member, score, …]',
  zpopmax: 'scores: { member, score }[] instead of a flat [member, score, …]',
  zscan: 'scores are numbers (upstash: flat list with the scores as parsed JSON)',
  xrange: '{ id, fields }[] instead of an object keyed by ID',
  xrevrange: '{ id, fields }[] instead of an object keyed by ID',
  xread: '{ stream, entries }[] instead of raw nested arrays',
  xreadgroup: '{ stream, entries }[] instead of raw nested arrays',
  xautoclaim: '{ next, entries, deleted } instead of raw nested arrays',
  xclaim: '{ id, fields }[] instead of raw nested arrays; other argument order',
  xpending: 'a summary object or { id, consumer, idleMs, deliveries }[]; other argument order',
  xinfo: 'objects instead of flat field/value arrays',
  xtrim: '{ type, comparison, threshold } instead of { strategy, exactness, threshold }',
  geosearch: 'another signature (center and shape as objects) and { member, dist?, hash?, coord? } results',
  geosearchstore: 'another signature (center and shape as objects)',
  geopos: 'null in place of missing members, fields longitude/latitude',
  copy: '1/0 instead of COPIED/NOT_COPIED',
  bitfield: 'an array of operations instead of a chained builder',
  lmpop: '(keys, side, count) without numKeys',
  subscribe: 'streams over server-sent events; compared in subscribe.test.ts',
  psubscribe: 'streams over server-sent events; compared in subscribe.test.ts',
  scriptFlush: "'ASYNC' | 'SYNC' instead of { async: true } | { sync: true }",
  flushdb: 'not run here: it would empty the Redis that the other suites of this run share',
  flushall: 'not run here: it would empty the Redis that the other suites of this run share',
};

/** The command methods (and namespaces) that both clients have. */
function commonCommands(ours: object, theirs: object): string[] {
  const names = (client: object) => {
    const found = new Set<string>();
    for (let o = client; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
      for (const name of Object.getOwnPropertyNames(o)) found.add(name);
    }
    return found;
  };
  const mine = names(ours);
  const internal = new Set(['constructor', 'pipeline', 'multi', 'createScript', 'use']);
  return [...names(theirs)]
    .filter((name) => mine.has(name) && !internal.has(name) && typeof (theirs as Loose)[name] === 'function')
    .sort();
}

/** Our client, recording which of its methods (and namespaced methods, as `json.set`) the steps call. */
function recording(client: Client, called: Set<string>): Client {
  return new Proxy(client, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof name === 'string' && typeof value === 'function') called.add(name);
      if (typeof name === 'string' && (name === 'json' || name === 'functions')) called.add(name);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

let coverage: { both: number; compared: number } | undefined;

/** Replaces a key prefix in every string of a result, so the two runs compare equal. */
function normalize(value: unknown, from: string): unknown {
  if (typeof value === 'string') return value.split(from).join('<p>');
  if (Array.isArray(value)) return value.map((item) => normalize(item, from));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key.split(from).join('<p>'), normalize(item, from)]),
    );
  }
  return value;
}

async function runAll(client: Client, p: string, upstash: boolean): Promise<[string, unknown][]> {
  const out: [string, unknown][] = [];
  for (const [name, run] of steps) {
    try {
      out.push([name, normalize(await run(client, (key) => `${p}${key}`, upstash), p)]);
    } catch (error) {
      // @upstash/redis appends ", command was: [...]" (the arguments) to Redis's text; ours is Redis's text alone.
      out.push([name, `threw: ${normalize((error as Error).message.replace(/, command was: .*$/s, ''), p)}`]);
    }
  }
  return out;
}

describe('oracle: @restash/core and @upstash/redis against the same server', () => {
  afterAll(() => {
    if (coverage) {
      console.log(
        `oracle: ${steps.length} steps; ${coverage.compared} of the ${coverage.both} commands both clients have compared, ${Object.keys(DIFFERENT).length} documented as different`,
      );
    }
  });

  it('return the same results for the same scripted sequence', async () => {
    const ours = new Redis({ url: stack.server.url, token: TOKEN }) as unknown as Client;
    const theirs = new UpstashRedis({
      url: stack.server.url,
      token: TOKEN,
      enableTelemetry: false,
    }) as unknown as Client;
    const called = new Set<string>();
    const a = await runAll(recording(ours, called), prefix(), false);
    const b = await runAll(theirs, prefix(), true);
    expect(a.map(([name]) => name)).toEqual(steps.map(([name]) => name));
    const differences = a
      .map(([name, restash], i) => ({ name, restash, upstash: b[i]?.[1] }))
      .filter(({ restash, upstash }) => JSON.stringify(restash) !== JSON.stringify(upstash));
    expect(differences).toEqual([]);
    // Every command method both clients have is run by a step, or listed with the reason it differs.
    const both = commonCommands(ours, theirs);
    const uncovered = both.filter((name) => !called.has(name) && !(name in DIFFERENT));
    expect(uncovered).toEqual([]);
    coverage = { both: both.length, compared: both.filter((name) => called.has(name)).length };
  });

  it('differ where @restash/core returns a more useful shape (documented in the README)', async () => {
    const ours = new Redis({ url: stack.server.url, token: TOKEN });
    const theirs = new UpstashRedis({ url: stack.server.url, token: TOKEN, enableTelemetry: false });
    const p = prefix();
    await ours.zadd(`${p}z`, { score: 1, member: 'a' }, { score: 2, member: 'b' });
    expect(await ours.zrange(`${p}z`, 0, -1, { withScores: true })).toEqual([
      { member: 'a', score: 1 },
      { member: 'b', score: 2 },
    ]);
    expect(await theirs.zrange(`${p}z`, 0, -1, { withScores: true })).toEqual(['a', 1, 'b', 2]);
    await ours.set(`${p}123`, 1);
    expect(await ours.keys(`${p}1*`)).toEqual([`${p}123`]);
    const id = (await ours.xadd(`${p}x`, '*', { a: 1 })) as string;
    expect(await ours.xrange(`${p}x`)).toEqual([{ id, fields: { a: 1 } }]);
    expect(await theirs.xrange(`${p}x`, '-', '+')).toEqual({ [id]: { a: 1 } });
    await ours.set(`${p}digits`, '12345');
    expect(await ours.getrange(`${p}digits`, 0, 2)).toBe('123');
    expect(await theirs.getrange(`${p}digits`, 0, 2)).toBe(123);
    await ours.set(`${p}bin`, new Uint8Array([0xff, 0x00]));
    expect(await ours.getBytes(`${p}bin`)).toEqual(new Uint8Array([0xff, 0x00]));
    expect(await theirs.get(`${p}bin`)).toBe('\ufffd\u0000');
  });
});
