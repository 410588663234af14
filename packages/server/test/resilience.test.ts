import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackendFailure } from '../src/backend/backend.js';
import { RedisConnection } from '../src/backend/connection.js';
import { createLogger, createServer, parseRedisUrl } from '../src/index.js';
import type { Reply } from '../src/resp/resp.js';
import {
  call,
  freePort,
  post,
  prefix,
  startRedis,
  startServer,
  type TestRedis,
  TOKEN,
  until,
} from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(options: Parameters<typeof startServer>[0] = {}, redisArgs: string[] = []) {
  const redis = await startRedis(redisArgs);
  cleanups.push(() => redis.stop());
  const server = await startServer({ redisUrl: redis.url, ...options });
  cleanups.push(() => server.close());
  return { redis, server, base: server.baseUrl };
}

describe('when Redis goes away', () => {
  it('answers 503 with a JSON error while Redis is down, then recovers after a restart', async () => {
    const { redis, base } = await setup();
    const k = prefix();
    expect((await post(base, '/', ['SET', `${k}a`, '1'])).status).toBe(200);
    await redis.kill();
    const down = await post(base, '/', ['GET', `${k}a`]);
    expect(down.status).toBe(503);
    expect((down.body as { error: string }).error).toMatch(/^ERR Redis is unreachable/);
    const pipeline = await post(base, '/pipeline', [['PING']]);
    expect(pipeline.status).toBe(503);
    const health = await call(base, '/-/ready', { token: null });
    expect(health.status).toBe(503);
    // Liveness is the process's: it stays up while Redis is away.
    expect((await call(base, '/-/health', { token: null })).status).toBe(200);
    await redis.start();
    await until(async () => (await post(base, '/', ['PING'])).status === 200);
    expect((await post(base, '/', ['SET', `${k}b`, '2'])).body).toEqual({ result: 'OK' });
    expect((await call(base, '/-/ready', { token: null })).status).toBe(200);
  });

  it('answers every request in flight when Redis dies mid-run, and none hangs', async () => {
    const { redis, base } = await setup();
    const k = prefix();
    let stop = false;
    const statuses: number[] = [];
    const load = Array.from({ length: 20 }, async () => {
      while (!stop) {
        const res = await post(base, '/pipeline', [
          ['INCR', `${k}n`],
          ['GET', `${k}n`],
        ]);
        statuses.push(res.status);
        if (res.status !== 200) {
          expect(res.body).toEqual({ error: expect.stringMatching(/^ERR Redis is unreachable/) });
        }
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await redis.kill();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await redis.start();
    await until(async () => statuses.slice(-20).filter((s) => s === 200).length === 20);
    stop = true;
    await Promise.all(load);
    expect(statuses).toContain(503);
    expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
  });

  it('answers 503 at once when Redis is unreachable from the start, and serves once it is up', async () => {
    const port = await freePort();
    const server = createServer({
      token: TOKEN,
      redisUrl: `redis://127.0.0.1:${port}`,
      port: 0,
      logger: createLogger('silent'),
    });
    cleanups.push(() => server.close());
    const base = await server.listen();
    const started = Date.now();
    const res = await post(base, '/', ['PING']);
    expect(res.status).toBe(503);
    expect((res.body as { error: string }).error).toContain('ECONNREFUSED');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('answers 504 when Redis stops answering, instead of hanging', async () => {
    const { base } = await setup({ commandTimeout: 300, allowCommands: ['DEBUG'] }, [
      '--enable-debug-command',
      'yes',
    ]);
    const res = await post(base, '/', ['DEBUG', 'SLEEP', '1']);
    expect(res.status).toBe(504);
    expect((res.body as { error: string }).error).toContain('did not answer within 300 ms');
    // The late reply is dropped, and later commands get their own replies (not the late OK).
    await until(async () => (await post(base, '/', ['PING'])).status === 200);
    expect((await post(base, '/', ['ECHO', 'after'])).body).toEqual({ result: 'after' });
  });

  it('starts over when Redis takes the connection but does not answer the handshake, and serves once it does', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    // Every command, the handshake's too, waits 1.5 s; the connection attempt itself succeeds.
    await redis.cli('CLIENT', 'PAUSE', '1500', 'ALL');
    const server = createServer({
      token: TOKEN,
      redisUrl: redis.url,
      port: 0,
      connectTimeout: 200,
      commandTimeout: 200,
      logger: createLogger('silent'),
    });
    cleanups.push(() => server.close());
    const listened = await Promise.race([
      server.listen(),
      new Promise<string>((resolve) => setTimeout(() => resolve('listen() never settled'), 10_000)),
    ]);
    expect(listened).toMatch(/^http:/);
    await until(async () => (await post(listened, '/', ['PING'])).status === 200);
    expect((await post(listened, '/', ['ECHO', 'up'])).body).toEqual({ result: 'up' });
  });

  it('answers a stream with an error when Redis does not confirm the subscription, instead of hanging', async () => {
    const { redis, base } = await setup({ commandTimeout: 300 });
    await redis.cli('CLIENT', 'PAUSE', '3000', 'ALL');
    const res = await call(base, '/subscribe/held');
    expect(res.status).toBe(503);
    expect((res.body as { error: string }).error).toContain('did not answer the subscription within 300 ms');
  });

  it('keeps the shared connection when a reply callback throws, and answers the other commands', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const connection = new RedisConnection({
      endpoint: parseRedisUrl(redis.url),
      log: createLogger('silent'),
      name: 'restash-test',
      connectTimeout: 2000,
      commandTimeout: 5000,
    });
    cleanups.push(async () => connection.close());
    await connection.connect();
    const after = new Promise<Reply[] | BackendFailure>((resolve) => {
      connection.send([['PING']], () => {
        throw new RangeError('Invalid string length');
      });
      connection.send([['ECHO', 'after']], resolve);
    });
    expect(await after).toEqual([Buffer.from('after')]);
    expect(connection.ready).toBe(true);
  });
});

describe('Redis URLs', () => {
  let redis: TestRedis;

  it('authenticates with user and password and selects the database from the URL', async () => {
    redis = await startRedis(['--requirepass', 'sekret']);
    cleanups.push(() => redis.stop());
    await redis.cli(
      '-a',
      'sekret',
      '--no-auth-warning',
      'ACL',
      'SETUSER',
      'app',
      'on',
      '>apppass',
      '~*',
      '+@all',
    );
    const server = await startServer({ redisUrl: `redis://app:apppass@127.0.0.1:${redis.port}/3` });
    cleanups.push(() => server.close());
    const k = prefix();
    expect((await post(server.baseUrl, '/', ['SET', `${k}a`, 'in-db-3'])).body).toEqual({ result: 'OK' });
    expect(await redis.cli('-a', 'sekret', '--no-auth-warning', '-n', '3', 'GET', `${k}a`)).toBe('in-db-3');
    expect(await redis.cli('-a', 'sekret', '--no-auth-warning', '-n', '0', 'EXISTS', `${k}a`)).toBe('0');
  });

  it('refuses to start with a wrong password: a configuration error naming the Redis reason', async () => {
    redis = await startRedis(['--requirepass', 'sekret']);
    cleanups.push(() => redis.stop());
    const server = createServer({
      token: TOKEN,
      redisUrl: `redis://:wrong@127.0.0.1:${redis.port}`,
      port: 0,
      logger: createLogger('silent'),
    });
    cleanups.push(() => server.close());
    await expect(server.listen()).rejects.toThrow(/Redis refused the credentials: .*WRONGPASS/);
  });

  it('answers 503 with the Redis reason when the password changes while running', async () => {
    redis = await startRedis(['--requirepass', 'sekret']);
    cleanups.push(() => redis.stop());
    const server = await startServer({ redisUrl: `redis://:sekret@127.0.0.1:${redis.port}` });
    cleanups.push(() => server.close());
    await redis.cli('-a', 'sekret', 'CONFIG', 'SET', 'requirepass', 'other');
    await redis.cli('-a', 'other', 'CLIENT', 'KILL', 'TYPE', 'normal');
    await until(async () => (await post(server.baseUrl, '/', ['PING'])).status === 503);
    const res = await post(server.baseUrl, '/', ['PING']);
    expect((res.body as { error: string }).error).toMatch(/WRONGPASS|invalid password/);
  });

  it('connects over a unix socket', async () => {
    const socket = `/tmp/restash-test-${process.pid}-${Date.now()}.sock`;
    redis = await startRedis(['--unixsocket', socket, '--unixsocketperm', '700']);
    cleanups.push(() => redis.stop());
    const server = await startServer({ redisUrl: `unix://${socket}` });
    cleanups.push(() => server.close());
    expect((await post(server.baseUrl, '/', ['PING'])).body).toEqual({ result: 'PONG' });
  });
});

describe('logs', () => {
  it('never contain a token or a value, even at debug level', async () => {
    const lines: string[] = [];
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const server = await startServer({
      redisUrl: redis.url,
      logger: createLogger('debug', (l) => lines.push(l)),
    });
    cleanups.push(() => server.close());
    const secret = 'a-very-secret-value-0123';
    await post(server.baseUrl, '/', ['SET', 'k', secret]);
    await call(server.baseUrl, `/set/k/${secret}?_token=${TOKEN}`, { token: null });
    await post(server.baseUrl, '/', ['GET', 'k'], { token: 'wrong-token-xyz' });
    const text = lines.join('');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(text).toContain('"command":"SET"');
    expect(text).not.toContain(secret);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('wrong-token-xyz');
  });
});

describe('shutdown', () => {
  it('answers requests in flight before close() resolves', async () => {
    const { base, server } = await setup({ allowCommands: ['DEBUG'] }, ['--enable-debug-command', 'yes']);
    const arrived = once(server.http, 'request');
    const slow = post(base, '/', ['DEBUG', 'SLEEP', '0.3']);
    await arrived;
    await server.close();
    expect((await slow).body).toEqual({ result: 'OK' });
  });

  it('settles listen() and stops what it started when close() comes while Redis is still connecting', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    await redis.cli('CLIENT', 'PAUSE', '3000', 'ALL');
    const server = createServer({
      token: TOKEN,
      redisUrl: redis.url,
      port: 0,
      connectTimeout: 10_000,
      commandTimeout: 10_000,
      logger: createLogger('silent'),
    });
    const listening = server.listen();
    listening.catch(() => {});
    await new Promise((resolve) => setImmediate(resolve));
    await server.close();
    await expect(listening).rejects.toThrow(/closed/);
    expect(server.http.listening).toBe(false);
    // Once Redis answers again, nothing of the server is left connected to it.
    await until(async () => !(await redis.cli('CLIENT', 'LIST')).includes('name=restash'));
  });
});

describe('TLS', () => {
  it('connects to a rediss:// Redis whose certificate is signed by a CA it was given', async () => {
    const { readFileSync } = await import('node:fs');
    const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
    const tlsPort = await freePort();
    const redis = await startRedis([
      '--tls-port',
      String(tlsPort),
      '--tls-cert-file',
      fixture('tls-cert.pem'),
      '--tls-key-file',
      fixture('tls-key.pem'),
      '--tls-auth-clients',
      'no',
    ]);
    cleanups.push(() => redis.stop());
    const ca = readFileSync(fixture('tls-cert.pem'), 'utf8');
    const trusted = await startServer({ redisUrl: `rediss://localhost:${tlsPort}`, redisTlsCa: ca });
    cleanups.push(() => trusted.close());
    expect((await post(trusted.baseUrl, '/', ['SET', 'over', 'tls'])).body).toEqual({ result: 'OK' });
    expect(await redis.cli('GET', 'over')).toBe('tls');

    const untrusted = await startServer({ redisUrl: `rediss://localhost:${tlsPort}` });
    cleanups.push(() => untrusted.close());
    const refused = await post(untrusted.baseUrl, '/', ['PING']);
    expect(refused.status).toBe(503);
    expect((refused.body as { error: string }).error).toMatch(/self.signed|certificate/i);
  });
});
