/**
 * The data directory of the embedded Redis: one server at a time, clear errors
 * when it cannot be used, and `appendfsync` as the operator chose.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, createServer } from '../src/index.js';
import { post, TOKEN, tempDir } from './helpers.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function embedded(dataDir: string, extra: Partial<Parameters<typeof createServer>[0]> = {}) {
  const server = createServer({ token: TOKEN, port: 0, dataDir, logger: createLogger('silent'), ...extra });
  cleanups.push(() => server.close());
  return server;
}

/** Runs the built CLI to its exit; resolves with the exit code and everything it printed. */
function cli(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('the data directory', () => {
  it('is used by one server at a time: a second one is refused and leaves the first one serving', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const first = embedded(dir);
    const base = await first.listen();
    expect((await post(base, '/', ['SET', 'k', 'v'])).body).toEqual({ result: 'OK' });
    const second = embedded(dir);
    await expect(second.listen()).rejects.toThrow(`is in use by another restash-server (pid ${process.pid})`);
    // The first server's Redis was not killed by the second one.
    expect((await post(base, '/', ['GET', 'k'])).body).toEqual({ result: 'v' });
    await first.close();
    expect(existsSync(join(dir, 'server.lock'))).toBe(false);
    // Once it is free, the next server takes it.
    const third = embedded(dir);
    expect((await post(await third.listen(), '/', ['GET', 'k'])).body).toEqual({ result: 'v' });
  });

  it('takes over the lock of a server that was killed outright', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    // A pid that is surely not running.
    writeFileSync(join(dir, 'server.lock'), '2147483646\n');
    const server = embedded(dir);
    expect((await post(await server.listen(), '/', ['PING'])).body).toEqual({ result: 'PONG' });
    expect(readFileSync(join(dir, 'server.lock'), 'utf8').trim()).toBe(String(process.pid));
  });

  it('runs the embedded Redis with the appendfsync asked for', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const server = embedded(dir, { appendfsync: 'always', allowCommands: ['CONFIG|GET'] });
    const base = await server.listen();
    expect((await post(base, '/', ['CONFIG', 'GET', 'appendfsync'])).body).toEqual({
      result: ['appendfsync', 'always'],
    });
    expect(() => createServer({ token: TOKEN, appendfsync: 'sometimes' as 'always' })).toThrow(
      /appendfsync: must be always, everysec or no/,
    );
  });
});

describe('the CLI and its data directory', () => {
  it('exits 2 naming --data-dir when the directory is in use', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const first = embedded(dir);
    await first.listen();
    const { code, output } = await cli(['--port', '0', '--token', 't', '--data-dir', dir]);
    expect(code).toBe(2);
    expect(output).toContain(
      `--data-dir (RESTASH_DATA_DIR): "${dir}" is in use by another restash-server (pid ${process.pid})`,
    );
    expect(output).not.toMatch(/\n\s+at /);
  });

  it('exits 2 naming --data-dir, without a stack trace, when the embedded Redis cannot have its directory', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    // A file where a directory should be: nothing can be made under it, even by root.
    const blocked = join(dir, 'file');
    writeFileSync(blocked, '');
    const { code, output } = await cli(['--port', '0', '--token', 't', '--data-dir', join(blocked, 'data')]);
    expect(code).toBe(2);
    expect(output).toContain('--data-dir (RESTASH_DATA_DIR): cannot create');
    expect(output).not.toMatch(/\n\s+at /);
  });

  it('starts on a read-only data directory with --token and --redis, keeping ACL tokens for the process only', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    // A file where the directory should be: nothing can be written under it, even as root.
    const blocked = join(dir, 'file');
    writeFileSync(blocked, '');
    const { code, output } = await cli([
      '--port',
      '0',
      '--token',
      't',
      '--redis',
      'redis://127.0.0.1:1',
      '--data-dir',
      join(blocked, 'data'),
      '--help',
    ]);
    expect(code).toBe(0);
    expect(output).not.toContain('warning');
    const started = await cliUntilListening([
      '--port',
      '0',
      '--token',
      't',
      '--redis',
      'redis://127.0.0.1:1',
      '--data-dir',
      join(blocked, 'data'),
    ]);
    expect(started).toContain(
      '"level":"warn","msg":"--data-dir (RESTASH_DATA_DIR): cannot keep the ACL token secret',
    );
    expect(started).toContain('Restash is listening on');
    const noToken = await cli([
      '--port',
      '0',
      '--redis',
      'redis://127.0.0.1:1',
      '--data-dir',
      join(blocked, 'data'),
    ]);
    expect(noToken.code).toBe(2);
    expect(noToken.output).toContain('cannot keep a generated token');
    expect(noToken.output).not.toMatch(/\n\s+at /);
  });
});

/** Starts the CLI, waits until it listens, stops it; resolves with what it printed. */
function cliUntilListening(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`did not start: ${output}`));
    }, 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Restash is listening on')) child.kill('SIGTERM');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(output);
    });
  });
}
