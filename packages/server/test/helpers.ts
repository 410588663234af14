import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { RestashServer, ServerOptions } from '../src/index.js';
import { prefix, startTestServer, type TestRedis } from '../src/testing/index.js';

export * from '../src/testing/index.js';

export const TOKEN = 'test-token-standard';
export const READ_ONLY_TOKEN = 'test-token-read-only';

/** Our server on a free port in front of `redisUrl`, logging nothing. */
export function startServer(
  options: Partial<ServerOptions> & { redisUrl?: string },
): Promise<RestashServer & { baseUrl: string }> {
  return startTestServer({ token: TOKEN, readOnlyToken: READ_ONLY_TOKEN, ...options });
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

/** A Node child process a test started: what it printed so far, and its exit. */
export interface RunningProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** stdout and stderr interleaved in the order they arrived. */
  output(): string;
  exited: Promise<number | null>;
}

/**
 * Runs `node script ...args` with only PATH and `env` in its environment, and
 * hands `onCleanup` a function that kills it (SIGKILL) if it is still running.
 */
export function runNode(
  script: string,
  args: string[],
  onCleanup: (cleanup: () => Promise<void>) => void,
  options: { env?: Record<string, string>; cwd?: string; nodeArgs?: string[]; wrapper?: string[] } = {},
): RunningProcess {
  // wrapper: a command that runs node, e.g. ['taskset', '-c', '0'].
  const [command, ...rest] = [...(options.wrapper ?? []), process.execPath];
  const child = spawn(command!, [...rest, ...(options.nodeArgs ?? []), script, ...args], {
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: options.cwd,
  });
  let stdout = '';
  let stderr = '';
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, stdout: () => stdout, stderr: () => stderr, output: () => output, exited };
}

/** A self-signed certificate for 127.0.0.1 and localhost, made by openssl now, in `dir`. */
export function selfSignedCertificate(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

/**
 * A small seeded random generator (mulberry32), so that a failing generated
 * case can be replayed from its seed: `next()` in [0, 1), `int(n)` in [0, n),
 * `pick(items)` one of them.
 */
export function seeded(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}
