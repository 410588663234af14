// Client benchmark: @restash/core vs @upstash/redis, same server, same workload.
// Usage: node bench/client/run.mjs [--ops 20000] [--rounds 5] [--concurrency 100,1]
// Needs: redis-server on PATH, packages/core and packages/server built (pnpm build).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSizes } from './bundle-size.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '../..');
const args = new Map();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const OPS = Number(args.get('ops') ?? 20_000);
const ROUNDS = Number(args.get('rounds') ?? 5);
const CONCURRENCY = (args.get('concurrency') ?? '100,1').split(',').map(Number);
const TOKEN = 'bench-token';

for (const file of ['packages/core/dist/index.js', 'packages/server/dist/cli.js']) {
  if (!existsSync(join(root, file))) throw new Error(`${file} is missing: run pnpm build first`);
}

// On a machine with two or more CPUs, keep the client on CPU 0 and the server on CPU 1 so they do not compete.
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

function waitFor(child, stream, match) {
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
    if (stream !== 'stderr') child.stdout.on('data', onData);
    if (stream !== 'stdout') child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
  });
}

const redisPort = await freePort();
const dir = mkdtempSync(join(tmpdir(), 'restash-bench-'));
const redis = spawn(
  ...pinned(0, 'redis-server', [
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
  {
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
await waitFor(redis, 'stdout', (text) => (text.includes('Ready to accept connections') ? true : undefined));
const server = spawn(
  ...pinned(1, process.execPath, [
    join(root, 'packages/server/dist/cli.js'),
    '--port',
    '0',
    '--redis',
    `redis://127.0.0.1:${redisPort}`,
    '--token',
    TOKEN,
    '--log-level',
    'info',
  ]),
  { stdio: ['ignore', 'pipe', 'pipe'] },
);
const url = await waitFor(server, 'both', (text) => {
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
    url,
    TOKEN,
    String(ops),
    String(concurrency),
    String(Math.min(ops, 4000)),
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

const results = [];
try {
  for (const concurrency of CONCURRENCY) {
    const runs = { restash: [], upstash: [] };
    // Interleaved rounds: noise on shared machines is large, only ratios within one run mean anything.
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of round % 2 ? ['upstash', 'restash'] : ['restash', 'upstash'])
        runs[name].push(runWorker(name, concurrency));
    }
    for (const name of ['restash', 'upstash']) {
      const list = runs[name];
      results.push({
        client: name === 'restash' ? '@restash/core' : '@upstash/redis 1.39.0',
        concurrency,
        opsPerSec: Math.round(median(list.map((r) => (r.ops / r.ms) * 1000))),
        cpuUsPerOp: Number(median(list.map((r) => r.cpuUs / r.ops)).toFixed(1)),
      });
    }
  }
} finally {
  server.kill('SIGKILL');
  redis.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}

console.log(
  `\nClient benchmark: ${OPS} commands (SET+GET pairs, 120-byte JSON value), ${ROUNDS} interleaved rounds, medians${taskset ? ', client on CPU 0, server on CPU 1' : ''}\n`,
);
console.log('| client | concurrent callers | commands/s | client CPU µs/command |');
console.log('|---|---|---|---|');
for (const r of results) console.log(`| ${r.client} | ${r.concurrency} | ${r.opsPerSec} | ${r.cpuUsPerOp} |`);

const sizes = await bundleSizes();
console.log('\nMain entry bundled for the browser, minified:\n');
console.log('| entry | minified | minified + gzip |');
console.log('|---|---|---|');
for (const s of sizes)
  console.log(`| ${s.name} | ${(s.min / 1024).toFixed(1)} KiB | ${(s.gzip / 1024).toFixed(1)} KiB |`);
