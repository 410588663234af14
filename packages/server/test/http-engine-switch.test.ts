/**
 * The engine switch: `httpEngine`, else `RESTASH_HTTP_ENGINE`, else the fast
 * engine — and that the fast engine really serves what it should (so that the
 * differential tests compare two engines, not node:http with itself): node:http's
 * `request` event fires only for the requests node:http reads.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, createServer, type ServerOptions } from '../src/index.js';
import { engineOption } from './fixtures/http/differential.js';
import { exchange } from './fixtures/http/wire.js';
import {
  call,
  freePort,
  runNode,
  startRedis,
  startServer,
  type TestRedis,
  TOKEN,
  tempDir,
  until,
} from './helpers.js';

let redis: TestRedis;
const closers: (() => Promise<void> | void)[] = [];
const envBefore = process.env.RESTASH_HTTP_ENGINE;

beforeAll(async () => {
  redis = await startRedis();
});

afterEach(() => {
  if (envBefore === undefined) delete process.env.RESTASH_HTTP_ENGINE;
  else process.env.RESTASH_HTTP_ENGINE = envBefore;
});

afterAll(async () => {
  for (const close of closers) await close();
  await redis?.stop();
});

const auth = `Authorization: Bearer ${TOKEN}\r\n`;
const simple = [
  `GET /ping HTTP/1.1\r\nHost: x\r\n${auth}\r\n`,
  `POST / HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 8\r\n\r\n["PING"]`,
  `HEAD /ping HTTP/1.1\r\nHost: x\r\n${auth}\r\n`,
  `PUT /pipeline HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 10\r\n\r\n[["PING"]]`,
].join('');
const handedOver = `POST / HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n8\r\n["PING"]\r\n0\r\n\r\n`;

/** How many of the four simple requests and the chunked one node:http read, on a server made with `options`. */
async function nodeRequests(options: Partial<ServerOptions>): Promise<number> {
  const server = await startServer({ redisUrl: redis.url, ...options });
  closers.push(() => server.close());
  let count = 0;
  server.http.on('request', () => count++);
  const result = await exchange(Number(new URL(server.baseUrl).port), [Buffer.from(simple + handedOver)], {
    heads: [false, false, true],
  });
  expect(result.responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
  return count;
}

describe('the HTTP engine switch', () => {
  it('serves the simple requests on the fast engine itself and hands the chunked one to node:http', async () => {
    expect(await nodeRequests(engineOption('fast'))).toBe(1);
  });

  it('serves everything on node:http with the node engine', async () => {
    expect(await nodeRequests(engineOption('node'))).toBe(5);
  });

  it('takes RESTASH_HTTP_ENGINE when the option is not given, and the fast engine when neither is', async () => {
    process.env.RESTASH_HTTP_ENGINE = 'node';
    expect(await nodeRequests({})).toBe(5);
    process.env.RESTASH_HTTP_ENGINE = 'fast';
    expect(await nodeRequests({})).toBe(1);
    delete process.env.RESTASH_HTTP_ENGINE;
    expect(await nodeRequests({})).toBe(1);
    // The option wins over the environment.
    process.env.RESTASH_HTTP_ENGINE = 'fast';
    expect(await nodeRequests(engineOption('node'))).toBe(5);
  });

  it('refuses an engine it does not know, naming the option', () => {
    expect(() =>
      createServer({ token: TOKEN, redisUrl: redis.url, ...engineOption('turbo' as 'fast') }),
    ).toThrow(ConfigError);
    expect(() =>
      createServer({ token: TOKEN, redisUrl: redis.url, ...engineOption('turbo' as 'fast') }),
    ).toThrow(/httpEngine|http-engine/);
    process.env.RESTASH_HTTP_ENGINE = 'turbo';
    expect(() => createServer({ token: TOKEN, redisUrl: redis.url })).toThrow(/RESTASH_HTTP_ENGINE/);
  });
});

describe('the CLI', () => {
  const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error('build the server first: pnpm build (turbo runs it before tests)');
  });
  const run = (args: string[], env: Record<string, string> = {}) =>
    runNode(CLI, args, (cleanup) => closers.push(cleanup), { env });

  it.each([
    [['--http-engine', 'turbo'], {}, '--http-engine'],
    [[], { RESTASH_HTTP_ENGINE: 'turbo' }, 'RESTASH_HTTP_ENGINE'],
  ])('refuses an unknown engine (%j %j) with exit code 2, naming it', async (args, env, named) => {
    const { dir, remove } = tempDir();
    closers.push(remove);
    const cli = run([...args, '--data-dir', dir, '--redis', redis.url], env);
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toContain(named);
  });

  it.each(['fast', 'node'])('serves with --http-engine %s', async (engine) => {
    const port = await freePort();
    const cli = run([
      '--http-engine',
      engine,
      '--port',
      String(port),
      '--redis',
      redis.url,
      '--token',
      TOKEN,
    ]);
    await until(() => cli.output().includes('Restash is listening'));
    expect(
      (await call(`http://127.0.0.1:${port}`, '/ping', { headers: { connection: 'close' } })).body,
    ).toEqual({
      result: 'PONG',
    });
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });
});
