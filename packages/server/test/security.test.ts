/**
 * The command rules that hold whatever the route: server administration refused
 * by default, the operator's allow and deny lists, what scripts can reach, and
 * the Redis ACL recipe that keeps a tenant on its database number.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, post, prefix, READ_ONLY_TOKEN, startRedis, startServer, type TestRedis } from './helpers.js';

let redis: TestRedis;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await redis.stop();
});

async function server(options: Parameters<typeof startServer>[0]) {
  const started = await startServer({ redisUrl: redis.url, ...options });
  closers.push(() => started.close());
  return started.baseUrl;
}

describe('operator command rules', () => {
  it('lets an allowed administration command through, and only that subcommand', async () => {
    const base = await server({ allowCommands: ['config|get', 'SLOWLOG'] });
    expect((await post(base, '/', ['CONFIG', 'GET', 'maxmemory'])).body).toEqual({
      result: ['maxmemory', '0'],
    });
    expect((await post(base, '/', ['SLOWLOG', 'LEN'])).status).toBe(200);
    expect((await post(base, '/', ['CONFIG', 'SET', 'maxmemory', '1'])).body).toEqual({
      error: "ERR Command is not available: 'CONFIG SET'",
    });
    // Allowed for the standard token only: a read-only token still runs reads alone.
    expect((await post(base, '/', ['SLOWLOG', 'LEN'], { token: READ_ONLY_TOKEN })).status).toBe(400);
  });

  it('refuses denied commands on every route and stream, and deny wins over allow', async () => {
    const base = await server({
      allowCommands: ['DEBUG'],
      denyCommands: ['eval', 'FLUSHALL', 'DEBUG', 'MONITOR', 'SUBSCRIBE', 'OBJECT|FREQ'],
    });
    const k = prefix();
    await post(base, '/', ['SET', `${k}a`, 'v']);
    const error = (name: string) => ({ error: `ERR Command is not available: '${name}'` });
    expect((await post(base, '/', ['EVAL', 'return 1', 0])).body).toEqual(error('EVAL'));
    expect((await post(base, '/pipeline', [['FLUSHALL']])).body).toEqual([error('FLUSHALL')]);
    expect((await post(base, '/multi-exec', [['PING'], ['flushall']])).body).toEqual(error('FLUSHALL'));
    expect((await call(base, '/debug/sleep/0')).body).toEqual(error('DEBUG'));
    expect((await post(base, '/', ['OBJECT', 'FREQ', `${k}a`])).body).toEqual(error('OBJECT FREQ'));
    expect((await post(base, '/', ['OBJECT', 'ENCODING', `${k}a`])).status).toBe(200);
    expect(await call(base, '/monitor')).toMatchObject({ status: 400, body: error('MONITOR') });
    expect(await call(base, '/subscribe/c')).toMatchObject({ status: 400, body: error('SUBSCRIBE') });
    expect((await call(base, `/get/${encodeURIComponent(`${k}a`)}`)).body).toEqual({ result: 'v' });
    expect(await redis.cli('EXISTS', `${k}a`)).toBe('1');
  });
});

describe('scripts of a standard token', () => {
  it('cannot stop or reconfigure Redis: Redis refuses those commands inside scripts', async () => {
    const base = await server({});
    for (const call of [
      "redis.call('SHUTDOWN', 'NOSAVE')",
      "redis.call('CONFIG', 'SET', 'maxmemory', '1')",
      "redis.call('REPLICAOF', '127.0.0.1', '1')",
      "redis.call('SAVE')",
      "redis.call('BGREWRITEAOF')",
      "redis.call('MODULE', 'LIST')",
      "redis.call('FAILOVER')",
      "redis.call('DEBUG', 'SLEEP', '0')",
      "redis.call('ACL', 'SETUSER', 'x')",
    ]) {
      const res = await post(base, '/', ['EVAL', `return ${call}`, 0]);
      expect(res.status, call).toBe(400);
      expect((res.body as { error: string }).error, call).toMatch(/not allowed from script/);
    }
    expect(await redis.cli('PING')).toBe('PONG');
    expect(await redis.cli('CONFIG', 'GET', 'maxmemory')).toBe('maxmemory\n0');
  });
});

describe('tenants that share a Redis by database number', () => {
  it('stay on their own database with the documented Redis ACL user, also inside scripts', async () => {
    const user = `tenant${Math.random().toString(36).slice(2, 8)}`;
    await redis.cli(
      'ACL',
      'SETUSER',
      user,
      'on',
      '>tenantpass',
      '~*',
      '&*',
      '+@all',
      '-@admin',
      '-select',
      '+select|5',
      '-swapdb',
      '-move',
      '-flushall',
      '-migrate',
    );
    const k = prefix();
    await redis.cli('-n', '0', 'SET', `${k}secret`, 'tenant zero');
    const base = await server({ redisUrl: `redis://${user}:tenantpass@127.0.0.1:${redis.port}/5` });
    expect((await post(base, '/', ['SET', `${k}own`, 'mine'])).body).toEqual({ result: 'OK' });
    expect(await redis.cli('-n', '5', 'GET', `${k}own`)).toBe('mine');
    for (const attempt of [
      ['EVAL', "redis.call('SELECT', '0') return redis.call('GET', KEYS[1])", 1, `${k}secret`],
      ['EVAL', "return redis.call('SWAPDB', '0', '5')", 0],
      ['EVAL', "return redis.call('MOVE', KEYS[1], '0')", 1, `${k}own`],
      ['EVAL', "return redis.call('FLUSHALL')", 0],
      ['SWAPDB', '0', '5'],
      ['FLUSHALL'],
    ]) {
      const res = await post(base, '/', attempt);
      expect(res.status, String(attempt[1])).toBe(400);
      expect((res.body as { error: string }).error).toMatch(/NOPERM|can't run this command/);
    }
    expect(await redis.cli('-n', '0', 'GET', `${k}secret`)).toBe('tenant zero');
    expect(await redis.cli('-n', '5', 'GET', `${k}own`)).toBe('mine');
    await redis.cli('ACL', 'DELUSER', user);
  });
});
