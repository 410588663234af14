/**
 * Real `redis-server` processes for tests — of this package, of the packages
 * built on it, and of apps that want a real Redis and a real Restash server in
 * their own tests: one Redis, a Redis Cluster, a Sentinel group. Each runs on
 * loopback on a free port (never 6379), in a temp dir, and is torn down by
 * `stop()`/`close()`.
 *
 * @example
 * ```ts
 * import { startRedis } from '@restash/server/testing';
 * const redis = await startRedis();
 * // … redis.url …
 * await redis.stop();
 * ```
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../embedded/free-port.js';

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
