import type { Redis } from '@restash/core';
import { prefix, useStack } from '@restash/test-harness';
import { beforeAll, describe, expect, it } from 'vitest';

// The client's administration methods, against a server whose operator allowed them (they are refused by default).
const stack = useStack({
  server: { allowCommands: ['LASTSAVE', 'CONFIG', 'SLOWLOG', 'ROLE', 'LATENCY'] },
});
const p = prefix();
let redis: Redis;
beforeAll(() => {
  redis = stack.client();
});

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

describe('server administration', () => {
  it('reads and changes the configuration and lists commands', async () => {
    expect(await redis.configSet({ 'slowlog-log-slower-than': 0 })).toBe('OK');
    expect(await redis.configGet('slowlog-log-slower-than', 'hz')).toEqual({
      'slowlog-log-slower-than': '0',
      hz: expect.any(String),
    });
    expect(await redis.commandCount()).toBeGreaterThan(200);
    expect(await redis.commandList({ pattern: 'xadd' })).toEqual(['xadd']);
    expect(await redis.commandGetkeys(['MSET', 'a', '1', 'b', '2'])).toEqual(['a', 'b']);
    expect(await redis.commandGetkeysandflags(['LMOVE', 'a', 'b', 'LEFT', 'RIGHT'])).toEqual([
      { key: 'a', flags: ['RW', 'access', 'delete'] },
      { key: 'b', flags: ['RW', 'insert'] },
    ]);
    const [info] = await redis.commandInfo('get');
    expect((info as unknown[])[0]).toBe('get');
    expect(Object.keys(await redis.commandDocs('get'))).toEqual(['get']);
    expect(await redis.configResetstat()).toBe('OK');
  });

  it('reads and resets the slow log', async () => {
    await redis.configSet({ 'slowlog-log-slower-than': 0 });
    await redis.set(`${p}slow`, 'v');
    const entries = await redis.slowlogGet(-1);
    const entry = entries.find((e) => e.args[0] === 'SET' && e.args[1] === `${p}slow`);
    expect(entry).toMatchObject({ args: ['SET', `${p}slow`, 'v'], durationMicros: expect.any(Number) });
    expect(await redis.slowlogLen()).toBeGreaterThan(0);
    expect(await redis.slowlogReset()).toBe('OK');
    await redis.configSet({ 'slowlog-log-slower-than': 10_000 });
  });

  it('answers ACL, ROLE, LOLWUT, MEMORY and LATENCY queries', async () => {
    expect(await redis.aclWhoami()).toBe('default');
    expect(await redis.aclUsers()).toContain('default');
    expect(await redis.aclCat()).toContain('string');
    expect(await redis.aclGetuser('default')).toMatchObject({ flags: expect.arrayContaining(['on']) });
    expect(await redis.aclGetuser(`${p}nobody`)).toBeNull();
    expect(await redis.aclSetuser(`${p}user`, 'on', '>secret-pass', '~*', '+get')).toBe('OK');
    expect(await redis.aclDryrun(`${p}user`, 'GET', 'k')).toBe('OK');
    expect(await redis.aclDryrun(`${p}user`, 'SET', 'k', 'v')).toMatch(/no permissions/);
    const token = await redis.aclRestToken(`${p}user`, 'secret-pass');
    expect(typeof token).toBe('string');
    expect(await redis.aclDeluser(`${p}user`)).toBe(1);
    expect(await redis.aclGenpass(64)).toMatch(/^[0-9a-f]{16}$/);
    expect((await redis.role())[0]).toBe('master');
    expect(await redis.lolwut({ version: 5 })).toMatch(/Redis ver\./);
    expect(await redis.memoryStats()).toHaveProperty('peak.allocated');
    expect(typeof (await redis.memoryDoctor())).toBe('string');
    expect(await redis.latencyLatest()).toEqual(expect.any(Array));
    expect(await redis.latencyReset()).toBeGreaterThanOrEqual(0);
  });

  it('moves keys between databases, publishes to shard channels and knows when no script runs', async () => {
    await redis.set(`${p}mv`, 1);
    expect(await redis.move(`${p}mv`, 1)).toBe(1);
    expect(await redis.exists(`${p}mv`)).toBe(0);
    expect(await redis.swapdb(0, 1)).toBe('OK');
    expect(await redis.get(`${p}mv`)).toBe(1);
    expect(await redis.swapdb(0, 1)).toBe('OK');
    expect(await redis.spublish(`${p}shard`, 'x')).toBe(0);
    expect(await redis.pubsubShardnumsub(`${p}shard`)).toEqual({ [`${p}shard`]: 0 });
    expect(await redis.pubsubShardchannels()).toEqual([]);
    await expect(redis.scriptKill()).rejects.toThrow(/^NOTBUSY/);
    await expect(redis.functionKill()).rejects.toThrow(/^NOTBUSY/);
  });
});

/** Commands a REST client cannot or should not have a method for, and why. */
const NOT_OFFERED: Record<string, string> = {
  ...Object.fromEntries(
    'blpop brpop brpoplpush blmove blmpop bzpopmin bzpopmax bzmpop wait waitaof'
      .split(' ')
      .map((name) => [name, 'blocks a connection; HTTP is request/response']),
  ),
  ...Object.fromEntries(
    'auth hello select client reset quit readonly readwrite asking multi exec discard watch unwatch sync psync replconf'
      .split(' ')
      .map((name) => [name, 'connection or session state; the server refuses it']),
  ),
  ...Object.fromEntries(
    'subscribe unsubscribe psubscribe punsubscribe ssubscribe sunsubscribe monitor'
      .split(' ')
      .map((name) => [name, 'a streaming endpoint (redis.subscribe / redis.psubscribe)']),
  ),
  ...Object.fromEntries(
    'georadius georadius_ro georadiusbymember georadiusbymember_ro zrangebyscore zrangebylex zrevrange zrevrangebyscore zrevrangebylex substr'
      .split(' ')
      .map((name) => [name, 'deprecated: geosearch, zrange and getrange do it']),
  ),
  ...Object.fromEntries(
    'shutdown failover replicaof slaveof cluster module debug migrate restore-asking pfdebug pfselftest script|debug'
      .split(' ')
      .map((name) => [name, 'stops the server, changes replication or is internal']),
  ),
};

describe('command coverage', () => {
  it('has a method for every Redis 7 command the running Redis documents, except the ones a REST client cannot use', async () => {
    const method = (name: string) =>
      name.toLowerCase().replace(/[|_-]([a-z])/g, (_, c: string) => c.toUpperCase());
    const docs = await redis.commandDocs();
    const missing: string[] = [];
    const check = (name: string, doc: unknown) => {
      const fields = Object.fromEntries(
        Array.from({ length: (doc as unknown[]).length / 2 }, (_, i) => [
          String((doc as unknown[])[2 * i]),
          (doc as unknown[])[2 * i + 1],
        ]),
      );
      if (Number(String(fields.since).split('.')[0]) >= 8) return;
      if (
        name in NOT_OFFERED ||
        name.endsWith('|help') ||
        typeof (redis as unknown as Record<string, unknown>)[method(name)] === 'function'
      )
        return;
      const subcommands = fields.subcommands as unknown[] | undefined;
      if (subcommands?.length) {
        for (let i = 0; i < subcommands.length; i += 2) check(String(subcommands[i]), subcommands[i + 1]);
        return;
      }
      missing.push(name);
    };
    for (const [name, doc] of Object.entries(docs)) check(name, doc);
    expect(Object.keys(docs).length).toBeGreaterThan(200);
    expect(missing).toEqual([]);
  });
});

describe('administration on a server with the default settings', () => {
  const plain = useStack();

  it('surfaces the refusal as a RestashError and leaves Redis unchanged', async () => {
    const client = plain.client({ retry: false });
    await expect(client.configSet({ maxmemory: '1mb' })).rejects.toMatchObject({
      name: 'RestashError',
      message: expect.stringContaining("Command is not available: 'CONFIG SET'"),
    });
    expect(await plain.redis.cli('CONFIG', 'GET', 'maxmemory')).toBe('maxmemory\n0');
  });
});
