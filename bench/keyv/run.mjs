// Keyv store benchmark: KeyvRestash (over HTTP through @restash/server) against
// @keyv/redis (over TCP) on the same redis-server, in one run. See README.md.
//
//   pnpm build && node bench/keyv/run.mjs [--ops 20000] [--rounds 5] [--concurrency 50,1]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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
const CONCURRENCY = (args.get('concurrency') ?? '50,1').split(',').map(Number);
const TOKEN = 'bench-token';

for (const file of [
  'packages/core/dist/index.js',
  'packages/keyv/dist/index.js',
  'packages/server/dist/cli.js',
]) {
  if (!existsSync(join(root, file))) throw new Error(`${file} is missing: run pnpm build first`);
}

// The store under test on CPU 0; Redis and the Restash server on CPU 1.
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
    const timer = setTimeout(() => reject(new Error(`did not start: ${output}`)), 20_000);
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

const dir = mkdtempSync(join(tmpdir(), 'restash-bench-keyv-'));
const redisPort = await freePort();
const redis = spawn(
  ...pinned(1, 'redis-server', [
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
  ]),
  { stdio: ['ignore', 'pipe', 'pipe'] },
);
await waitFor(redis, (text) => (text.includes('Ready to accept connections') ? true : undefined));
const redisUrl = `redis://127.0.0.1:${redisPort}`;
const server = spawn(
  ...pinned(1, process.execPath, [
    join(root, 'packages/server/dist/cli.js'),
    '--port',
    '0',
    '--redis',
    redisUrl,
    '--token',
    TOKEN,
    '--log-level',
    'info',
  ]),
  { stdio: ['ignore', 'pipe', 'pipe'] },
);
const restashUrl = await waitFor(server, (text) => {
  for (const line of text.split('\n')) {
    if (line.startsWith('{') && line.includes('"listening"')) return JSON.parse(line).url;
    const banner = /listening on (https?:\/\/\S+)/i.exec(line);
    if (banner) return banner[1];
  }
  return undefined;
});

function runWorker(name, concurrency) {
  const ops = concurrency === 1 ? Math.min(OPS, 4000) : OPS;
  const [command, argv] = pinned(0, process.execPath, [
    join(here, 'worker.mjs'),
    name,
    restashUrl,
    TOKEN,
    redisUrl,
    String(ops),
    String(concurrency),
  ]);
  const out = spawnSync(command, argv, { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`${name} worker failed: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').pop());
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const names = { restash: '@restash/keyv → @restash/server (HTTP)', 'keyv-redis': '@keyv/redis 5.1.6 (TCP)' };
const rows = [];
try {
  for (const concurrency of CONCURRENCY) {
    const runs = { restash: [], 'keyv-redis': [] };
    // Interleaved rounds: on a shared machine only ratios within one run mean anything.
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of round % 2 ? ['keyv-redis', 'restash'] : ['restash', 'keyv-redis'])
        runs[name].push(runWorker(name, concurrency));
    }
    const summary = (name) => ({
      name,
      concurrency,
      opsPerSec: median(runs[name].map((r) => (r.ops / r.ms) * 1000)),
      cpuUs: median(runs[name].map((r) => r.cpuUs / r.ops)),
    });
    const ours = summary('restash');
    const theirs = summary('keyv-redis');
    rows.push({ ...ours, ratio: ours.opsPerSec / theirs.opsPerSec }, { ...theirs, ratio: 1 });
  }
} finally {
  server.kill('SIGKILL');
  redis.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}

console.log(
  `\nKeyv store: ${OPS} operations (SET + GET pairs over 100 keys, a ~90-byte object), ${ROUNDS} interleaved rounds, medians${taskset ? '; store on CPU 0, Redis + Restash server on CPU 1' : ''}\n`,
);
console.log('| store | concurrent callers | ops/s | × @keyv/redis | store CPU µs/op |');
console.log('|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${names[r.name]} | ${r.concurrency} | ${Math.round(r.opsPerSec)} | ${r.ratio.toFixed(2)} | ${r.cpuUs.toFixed(1)} |`,
  );
}
