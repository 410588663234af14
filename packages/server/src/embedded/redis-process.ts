import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import type { Logger } from '../log.js';
import { freePort } from './free-port.js';

export interface EmbeddedRedisOptions {
  /** Where Redis keeps its append-only files, pid file and socket. */
  dataDir: string;
  /** The `redis-server` binary: a name looked up on PATH, or a path. */
  bin: string;
  log: Logger;
  /** Redis's `appendfsync`: `always` loses no acknowledged write on a crash, at a cost in write speed. @default 'everysec' */
  appendfsync?: AppendFsync;
}

/** When the embedded Redis flushes its append-only file to disk. */
export type AppendFsync = 'always' | 'everysec' | 'no';

/** Unix socket paths longer than this do not fit in `sockaddr_un` on Linux and macOS. */
const MAX_SOCKET_PATH = 100;
const READY = /ready to accept connections/i;
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;

/** Error raised when the embedded Redis cannot be started. */
export class EmbeddedRedisError extends Error {}

/** The data directory cannot be used: not writable, or in use by another server (a configuration problem: exit 2). */
export class DataDirError extends EmbeddedRedisError {}

/**
 * Starts and supervises a private `redis-server`: listening on a unix socket in
 * the data directory (or on a loopback port when the path is too long), with
 * append-only persistence, restarted if it dies, and never outliving this
 * process: it is stopped on close, killed on `exit`, and on Linux it gets
 * SIGTERM from the kernel if this process is killed outright (`setpriv --pdeathsig`).
 */
export class EmbeddedRedis {
  private child: ChildProcess | null = null;
  private stopping = false;
  private restarts = 0;
  private logTail: string[] = [];
  private url = '';
  private readonly dataDir: string;
  private unlock: (() => void) | undefined;
  private readonly onExit = () => {
    this.child?.kill('SIGTERM');
    this.unlock?.();
  };

  constructor(private readonly options: EmbeddedRedisOptions) {
    this.dataDir = resolve(options.dataDir);
  }

  /** Starts Redis and resolves with its URL once it accepts connections. */
  async start(): Promise<string> {
    const bin = findBinary(this.options.bin);
    if (!bin) {
      throw new EmbeddedRedisError(
        `redis-server was not found (looked for "${this.options.bin}" on PATH). Install it — Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis — or pass --redis redis://host:port to use a Redis you run yourself.`,
      );
    }
    try {
      mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new DataDirError(
        `--data-dir (RESTASH_DATA_DIR): cannot create "${this.dataDir}": ${(error as Error).message}. The embedded Redis keeps its data there; give a writable directory, or --redis to use a Redis you run yourself`,
      );
    }
    // Before anything else: a second server would kill the first one's Redis below and share its files.
    this.unlock = lockDataDir(this.dataDir);
    await killLeftover(join(this.dataDir, 'redis.pid'));
    const socket = join(this.dataDir, 'redis.sock');
    const args = [
      '--dir',
      this.dataDir,
      '--appendonly',
      'yes',
      '--appendfsync',
      this.options.appendfsync ?? 'everysec',
      '--save',
      '',
      '--pidfile',
      join(this.dataDir, 'redis.pid'),
      '--daemonize',
      'no',
      '--logfile',
      '',
      '--protected-mode',
      'yes',
    ];
    if (socket.length <= MAX_SOCKET_PATH) {
      rmSync(socket, { force: true });
      args.push('--port', '0', '--unixsocket', socket, '--unixsocketperm', '700');
      this.url = `unix://${socket}`;
    } else {
      const port = await freePort();
      args.push('--port', String(port), '--bind', '127.0.0.1');
      this.url = `redis://127.0.0.1:${port}`;
    }
    process.once('exit', this.onExit);
    try {
      await this.spawn(bin, args);
    } catch (error) {
      this.unlock?.();
      this.unlock = undefined;
      throw error;
    }
    return this.url;
  }

  /** Stops Redis (SIGTERM, which flushes the append-only file) and waits for it to exit. */
  async stop(): Promise<void> {
    this.stopping = true;
    process.removeListener('exit', this.onExit);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((done) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        child.once('exit', () => {
          clearTimeout(timer);
          done();
        });
        child.kill('SIGTERM');
      });
    }
    this.unlock?.();
    this.unlock = undefined;
  }

  private spawn(bin: string, args: string[]): Promise<void> {
    const setpriv = process.platform === 'linux' ? findBinary('setpriv') : undefined;
    const child = setpriv
      ? spawn(setpriv, ['--pdeathsig', 'TERM', '--', bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.logTail = [];
    return new Promise((resolveStart, rejectStart) => {
      let started = false;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        rejectStart(
          new EmbeddedRedisError(`redis-server did not start within ${START_TIMEOUT_MS} ms${this.tail()}`),
        );
      }, START_TIMEOUT_MS);
      const onOutput = (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (line.trim() === '') continue;
          this.logTail.push(line.trim());
          if (this.logTail.length > 20) this.logTail.shift();
          if (!started && READY.test(line)) {
            started = true;
            clearTimeout(timer);
            this.options.log.info('embedded redis started', { dataDir: this.dataDir, pid: child.pid });
            resolveStart();
          }
        }
      };
      child.stdout?.on('data', onOutput);
      child.stderr?.on('data', onOutput);
      child.on('error', (error) => {
        clearTimeout(timer);
        if (!started) rejectStart(new EmbeddedRedisError(`could not run redis-server: ${error.message}`));
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (!started) {
          rejectStart(
            new EmbeddedRedisError(
              `redis-server exited during start-up (${signal ?? `code ${code}`})${this.tail()}`,
            ),
          );
          return;
        }
        if (this.stopping) return;
        this.restarts++;
        const delay = Math.min(5000, 100 * 2 ** Math.min(this.restarts, 6));
        this.options.log.error('embedded redis exited; restarting', {
          code: code ?? undefined,
          signal: signal ?? undefined,
          inMs: delay,
          lastLog: this.logTail.at(-1),
        });
        setTimeout(() => {
          if (this.stopping) return;
          this.spawn(bin, args).then(
            () => {
              this.restarts = 0;
            },
            (error: Error) =>
              this.options.log.error('embedded redis failed to restart', { error: error.message }),
          );
        }, delay).unref();
      });
    });
  }

  private tail(): string {
    return this.logTail.length > 0 ? `; its last log lines:\n  ${this.logTail.slice(-5).join('\n  ')}` : '';
  }
}

/** Resolves a binary name on PATH (or checks a path); undefined if it is not there. */
export function findBinary(name: string): string | undefined {
  const candidates = name.includes('/')
    ? [name]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Stops a redis-server left running on this data directory by a run that was killed outright. */
async function killLeftover(pidFile: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isRedis(pid)) return;
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; waited < STOP_TIMEOUT_MS && isRedis(pid); waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (isRedis(pid)) process.kill(pid, 'SIGKILL');
}

function isRedis(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('redis-server');
  } catch {
    // not running, or not Linux: nothing to clean up
    return false;
  }
}

/**
 * Takes `<dir>/server.lock` for this process: created exclusively with our pid
 * in it. A lock whose process is gone (killed outright) is taken over; a live
 * one is a `DataDirError` naming its pid. Returns the release.
 */
export function lockDataDir(dir: string): () => void {
  const file = join(dir, 'server.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      lockedHere.add(file);
      return () => {
        lockedHere.delete(file);
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        throw new DataDirError(
          `--data-dir (RESTASH_DATA_DIR): cannot write in "${dir}": ${(error as Error).message}`,
        );
      }
    }
    let owner = Number.NaN;
    try {
      owner = Number(readFileSync(file, 'utf8').trim());
    } catch {
      // removed meanwhile: try again
    }
    const ours = owner === process.pid;
    if (Number.isInteger(owner) && owner > 0 && (ours ? lockedHere.has(file) : running(owner))) {
      throw new DataDirError(
        `--data-dir (RESTASH_DATA_DIR): "${dir}" is in use by another restash-server (pid ${owner}); give each server its own data directory`,
      );
    }
    rmSync(file, { force: true });
  }
  throw new DataDirError(
    `--data-dir (RESTASH_DATA_DIR): could not lock "${dir}": another server is starting on it`,
  );
}

/** Lock files this process holds, so that two servers of one process are told apart too. */
const lockedHere = new Set<string>();

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
