// What the benchmark scripts under bench/ share: starting redis-server and our server pinned to a CPU,
// waiting for a child's output, free ports, CPU time of other processes, medians, interleaved rounds.
// Plain ESM with no dependencies, so that it loads before anything is built.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root directory (with a trailing slash). */
export const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * A script's settings from its command line (`--name value` pairs), each with its default.
 * A number default reads a number, an array default a comma-separated list (of numbers when the
 * default's items are numbers), a string default the text as it is; names not in `defaults` are ignored.
 * @template {Record<string, number | string | (number | string)[]>} T
 * @param {T} defaults the settings, by name without the leading `--`
 * @param {string[]} [argv] the command line, `process.argv` by default
 * @returns {T}
 */
export function options(defaults, argv = process.argv) {
  const given = new Map();
  for (let i = 2; i < argv.length; i += 2) given.set(argv[i].replace(/^--/, ''), argv[i + 1]);
  const found = { ...defaults };
  for (const [name, fallback] of Object.entries(defaults)) {
    const text = given.get(name);
    if (text === undefined) continue;
    if (typeof fallback === 'number') found[name] = Number(text);
    else if (Array.isArray(fallback))
      found[name] = text.split(',').map(typeof fallback[0] === 'number' ? Number : String);
    else found[name] = text;
  }
  return found;
}

/**
 * Throws unless every one of these built files exists.
 * @param {string[]} files paths from the repository's root, e.g. `packages/server/dist/cli.js`
 */
export function requireBuilt(files) {
  for (const file of files) {
    if (!existsSync(join(root, file))) throw new Error(`${file} is missing: run pnpm build first`);
  }
}

/**
 * Throws unless every one of these commands is on the PATH.
 * @param {[command: string, aptPackage: string][]} commands each command with the Debian package that has it
 */
export function requireCommands(commands) {
  for (const [command, pkg] of commands) {
    if (spawnSync('sh', ['-c', `command -v ${command}`]).status !== 0) {
      throw new Error(`${command} is missing: apt-get install -y ${pkg}`);
    }
  }
}

/** Whether `taskset` is there to pin processes to CPUs. */
export const taskset = spawnSync('taskset', ['--version']).status === 0;

/**
 * A command line that runs `command` on the given CPU(s) through taskset, or as it is where there is no taskset.
 * @param {number | string} cpu a CPU number or a taskset CPU list (`'0'`, `'0,1'`)
 * @param {string} command
 * @param {string[]} argv
 * @returns {[string, string[]]} the command and its arguments, to spread into `spawn` or `spawnSync`
 */
export function pinned(cpu, command, argv) {
  return taskset ? ['taskset', ['-c', String(cpu), command, ...argv]] : [command, argv];
}

/**
 * A TCP port that was free on 127.0.0.1 a moment ago.
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Waits until a child's stdout and stderr together match. The streams keep flowing afterwards
 * (so the child never blocks on a full pipe), but are no longer kept.
 * @template T
 * @param {import('node:child_process').ChildProcess} child spawned with piped stdout and stderr
 * @param {RegExp | ((output: string) => T | undefined)} match a pattern, or a function of all output so far
 *   that returns something other than undefined once it is there
 * @param {{ what?: string, timeout?: number }} [settings] a name for error messages; how long to wait (ms, 20 s)
 * @returns {Promise<T | true>} what `match` returned (true for a pattern); rejects if the child exits first
 */
export function waitFor(child, match, { what, timeout = 20_000 } = {}) {
  const test = match instanceof RegExp ? (text) => (match.test(text) ? true : undefined) : match;
  const name = what ? `${what} ` : '';
  return new Promise((resolve, reject) => {
    let output = '';
    let done = false;
    const timer = setTimeout(() => reject(new Error(`${name}did not start: ${output}`)), timeout);
    const onData = (chunk) => {
      if (done) return;
      output += chunk;
      const found = test(output);
      if (found !== undefined) {
        done = true;
        output = '';
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!done) reject(new Error(`${name}exited with ${code}: ${output}`));
    });
  });
}

/**
 * CPU time (user + system) a process has used so far, from /proc/<pid>/stat, so it works for any process.
 * @param {number} pid
 * @returns {number | undefined} µs; undefined where there is no /proc (or no such process)
 */
export function cpuUs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' '); // after the command name, which may hold ') '
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // utime + stime, in 100 Hz ticks
  } catch {
    return undefined;
  }
}

/**
 * Starts a redis-server of its own on a free port: no persistence, bound to 127.0.0.1.
 * @param {{ cpu?: number | string, dir?: string }} [settings] the CPU(s) to pin it to (not pinned without);
 *   its working directory (`--dir`; the current one without)
 * @returns {Promise<{ child: import('node:child_process').ChildProcess, port: number, url: string }>}
 *   once it accepts connections; `url` is its `redis://` URL. Stopping it is the caller's.
 */
export async function startRedis({ cpu, dir } = {}) {
  const port = await freePort();
  const argv = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  if (dir !== undefined) argv.push('--dir', dir);
  const child = spawnPinned(cpu, 'redis-server', argv);
  await waitFor(child, /Ready to accept connections/, { what: 'redis-server' });
  return { child, port, url: `redis://127.0.0.1:${port}` };
}

/**
 * Starts our server (packages/server/dist/cli.js, built) on a free port in front of a Redis.
 * @param {{ redisUrl: string, token: string, cpu?: number | string, logLevel?: string }} settings
 *   the Redis; the bearer token; the CPU(s) to pin it to (not pinned without); `--log-level` (info)
 * @returns {Promise<{ child: import('node:child_process').ChildProcess, url: string }>} once it listens;
 *   `url` is its http:// URL. Stopping it is the caller's.
 */
export async function startServer({ redisUrl, token, cpu, logLevel = 'info' }) {
  const child = spawnPinned(cpu, process.execPath, [
    join(root, 'packages/server/dist/cli.js'),
    '--port',
    '0',
    '--redis',
    redisUrl,
    '--token',
    token,
    '--log-level',
    logLevel,
  ]);
  const url = await waitFor(
    child,
    (text) => {
      for (const line of text.split('\n')) {
        if (line.startsWith('{') && line.includes('"listening"')) return JSON.parse(line).url;
        const banner = /listening on (https?:\/\/\S+)/i.exec(line);
        if (banner) return banner[1];
      }
      return undefined;
    },
    { what: 'the restash server' },
  );
  return { child, url };
}

function spawnPinned(cpu, command, argv) {
  const [program, args] = cpu === undefined ? [command, argv] : pinned(cpu, command, argv);
  return spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Runs a Node script to its end, pinned to a CPU, and returns the JSON of the last line it printed.
 * @param {number | string} cpu
 * @param {string} script path of the script
 * @param {string[]} argv its arguments
 * @param {string} name for the error message if it fails
 * @returns {any}
 */
export function runWorker(cpu, script, argv, name) {
  const [command, args] = pinned(cpu, process.execPath, [script, ...argv]);
  const out = spawnSync(command, args, { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`${name} worker failed: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').pop());
}

/**
 * Runs `fn` once; its wall time and this process's CPU time over it.
 * @param {() => Promise<unknown>} fn
 * @returns {Promise<{ ms: number, cpuUs: number }>} ms elapsed; µs of CPU, user + system
 */
export async function timed(fn) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuUs: cpu.user + cpu.system };
}

/**
 * Measures every name once per round, in the same process order for every name. With `alternate`
 * (the default) every other round goes in reverse order, so neither side always runs first.
 * Noise on shared machines is large: only ratios within one run mean anything.
 * @template T
 * @param {number} rounds
 * @param {string[]} names
 * @param {(name: string, round: number) => T | Promise<T>} measure one measurement (round counts from 0)
 * @param {{ alternate?: boolean }} [settings]
 * @returns {Promise<Record<string, T[]>>} the measurements of each name, in `names` order
 */
export async function interleaved(rounds, names, measure, { alternate = true } = {}) {
  const runs = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const name of alternate && round % 2 ? [...names].reverse() : names) {
      runs[name].push(await measure(name, round));
    }
  }
  return runs;
}

/**
 * The median of some numbers.
 * @param {number[]} values
 * @param {{ upper?: boolean }} [settings] with `upper`, an even count gives the upper of the two middle
 *   values rather than their mean
 * @returns {number}
 */
export function median(values, { upper = false } = {}) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 || upper ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * A confidence interval for the median of `values` that assumes nothing of their distribution:
 * the k-th smallest and the k-th largest value, with the largest k whose coverage,
 * 1 − 2·P(X < k) for X ~ Binomial(n, ½), is at least `level`. Eight values give only their
 * whole range at 95 %, sixteen their 4th to 13th.
 * @param {number[]} values
 * @param {number} [level] the coverage wanted, 0.95 by default
 * @returns {{ low: number, high: number, level: number } | null} null when there are too few values
 *   for any interval of that coverage (fewer than 6 at 95 %); `level` is the exact coverage
 * @throws {RangeError} for more than 1,000 values
 */
export function medianInterval(values, level = 0.95) {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  // 2^-n and n choose j leave the range of a double past ~1,000 values.
  if (n > 1000) throw new RangeError(`medianInterval takes at most 1000 values, not ${n}`);
  let k = 0;
  let coverage = 0;
  let below = 0; // P(X <= j)
  let ways = 1; // n choose j
  for (let j = 0; j < n; j++) {
    below += ways * 0.5 ** n;
    ways = (ways * (n - j)) / (j + 1);
    if (1 - 2 * below < level) break;
    k = j + 1;
    coverage = 1 - 2 * below;
  }
  return k === 0 ? null : { low: sorted[k - 1], high: sorted[n - k], level: coverage };
}

/**
 * Writes a benchmark's results as JSON to bench/results/<file> (gitignored), making the folder if needed.
 * @param {string} file e.g. `ratelimit.json`
 * @param {unknown} data
 */
export function writeResults(file, data) {
  const dir = join(root, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, file), `${JSON.stringify(data, null, 2)}\n`);
}
