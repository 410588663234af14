import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OUT_DIR } from '../build.js';
import type { StepResult } from '../conformance.js';

export const require = createRequire(import.meta.url);

/** The server the runtime talks to. */
export interface Target {
  url: string;
  token: string;
}

/** One runtime, started once, running conformance steps on demand. */
export interface RuntimeUnderTest {
  /** e.g. `deno 2.9.6`. */
  version: string;
  run(step: string, prefix: string): Promise<StepResult>;
  stop(): Promise<void>;
}

/** The environment variables `Redis.fromEnv()` reads. */
export function fromEnvVariables({ url, token }: Target): Record<string, string> {
  return { RESTASH_URL: url, RESTASH_TOKEN: token };
}

export function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string })
    .version;
}

export async function answer(response: Response, runtime: string): Promise<StepResult> {
  const text = await response.text();
  try {
    return JSON.parse(text) as StepResult;
  } catch {
    return {
      ok: false,
      error: {
        name: 'RuntimeError',
        message: `${runtime} answered HTTP ${response.status}: ${text.slice(0, 2000)}`,
      },
    };
  }
}

export const stepRequest = (prefix: string) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ prefix }),
});

/** A process that serves HTTP on a port it printed. */
export interface ListeningProcess {
  /** `http://127.0.0.1:<port>`. */
  base: string;
  /** The end of what it wrote to stderr (for failure messages). */
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * Starts `command`, which serves HTTP on a free port and prints it (matched by
 * `listening`, on stdout or stderr), with only `env` (plus PATH and HOME) as
 * its environment.
 */
export async function spawnListening(
  runtime: string,
  command: string,
  args: string[],
  env: Record<string, string>,
  listening = /listening (\d+)/,
): Promise<ListeningProcess> {
  const child: ChildProcess = spawn(command, args, {
    cwd: join(OUT_DIR, '..'),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    const scan = (chunk: string) => {
      output += chunk;
      const match = listening.exec(output);
      if (match) resolve(Number(match[1]));
    };
    child.stdout?.setEncoding('utf8').on('data', scan);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
      scan(chunk);
    });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`${runtime} exited (${signal ?? code}) before listening:\n${stderr}`)),
    );
  });
  return {
    base: `http://127.0.0.1:${port}`,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill();
      await exited;
    },
  };
}

/** A runtime serving the steps over HTTP (the entry prints `listening <port>`). */
export async function startServing(
  runtime: string,
  version: string,
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<RuntimeUnderTest> {
  const served = await spawnListening(runtime, command, args, env);
  return {
    version,
    async run(step, prefix) {
      try {
        return await answer(
          await fetch(`${served.base}/steps/${encodeURIComponent(step)}`, stepRequest(prefix)),
          runtime,
        );
      } catch (error) {
        return {
          ok: false,
          error: {
            name: 'RuntimeError',
            message: `${runtime} did not answer (${String(error)}):\n${served.stderr()}`,
          },
        };
      }
    },
    stop: () => served.stop(),
  };
}
