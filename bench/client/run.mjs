// Client benchmark: @restash/core vs @upstash/redis, same server, same workload.
// Usage: node bench/client/run.mjs [--ops 20000] [--rounds 5] [--concurrency 100,1]
// Needs: redis-server on PATH, packages/core and packages/server built (pnpm build).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  interleaved,
  median,
  options,
  requireBuilt,
  runWorker as run,
  startRedis,
  startServer,
  taskset,
} from '../lib.mjs';
import { bundleSizes } from './bundle-size.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const {
  ops: OPS,
  rounds: ROUNDS,
  concurrency: CONCURRENCY,
} = options({ ops: 20_000, rounds: 5, concurrency: [100, 1] });
const TOKEN = 'bench-token';

requireBuilt(['packages/core/dist/index.js', 'packages/server/dist/cli.js']);

// On a machine with two or more CPUs, keep the client on CPU 0 and the server on CPU 1 so they do not compete.
const dir = mkdtempSync(join(tmpdir(), 'restash-bench-'));
const redis = await startRedis({ cpu: 0, dir });
const server = await startServer({ cpu: 1, redisUrl: redis.url, token: TOKEN });
const url = server.url;

function runWorker(name, concurrency) {
  const ops = concurrency === 1 ? Math.min(OPS, 4000) : OPS;
  return run(
    0,
    join(here, 'worker.mjs'),
    [name, url, TOKEN, String(ops), String(concurrency), String(Math.min(ops, 4000))],
    name,
  );
}

const results = [];
try {
  for (const concurrency of CONCURRENCY) {
    // Interleaved rounds: noise on shared machines is large, only ratios within one run mean anything.
    const runs = await interleaved(ROUNDS, ['restash', 'upstash'], (name) => runWorker(name, concurrency));
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
  server.child.kill('SIGKILL');
  redis.child.kill('SIGKILL');
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
