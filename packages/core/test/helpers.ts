import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis, type RedisOptions } from '../src/index.js';

export const TOKEN = 'core-test-token';
export const READ_ONLY_TOKEN = 'core-test-read-only-token';

/** The server's built CLI; `turbo run test` builds it first (see turbo.json). */
export const SERVER_CLI = join(dirname(fileURLToPath(import.meta.url)), '../../server/dist/cli.js');

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The URL from the server's start-up output: a JSON log line `{"msg":"listening","url":…}` or the banner. */
export function listeningUrl(output: string): string | undefined {
  for (const line of output.split('\n')) {
    if (line.startsWith('{') && line.includes('"listening"')) {
      try {
        return (JSON.parse(line) as { url: string }).url;
      } catch {}
    }
    const banner = /listening on (https?:\/\/\S+)/i.exec(line);
    if (banner) return banner[1];
  }
  return undefined;
}

function waitFor(
  child: ChildProcess,
  stream: 'stdout' | 'stderr' | 'both',
  match: (text: string) => string | undefined,
  what: string,
) {
  return new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start within 15 s: ${output}`)), 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const found = match(output);
      if (found !== undefined) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    if (stream !== 'stderr') child.stdout!.on('data', onData);
    if (stream !== 'stdout') child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${output}`));
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await once(child, 'exit');
}

/** A `redis-server` child on a free port (never 6379), owned by one test file. */
export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'restash-core-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await waitFor(
    child,
    'stdout',
    (text) => (text.includes('Ready to accept connections') ? '' : undefined),
    'redis-server',
  );
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      await stop(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The Restash server (its built CLI, in a child process) on a free port in front of `redisUrl`. */
export interface TestServer {
  url: string;
  stop(): Promise<void>;
}

export async function startServer(redisUrl: string): Promise<TestServer> {
  if (!existsSync(SERVER_CLI)) {
    throw new Error(
      `${SERVER_CLI} is missing: run "pnpm --filter @restash/server build" (turbo does it before core's tests)`,
    );
  }
  const child = spawn(
    process.execPath,
    [
      SERVER_CLI,
      '--port',
      '0',
      '--redis',
      redisUrl,
      '--token',
      TOKEN,
      '--read-only-token',
      READ_ONLY_TOKEN,
      '--log-level',
      'info',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const url = await waitFor(child, 'both', listeningUrl, 'restash-server');
  return { url, stop: () => stop(child) };
}

/** Redis, our server in front of it, and a client factory; one per test file. */
export interface Stack {
  redis: TestRedis;
  server: TestServer;
  client<TValue = unknown>(options?: Partial<RedisOptions>): Redis<TValue>;
  stop(): Promise<void>;
}

export async function startStack(): Promise<Stack> {
  const redis = await startRedis();
  let server: TestServer;
  try {
    server = await startServer(redis.url);
  } catch (error) {
    await redis.stop();
    throw error;
  }
  return {
    redis,
    server,
    client: <TValue>(options: Partial<RedisOptions> = {}) =>
      new Redis<TValue>({ url: server.url, token: TOKEN, ...options }),
    async stop() {
      await server.stop();
      await redis.stop();
    },
  };
}

/** A random key prefix so tests never see each other's keys. */
export function prefix(): string {
  return `t${Math.random().toString(36).slice(2, 10)}:`;
}
