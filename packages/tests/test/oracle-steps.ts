import type { Redis } from '@restash/core';

/** Both clients are driven through our typed surface; @upstash/redis takes the same arguments for these steps. */
export type Client = Redis;

/** One step of the oracle: run on each client with its own key prefix; `upstash` says which client it is. */
export type Step = [
  name: string,
  run: (c: Client, k: (name: string) => string, upstash: boolean) => Promise<unknown>,
];

/** A client typed loosely, for the few steps where @upstash/redis takes other arguments than ours. */
export type Loose = Record<string, (...args: unknown[]) => Promise<unknown>>;

const loose = (c: Client) => c as unknown as Loose;

/** Every key of a scan with `match`, sorted: the cursors themselves depend on the whole database. */
async function scanAll(
  step: (cursor: string) => Promise<[unknown, unknown[]]>,
  every = 1,
): Promise<unknown[]> {
  const out: unknown[] = [];
  let cursor = '0';
  do {
    const [next, items] = await step(cursor);
    for (let i = 0; i < items.length; i += every) out.push(items.slice(i, i + every));
    cursor = String(next);
  } while (cursor !== '0');
  return out.map((item) => JSON.stringify(item)).sort();
}

/**
 * For commands newer than the Redis under test: the result where Redis has the
 * command, `'failed'` where it does not (@upstash/redis then fails in its own
 * way, sometimes client-side).
 */
const newer = (run: Promise<unknown>) => run.catch(() => 'failed');

/** A fixed time far ahead, so both runs send the same arguments. */
const LATER = 4_000_000_000;

/**
 * The steps that extend the oracle to every command method both clients have
 * (the first steps are in oracle.test.ts). Hash-field expiry and HGETDEL/HGETEX/
 * HSETEX need Redis 7.4/8: on an older Redis both clients must fail.
 */
export const moreSteps: Step[] = [
  // Strings
  [
    'SETEX, PSETEX, PTTL',
    (c, k) =>
      c
        .setex(k('sx'), 100, 'a')
        .then(() => c.psetex(k('px'), 100_000, 'b'))
        .then(() => c.pttl(k('sx')).then((ms) => ms > 0)),
  ],
  ['GETSET', (c, k) => c.getset(k('sx'), { replaced: true })],
  [
    'GETEX with an expiry',
    (c, k) => c.getex(k('sx'), { ex: 50 }).then(async (value) => [value, await c.ttl(k('sx'))]),
  ],
  [
    'SETRANGE, GET',
    (c, k) =>
      c
        .set(k('sr'), 'Hello World')
        .then(() => c.setrange(k('sr'), 6, 'Redis'))
        .then(async (n) => [n, await c.get(k('sr'))]),
  ],
  ['DECRBY', (c, k) => c.set(k('d'), 10).then(() => c.decrby(k('d'), 3))],
  [
    'MSETNX',
    (c, k) =>
      c
        .msetnx({ [k('mn1')]: 'a', [k('mn2')]: { b: 1 } })
        .then(async (n) => [n, await c.mget(k('mn1'), k('mn2'))]),
  ],
  ['MSETNX on an existing key', (c, k) => c.msetnx({ [k('mn1')]: 'x', [k('mn3')]: 'y' })],
  ['ECHO', (c) => c.echo('hello')],
  [
    'exec (sendCommand under the @upstash/redis name)',
    (c, k) => c.exec(['SET', k('raw'), 'v']).then(() => c.exec(['STRLEN', k('raw')])),
  ],
  // Bitmaps
  [
    'GETBIT, BITPOS',
    (c, k) =>
      c.setbit(k('b2'), 9, 1).then(async () => [await c.getbit(k('b2'), 9), await c.bitpos(k('b2'), 1)]),
  ],
  ['BITOP', (c, k) => c.set(k('b3'), 'ab').then(() => c.bitop('and', k('b4'), k('b3'), k('b2')))],
  // Keys
  [
    'EXPIREAT, PEXPIRE, PEXPIREAT',
    async (c, k) => {
      await c.set(k('e1'), 1);
      const at = Math.floor(Date.now() / 1000) + 1000;
      return [
        await c.expireat(k('e1'), at),
        await c.pexpire(k('e1'), 500_000),
        await c.pexpireat(k('e1'), at * 1000),
        (await c.ttl(k('e1'))) > 0,
      ];
    },
  ],
  [
    'RENAMENX',
    (c, k) =>
      c
        .set(k('rn1'), 1)
        .then(() => c.set(k('rn2'), 2))
        .then(() => c.renamenx(k('rn1'), k('rn2'))),
  ],
  [
    'TOUCH, UNLINK',
    (c, k) =>
      c
        .set(k('t1'), 1)
        .then(async () => [await c.touch(k('t1'), k('nope')), await c.unlink(k('t1'), k('nope'))]),
  ],
  [
    'KEYS with a pattern',
    (c, k) =>
      c
        .mset({ [k('kp:a')]: 1, [k('kp:b')]: 2 })
        .then(() => c.keys(k('kp:*')))
        .then((keys) => keys.sort()),
  ],
  [
    'SCAN with match, to the end',
    (c, k) => scanAll((cursor) => c.scan(cursor, { match: k('kp:*'), count: 100 })),
  ],
  ['RANDOMKEY', (c) => c.randomkey().then((key) => typeof key)],
  ['DBSIZE', (c) => c.dbsize().then((n) => typeof n)],
  ['TIME', (c) => c.time().then((t) => t.map((part) => typeof part))],
  // Hashes
  [
    'HMSET, HVALS, HSTRLEN',
    (c, k) =>
      c
        .hmset(k('h2'), { a: 'x', b: { y: 1 } })
        .then(async (ok) => [
          ok,
          (await c.hvals(k('h2'))).map((v) => JSON.stringify(v)).sort(),
          await c.hstrlen(k('h2'), 'b'),
        ]),
  ],
  ['HSETNX', (c, k) => Promise.all([c.hsetnx(k('h2'), 'a', 'no'), c.hsetnx(k('h2'), 'c', 3)])],
  ['HINCRBYFLOAT', (c, k) => c.hincrbyfloat(k('h2'), 'f', 1.25)],
  [
    'HRANDFIELD of a one-field hash',
    (c, k) =>
      c
        .hset(k('h3'), { only: 'v' })
        .then(async () => [
          await c.hrandfield(k('h3')),
          await c.hrandfield(k('h3'), 1),
          await c.hrandfield(k('h3'), 1, true),
        ]),
  ],
  ['HSCAN with match', (c, k) => scanAll((cursor) => c.hscan(k('h2'), cursor, { match: '*' }), 2)],
  ['HEXPIRE (Redis 7.4+)', (c, k) => newer(c.hexpire(k('h2'), 'a', 100))],
  ['HPEXPIRE (Redis 7.4+)', (c, k) => newer(c.hpexpire(k('h2'), 'a', 100_000))],
  ['HEXPIREAT (Redis 7.4+)', (c, k) => newer(c.hexpireat(k('h2'), 'a', LATER))],
  ['HPEXPIREAT (Redis 7.4+)', (c, k) => newer(c.hpexpireat(k('h2'), 'a', LATER * 1000))],
  [
    'HTTL, HPTTL, HEXPIRETIME, HPEXPIRETIME, HPERSIST (Redis 7.4+)',
    (c, k) =>
      Promise.all([
        newer(c.httl(k('h2'), 'a')),
        newer(c.hpttl(k('h2'), 'a')),
        newer(c.hexpiretime(k('h2'), 'a')),
        newer(c.hpexpiretime(k('h2'), 'a')),
        newer(c.hpersist(k('h2'), 'a')),
      ]),
  ],
  ['HGETDEL (Redis 8)', (c, k) => newer(c.hgetdel(k('h2'), 'a'))],
  [
    'HGETEX (Redis 8)',
    (c, k, upstash) =>
      newer(upstash ? loose(c).hgetex!(k('h2'), { ex: 10 }, 'a') : c.hgetex(k('h2'), { ex: 10 }, 'a')),
  ],
  [
    'HSETEX (Redis 8)',
    (c, k, upstash) =>
      newer(
        upstash
          ? loose(c).hsetex!(k('h4'), { expiration: { ex: 10 } }, { a: 1 })
          : c.hsetex(k('h4'), { expiration: { ex: 10 } }, { a: 1 }),
      ),
  ],
  // Lists
  ['LINSERT', (c, k) => c.rpush(k('l2'), 'a', 'c').then(() => c.linsert(k('l2'), 'before', 'c', 'b'))],
  ['LPUSHX, RPUSHX', (c, k) => Promise.all([c.lpushx(k('l2'), 'z'), c.rpushx(k('nope'), 'z')])],
  ['LREM', (c, k) => c.rpush(k('l2'), 'a', 'a').then(() => c.lrem(k('l2'), 2, 'a'))],
  [
    'LMOVE, LRANGE',
    (c, k) =>
      c
        .lmove(k('l2'), k('l3'), 'left', 'right')
        .then(async (moved) => [moved, await c.lrange(k('l3'), 0, -1)]),
  ],
  [
    'LPOP and RPOP with a count',
    (c, k) =>
      c
        .rpush(k('l4'), 1, 2, 3, 4)
        .then(async () => [await c.lpop(k('l4'), 2), await c.rpop(k('l4'), 5), await c.lpop(k('l4'), 2)]),
  ],
  // Sets
  [
    'SDIFF, SINTER, SUNION',
    async (c, k) => {
      await c.sadd(k('s1'), 'a', 'b', 'c');
      await c.sadd(k('s2'), 'b', 'c', 'd');
      const sort = (list: unknown[]) => (list as string[]).sort();
      return [
        sort(await c.sdiff(k('s1'), k('s2'))),
        sort(await c.sinter(k('s1'), k('s2'))),
        sort(await c.sunion(k('s1'), k('s2'))),
      ];
    },
  ],
  [
    'SDIFFSTORE, SINTERSTORE, SUNIONSTORE',
    (c, k) =>
      Promise.all([
        c.sdiffstore(k('s3'), k('s1'), k('s2')),
        c.sinterstore(k('s4'), k('s1'), k('s2')),
        c.sunionstore(k('s5'), k('s1'), k('s2')),
      ]),
  ],
  ['SINTERCARD', (c, k) => c.sintercard([k('s1'), k('s2')], { limit: 10 })],
  [
    'SMISMEMBER, SMOVE',
    (c, k) => Promise.all([c.smismember(k('s1'), ['a', 'z']), c.smove(k('s1'), k('s2'), 'a')]),
  ],
  [
    'SPOP and SRANDMEMBER of a one-member set',
    (c, k) =>
      c
        .sadd(k('s6'), 'only')
        .then(async () => [
          await c.srandmember(k('s6')),
          await c.srandmember(k('s6'), 2),
          await c.spop(k('s6')),
          await c.spop(k('s6'), 2),
        ]),
  ],
  ['SSCAN with match', (c, k) => scanAll((cursor) => c.sscan(k('s2'), cursor, { match: '*' }))],
  // Sorted sets
  [
    'ZLEXCOUNT, ZREMRANGEBYLEX',
    (c, k) =>
      c
        .zadd(k('zl'), { score: 0, member: 'a' }, { score: 0, member: 'b' }, { score: 0, member: 'c' })
        .then(async () => [
          await c.zlexcount(k('zl'), '[a', '[b'),
          await c.zremrangebylex(k('zl'), '[a', '(c'),
        ]),
  ],
  [
    'ZREVRANK, ZMSCORE',
    (c, k) =>
      c
        .zadd(k('z2'), { score: 1, member: 'x' }, { score: 2, member: 'y' })
        .then(async () => [await c.zrevrank(k('z2'), 'x'), await c.zmscore(k('z2'), ['x', 'nope', 'y'])]),
  ],
  [
    'ZREMRANGEBYRANK, ZREMRANGEBYSCORE',
    (c, k) =>
      c
        .zadd(k('z3'), { score: 1, member: 'a' }, { score: 2, member: 'b' }, { score: 3, member: 'c' })
        .then(async () => [
          await c.zremrangebyrank(k('z3'), 0, 0),
          await c.zremrangebyscore(k('z3'), 3, '+inf'),
        ]),
  ],
  [
    'ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE in the @upstash/redis form with numKeys',
    (c, k) =>
      Promise.all([
        c.zunionstore(k('zu'), 2, [k('z2'), k('z3')], { weights: [1, 2] }),
        c.zinterstore(k('zi'), 2, [k('z2'), k('z2')], { aggregate: 'max' }),
        c.zdiffstore(k('zd'), 2, k('z2'), k('z3')),
      ]).then(async (counts) => [counts, await c.zrange(k('zu'), 0, -1)]),
  ],
  ['ZUNION in the @upstash/redis form, without scores', (c, k) => c.zunion(2, [k('z2'), k('z3')])],
  // HyperLogLog
  [
    'PFMERGE',
    (c, k) =>
      c
        .pfadd(k('hll2'), 'c')
        .then(() => c.pfmerge(k('hll3'), k('hll'), k('hll2')))
        .then(async (ok) => [ok, await c.pfcount(k('hll3'))]),
  ],
  // Geo
  ['GEOHASH', (c, k) => c.geohash(k('g'), 'p', 'c')],
  // Streams
  [
    'XGROUP CREATE, XACK, XDEL',
    async (c, k) => {
      const id = (await c.xadd(k('x2'), '*', { a: 1 })) as string;
      const created = await c.xgroup(k('x2'), { type: 'CREATE', group: 'g', id: '0' });
      return [created, await c.xack(k('x2'), 'g', id), await c.xdel(k('x2'), id), await c.xlen(k('x2'))];
    },
  ],
  // Scripting
  ['EVAL_RO', (c, k) => c.evalRo('return redis.call("GET", KEYS[1])', [k('t')], [])],
  [
    'SCRIPT LOAD, SCRIPT EXISTS, EVALSHA, EVALSHA_RO',
    async (c) => {
      const sha = await c.scriptLoad('return ARGV[1]');
      return [
        sha,
        await c.scriptExists(sha, '0000000000000000000000000000000000000000'),
        await c.evalsha(sha, [], ['x']),
        await c.evalshaRo(sha, [], ['y']),
      ];
    },
  ],
];
