import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, createServer, type RestashServer, type ServerOptions } from '../src/index.js';

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

/** A `redis-server` child on a free port, owned by one test file. */
export interface TestRedis {
  port: number;
  url: string;
  /** Kills Redis (SIGKILL). */
  kill(): Promise<void>;
  /** Starts Redis again on the same port. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Runs a command with redis-cli and returns its output. */
  cli(...args: string[]): Promise<string>;
}

export async function startRedis(extraArgs: string[] = []): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'restash-test-redis-'));
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        ...extraArgs,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
      child!.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child!.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${output}`));
      });
    });
  };
  const kill = async () => {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    current.kill('SIGKILL');
    await once(current, 'exit');
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
    cli(...args: string[]) {
      return new Promise((resolve, reject) => {
        const cli = spawn('redis-cli', ['-p', String(port), ...args]);
        let out = '';
        cli.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
        });
        cli.once('error', reject);
        cli.once('exit', () => resolve(out.trim()));
      });
    },
  };
}

export const TOKEN = 'test-token-standard';
export const READ_ONLY_TOKEN = 'test-token-read-only';

/** Our server on a free port in front of `redisUrl`, logging nothing. */
export async function startServer(
  options: Partial<ServerOptions> & { redisUrl?: string },
): Promise<RestashServer & { baseUrl: string }> {
  const server = createServer({
    token: TOKEN,
    readOnlyToken: READ_ONLY_TOKEN,
    port: 0,
    logger: createLogger('silent'),
    ...options,
  });
  const baseUrl = await server.listen();
  return Object.assign(server, { baseUrl });
}

/**
 * A random key prefix so tests never see each other's keys. It is a hash tag,
 * so on a cluster all keys made from one prefix share a slot.
 */
export function prefix(): string {
  return `{t${Math.random().toString(36).slice(2, 10)}}:`;
}

/** `count` fresh keys without a hash tag, so that on a cluster they spread over every master. */
export function spreadKeys(count: number): string[] {
  const k = prefix().replace(/[{}]/g, '');
  return Array.from({ length: count }, (_, i) => `${k}${i}`);
}

/** The `result` of a JSON answer. */
export function resultOf(res: { body: unknown }): unknown {
  return (res.body as { result?: unknown }).result;
}

/** `fetch` with the standard token unless `headers.authorization` is given. */
export async function call(
  baseUrl: string,
  path: string,
  init: RequestInit & { token?: string | null } = {},
): Promise<{ status: number; body: unknown; text: string; headers: Headers }> {
  const headers = new Headers(init.headers);
  const token = init.token === undefined ? TOKEN : init.token;
  if (token !== null && !headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
  const res = await fetch(baseUrl + path, { ...init, headers });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text, headers: res.headers };
}

/** POST a JSON value. */
export function post(
  baseUrl: string,
  path: string,
  json: unknown,
  init: RequestInit & { token?: string | null } = {},
) {
  return call(baseUrl, path, { method: 'POST', body: JSON.stringify(json), ...init });
}

/** A temporary directory removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'restash-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Polls `check` until it is true; throws after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`condition not met within ${ms} ms`);
}

/**
 * Holds every write command on `redis` (`CLIENT PAUSE … WRITE`, reads still
 * run) until the returned function is called, so that a test can know for sure
 * that a request is in flight: it is once `heldClients(redis)` counts it.
 */
export async function holdWrites(redis: TestRedis): Promise<() => Promise<void>> {
  await redis.cli('CLIENT', 'PAUSE', '60000', 'WRITE');
  return async () => {
    await redis.cli('CLIENT', 'UNPAUSE');
  };
}

/** Clients whose command Redis is holding (`blocked_clients` of `INFO clients`). */
export async function heldClients(redis: TestRedis): Promise<number> {
  const info = await redis.cli('INFO', 'clients');
  return Number(/blocked_clients:(\d+)/.exec(info)?.[1] ?? 0);
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
