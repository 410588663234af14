// Rate-limiter benchmark: @restash/ratelimit on @restash/core vs @upstash/ratelimit on @upstash/redis,
// same @restash/server, same redis-server, same algorithm, same concurrency, interleaved.
// Usage: node bench/ratelimit/run.mjs [--ops 20000] [--rounds 5] [--concurrency 100,1] [--algorithms slidingWindow,fixedWindow,tokenBucket]
// Needs: redis-server on PATH; packages/core, packages/server and packages/ratelimit built (pnpm build).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '../..');
const args = new Map();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const OPS = Number(args.get('ops') ?? 20_000);
const ROUNDS = Number(args.get('rounds') ?? 5);
const CONCURRENCY = (args.get('concurrency') ?? '100,1').split(',').map(Number);
const ALGORITHMS = (args.get('algorithms') ?? 'slidingWindow,fixedWindow,tokenBucket').split(',');
const TOKEN = 'bench-token';
const NAMES = { restash: '@restash/ratelimit', upstash: '@upstash/ratelimit 2.2.0' };

for (const file of [
  'packages/core/dist/index.js',
  'packages/server/dist/cli.js',
  'packages/ratelimit/dist/index.js',
]) {
  if (!existsSync(join(root, file))) throw new Error(`${file} is missing: run pnpm build first`);
}

// With two or more CPUs: clients and Redis on CPU 0, the server on CPU 1, as in bench/client.
const taskset = spawnSync('taskset', ['--version']).status === 0;
const pinned = (cpu, command, argv) =>
  taskset ? ['taskset', ['-c', String(cpu), command, ...argv]] : [command, argv];

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function waitFor(child, match) {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`did not start: ${output}`)), 15_000);
    const onData = (chunk) => {
      output += chunk;
      const found = match(output);
      if (found !== undefined) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
  });
}

/** CPU time (µs) a process has used so far, from /proc; undefined where there is no /proc. */
function cpuOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // utime + stime, in 100 Hz ticks
  } catch {
    return undefined;
  }
}

const redisPort = await freePort();
const dir = mkdtempSync(join(tmpdir(), 'restash-bench-ratelimit-'));
const redisArgs = [
  '--port',
  String(redisPort),
  '--bind',
  '127.0.0.1',
  '--save',
  '',
  '--appendonly',
  'no',
  '--dir',
  dir,
];
const redis = spawn(...pinned(0, 'redis-server', redisArgs), { stdio: ['ignore', 'pipe', 'pipe'] });
await waitFor(redis, (text) => (text.includes('Ready to accept connections') ? true : undefined));
const serverArgs = [
  join(root, 'packages/server/dist/cli.js'),
  '--port',
  '0',
  '--redis',
  `redis://127.0.0.1:${redisPort}`,
];
const server = spawn(
  ...pinned(1, process.execPath, [...serverArgs, '--token', TOKEN, '--log-level', 'info']),
  {
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
const url = await waitFor(server, (text) => {
  for (const line of text.split('\n')) {
    if (line.startsWith('{') && line.includes('"listening"')) return JSON.parse(line).url;
    const banner = /listening on (https?:\/\/\S+)/i.exec(line);
    if (banner) return banner[1];
  }
  return undefined;
});

function runWorker(name, algorithm, concurrency) {
  const ops = concurrency === 1 ? Math.min(OPS, 3000) : OPS;
  const warmup = Math.min(ops, 3000);
  const [command, argv] = pinned(0, process.execPath, [
    join(here, 'worker.mjs'),
    name,
    algorithm,
    url,
    TOKEN,
    String(ops),
    String(concurrency),
    String(warmup),
  ]);
  const serverBefore = cpuOf(server.pid);
  const redisBefore = cpuOf(redis.pid);
  const out = spawnSync(command, argv, { encoding: 'utf8' });
  const serverAfter = cpuOf(server.pid);
  const redisAfter = cpuOf(redis.pid);
  if (out.status !== 0) throw new Error(`${name} worker failed: ${out.stderr}`);
  const result = JSON.parse(out.stdout.trim().split('\n').pop());
  // The server's CPU covers the warm-up too: per call over warm-up + run.
  if (serverBefore !== undefined) result.serverUsPerCall = (serverAfter - serverBefore) / (ops + warmup);
  if (redisBefore !== undefined) result.redisUsPerCall = (redisAfter - redisBefore) / (ops + warmup);
  return result;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const results = [];
try {
  for (const concurrency of CONCURRENCY) {
    for (const algorithm of ALGORITHMS) {
      const runs = { restash: [], upstash: [] };
      // Interleaved rounds: noise on shared machines is large, only ratios within one run mean anything.
      for (let round = 0; round < ROUNDS; round++) {
        for (const name of round % 2 ? ['upstash', 'restash'] : ['restash', 'upstash'])
          runs[name].push(runWorker(name, algorithm, concurrency));
      }
      const row = (name) => ({
        library: NAMES[name],
        algorithm,
        concurrency,
        callsPerSec: Math.round(median(runs[name].map((r) => (r.ops / r.ms) * 1000))),
        clientCpuUsPerCall: Number(median(runs[name].map((r) => r.cpuUs / r.ops)).toFixed(1)),
        serverCpuUsPerCall:
          runs[name][0].serverUsPerCall === undefined
            ? null
            : Number(median(runs[name].map((r) => r.serverUsPerCall)).toFixed(1)),
        redisCpuUsPerCall:
          runs[name][0].redisUsPerCall === undefined
            ? null
            : Number(median(runs[name].map((r) => r.redisUsPerCall)).toFixed(1)),
      });
      const ours = row('restash');
      const theirs = row('upstash');
      ours.speedup = Number((ours.callsPerSec / theirs.callsPerSec).toFixed(2));
      ours.cpuRatio = Number((ours.clientCpuUsPerCall / theirs.clientCpuUsPerCall).toFixed(2));
      results.push(ours, theirs);
    }
  }
} finally {
  server.kill('SIGKILL');
  redis.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}

console.log(
  `\nRate-limiter benchmark: ${OPS} limit() calls over 1,000 identifiers, ${ROUNDS} interleaved rounds, medians${taskset ? ', clients and Redis on CPU 0, server on CPU 1' : ''}\n`,
);
console.log(
  '| algorithm | concurrency | library | calls/s | client CPU µs/call | server CPU µs/call | Redis CPU µs/call | vs upstash |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const ratio = r.speedup === undefined ? '' : `${r.speedup}× calls/s, ${r.cpuRatio}× CPU/call`;
  console.log(
    `| ${r.algorithm} | ${r.concurrency} | ${r.library} | ${r.callsPerSec} | ${r.clientCpuUsPerCall} | ${r.serverCpuUsPerCall ?? '–'} | ${r.redisCpuUsPerCall ?? '–'} | ${ratio} |`,
  );
}
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(
  join(root, 'bench/results/ratelimit.json'),
  `${JSON.stringify({ at: new Date().toISOString(), results }, null, 2)}\n`,
);
