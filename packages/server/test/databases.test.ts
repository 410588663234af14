import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { readDatabasesFile } from '../src/cli/config-file.js';
import { ConfigError, createLogger, createServer } from '../src/index.js';
import type { DatabaseConfig } from '../src/server.js';
import {
  call,
  freePort,
  heldClients,
  holdWrites,
  post,
  startRedis,
  startServer,
  type TestRedis,
  tempDir,
  until,
} from './helpers.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function twoRedis() {
  const a = await startRedis(['--enable-debug-command', 'yes']);
  const b = await startRedis();
  cleanups.push(
    () => a.stop(),
    () => b.stop(),
  );
  return { a, b };
}

describe('many databases behind one server', () => {
  it('keeps tenants isolated: a token only ever reaches its own database', async () => {
    const { a, b } = await twoRedis();
    const server = await startServer({
      token: undefined,
      readOnlyToken: undefined,
      databases: [
        { id: 'a', redisUrl: a.url, token: 'token-a', readOnlyToken: 'ro-a' },
        { id: 'b', redisUrl: b.url, token: 'token-b' },
      ],
      secret: 's',
    });
    cleanups.push(() => server.close());
    const base = server.baseUrl;
    await post(base, '/', ['SET', 'shared-name', 'from-a'], { token: 'token-a' });
    await post(base, '/pipeline', [['SET', 'shared-name', 'from-b']], { token: 'token-b' });
    expect(await a.cli('GET', 'shared-name')).toBe('from-a');
    expect(await b.cli('GET', 'shared-name')).toBe('from-b');
    expect((await call(base, '/get/shared-name', { token: 'ro-a' })).body).toEqual({ result: 'from-a' });
    expect((await post(base, '/multi-exec', [['GET', 'shared-name']], { token: 'token-b' })).body).toEqual([
      { result: 'from-b' },
    ]);
    expect((await post(base, '/', ['DBSIZE'], { token: 'token-b' })).body).toEqual({ result: 1 });
    await post(base, '/', ['FLUSHALL'], { token: 'token-b' });
    expect(await a.cli('GET', 'shared-name')).toBe('from-a');
    expect((await post(base, '/', ['PING'], { token: 'token-c' })).status).toBe(401);

    // An ACL token names its database: a user of A reaches A only.
    await a.cli('ACL', 'SETUSER', 'alice', 'on', '>pw', '~*', '+@all');
    await b.cli('ACL', 'SETUSER', 'alice', 'on', '>pw', '~*', '+@all');
    const aclToken = (await post(base, '/', ['ACL', 'RESTTOKEN', 'alice', 'pw'], { token: 'token-a' }))
      .body as {
      result: string;
    };
    await post(base, '/', ['SET', 'alice-key', '1'], { token: aclToken.result });
    expect(await a.cli('EXISTS', 'alice-key')).toBe('1');
    expect(await b.cli('EXISTS', 'alice-key')).toBe('0');
  });

  it('applies per-database limits', async () => {
    const { a, b } = await twoRedis();
    const server = await startServer({
      token: undefined,
      readOnlyToken: undefined,
      databases: [
        { id: 'a', redisUrl: a.url, token: 'token-a' },
        { id: 'b', redisUrl: b.url, token: 'token-b', maxRequestSize: 2048, maxConnections: 2 },
      ],
    });
    cleanups.push(() => server.close());
    const base = server.baseUrl;
    const big = 'x'.repeat(4096);
    expect((await post(base, '/', ['SET', 'k', big], { token: 'token-a' })).status).toBe(200);
    expect((await post(base, '/', ['SET', 'k', big], { token: 'token-b' })).status).toBe(413);
    // Budget 2: the shared connection and one stream.
    const controller = new AbortController();
    const first = await fetch(`${base}/subscribe/c`, {
      headers: { authorization: 'Bearer token-b' },
      signal: controller.signal,
    });
    expect(first.status).toBe(200);
    const second = await call(base, '/subscribe/c', { token: 'token-b' });
    expect(second.status).toBe(503);
    expect((second.body as { error: string }).error).toContain('max connections');
    controller.abort();
    // Once the first stream's connection is released, the budget has room again.
    await until(async () => {
      const again = new AbortController();
      const res = await fetch(`${base}/psubscribe/c`, {
        headers: { authorization: 'Bearer token-b' },
        signal: again.signal,
      });
      again.abort();
      return res.status === 200;
    });
  });

  it('rejects bad config files with errors naming the entry and field', () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const file = join(dir, 'databases.json');
    const cases: [unknown, RegExp][] = [
      [{ databases: [] }, /"databases" is empty/],
      [{ nope: 1 }, /expected \{"databases"/],
      [{ databases: [{ id: 'a', redis: 'embedded' }] }, /databases\[0\]\.token must be a non-empty string/],
      [{ databases: [{ id: 'a b', redis: 'embedded', token: 't' }] }, /databases\[0\]\.id may only use/],
      [
        { databases: [{ id: 'a', redis: 'http://x', token: 't' }] },
        /databases\[0\]\.redis: unsupported scheme/,
      ],
      [
        {
          databases: [
            { id: 'a', redis: 'embedded', token: 't' },
            { id: 'b', redis: 'embedded', token: 't' },
          ],
        },
        /databases\[1\]\.token is already used/,
      ],
      [{ databases: [{ id: 'a', redis: 'embedded', token: 't', maxRequestSize: 'lots' }] }, /maxRequestSize/],
      [{ databases: [{ id: 'a', redis: 'embedded', token: 't', colour: 'red' }] }, /unknown field "colour"/],
    ];
    for (const [content, message] of cases) {
      writeFileSync(file, JSON.stringify(content));
      expect(() => readDatabasesFile(file)).toThrow(ConfigError);
      expect(() => readDatabasesFile(file)).toThrow(message);
    }
    writeFileSync(file, '{ not json');
    expect(() => readDatabasesFile(file)).toThrow(/not valid JSON/);
    expect(() => readDatabasesFile(join(dir, 'missing.json'))).toThrow(/cannot read it/);
  });

  it('refuses a list of databases with a token or an id used twice, or an id that is no plain name', async () => {
    const cases: [DatabaseConfig[], RegExp][] = [
      [
        [
          { id: 'a', redisUrl: 'redis://127.0.0.1:1', token: 't' },
          { id: 'b', redisUrl: 'redis://127.0.0.1:2', token: 'u', readOnlyToken: 't' },
        ],
        /database "b": a token is already used/,
      ],
      [
        [
          { id: 'a', redisUrl: 'redis://127.0.0.1:1', token: 't' },
          { id: 'a', redisUrl: 'redis://127.0.0.1:2', token: 'u' },
        ],
        /id "a" is used twice/,
      ],
      [[{ id: '../elsewhere', token: 't' }], /database id "\.\.\/elsewhere" may only use/],
      [[{ id: '..', token: 't' }], /database id "\.\." may only use/],
    ];
    for (const [databases, message] of cases) {
      expect(() => createServer({ databases })).toThrow(ConfigError);
      expect(() => createServer({ databases })).toThrow(message);
    }
    // The same rules hold for what a config file reader returns.
    const server = createServer({
      configFile: 'databases.json',
      readConfigFile: () => [{ id: '..', token: 't' }],
      port: 0,
      logger: createLogger('silent'),
    });
    cleanups.push(() => server.close());
    await expect(server.listen()).rejects.toThrow(ConfigError);
  });

  it('reloads the file on SIGHUP without dropping requests in flight, and keeps the old config when the new one is bad', async () => {
    const { a, b } = await twoRedis();
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const file = join(dir, 'databases.json');
    const write = (databases: unknown[]) => writeFileSync(file, JSON.stringify({ databases }));
    write([
      { id: 'a', redis: a.url, token: 'token-a' },
      { id: 'gone', redis: b.url, token: 'token-gone' },
      { id: 'local', redis: 'embedded', token: 'token-local' },
    ]);
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [CLI, '--config', file, '--port', String(port), '--data-dir', dir],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    cleanups.push(async () => {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    });
    await until(() => output.includes('Restash is listening'));
    const base = `http://127.0.0.1:${port}`;
    expect((await post(base, '/', ['SET', 'k', 'embedded'], { token: 'token-local' })).body).toEqual({
      result: 'OK',
    });
    expect((await post(base, '/', ['PING'], { token: 'token-gone' })).status).toBe(200);

    // The write waits in Redis until released, so it is surely in flight during the reload.
    const release = await holdWrites(a);
    const inFlight = post(base, '/', ['SET', 'in-flight', 'v'], { token: 'token-a' });
    await until(async () => (await heldClients(a)) === 1);
    write([
      { id: 'a', redis: a.url, token: 'token-a2' },
      { id: 'local', redis: 'embedded', token: 'token-local' },
    ]);
    child.kill('SIGHUP');
    await until(() => output.includes('reloaded'));
    await release();
    expect((await inFlight).body).toEqual({ result: 'OK' });
    expect((await post(base, '/', ['PING'], { token: 'token-a' })).status).toBe(401);
    expect((await post(base, '/', ['PING'], { token: 'token-a2' })).status).toBe(200);
    expect((await post(base, '/', ['PING'], { token: 'token-gone' })).status).toBe(401);
    expect((await post(base, '/', ['GET', 'k'], { token: 'token-local' })).body).toEqual({
      result: 'embedded',
    });

    writeFileSync(file, '{ "databases": [ { "id": "a" } ] }');
    child.kill('SIGHUP');
    await until(() => output.includes('reload failed'));
    const failed = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: string; msg: string; error?: string })
      .find((line) => line.msg === 'reload failed, keeping the running config');
    expect(failed?.level).toBe('error');
    expect(failed?.error).toContain(
      'databases[0]: give "redis" (a URL or "embedded"), "cluster" or "sentinel"',
    );
    expect((await post(base, '/', ['PING'], { token: 'token-a2' })).status).toBe(200);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('reloads racing with listen() and close()', () => {
  /** A server whose config file is `files`' current value. */
  async function reloadable(
    files: { current: DatabaseConfig[] },
    options: Parameters<typeof startServer>[0] = {},
  ) {
    const server = await startServer({
      token: undefined,
      readOnlyToken: undefined,
      configFile: 'databases.json',
      readConfigFile: () => files.current,
      ...options,
    });
    cleanups.push(() => server.close());
    return server;
  }
  const ours = async (redis: TestRedis) =>
    (await redis.cli('CLIENT', 'LIST')).split('\n').filter((line) => line.includes('name=restash ')).length;

  it('closes databases a reload removed when the server closes, without waiting for their requests to drain', async () => {
    const { a, b } = await twoRedis();
    const files = {
      current: [
        { id: 'a', redisUrl: a.url, token: 'token-a' },
        { id: 'b', redisUrl: b.url, token: 'token-b' },
      ],
    };
    const server = await reloadable(files);
    expect(await ours(b)).toBe(1);
    files.current = [{ id: 'a', redisUrl: a.url, token: 'token-a' }];
    await server.reload();
    expect((await post(server.baseUrl, '/', ['PING'], { token: 'token-b' })).status).toBe(401);
    await server.close();
    await until(async () => (await ours(a)) + (await ours(b)) === 0, 3000);
  });

  it('applies the config once when a reload comes while listen() is starting the databases', async () => {
    const { a } = await twoRedis();
    const files = { current: [{ id: 'a', redisUrl: a.url, token: 'token-a' }] };
    const server = createServer({
      configFile: 'databases.json',
      readConfigFile: () => files.current,
      port: 0,
      logger: createLogger('silent'),
    });
    cleanups.push(() => server.close());
    const [base] = await Promise.all([server.listen(), server.reload()]);
    expect((await post(base, '/', ['PING'], { token: 'token-a' })).status).toBe(200);
    expect(await ours(a)).toBe(1);
  });

  it('keeps the running limits when a reload fails halfway', async () => {
    const { a } = await twoRedis();
    const files: { current: DatabaseConfig[] } = {
      current: [{ id: 'a', redisUrl: a.url, token: 'token-a' }],
    };
    const server = await reloadable(files, { redisServerBin: '/nonexistent/redis-server' });
    files.current = [
      { id: 'a', redisUrl: a.url, token: 'token-a', maxRequestSize: 2048 },
      // An embedded Redis that cannot start: the whole reload is refused.
      { id: 'broken', token: 'token-broken' },
    ];
    await expect(server.reload()).rejects.toThrow(/redis-server was not found/);
    const big = 'x'.repeat(4096);
    expect((await post(server.baseUrl, '/', ['SET', 'k', big], { token: 'token-a' })).status).toBe(200);
    expect((await post(server.baseUrl, '/', ['PING'], { token: 'token-broken' })).status).toBe(401);
  });
});
