// Keyv store benchmark: KeyvRestash (over HTTP through @restash/server) against
// @keyv/redis (over TCP) on the same redis-server, in one run. See README.md.
//
//   pnpm build && node bench/keyv/run.mjs [--ops 20000] [--rounds 5] [--concurrency 50,1]
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

const here = fileURLToPath(new URL('.', import.meta.url));
const {
  ops: OPS,
  rounds: ROUNDS,
  concurrency: CONCURRENCY,
} = options({ ops: 20_000, rounds: 5, concurrency: [50, 1] });
const TOKEN = 'bench-token';

requireBuilt(['packages/core/dist/index.js', 'packages/keyv/dist/index.js', 'packages/server/dist/cli.js']);

// The store under test on CPU 0; Redis and the Restash server on CPU 1.
const dir = mkdtempSync(join(tmpdir(), 'restash-bench-keyv-'));
const redis = await startRedis({ cpu: 1, dir });
const redisUrl = redis.url;
const server = await startServer({ cpu: 1, redisUrl, token: TOKEN });
const restashUrl = server.url;

function runWorker(name, concurrency) {
  const ops = concurrency === 1 ? Math.min(OPS, 4000) : OPS;
  const argv = [name, restashUrl, TOKEN, redisUrl, String(ops), String(concurrency)];
  return run(0, join(here, 'worker.mjs'), argv, name);
}

const names = { restash: '@restash/keyv → @restash/server (HTTP)', 'keyv-redis': '@keyv/redis 5.1.6 (TCP)' };
const rows = [];
try {
  for (const concurrency of CONCURRENCY) {
    // Interleaved rounds: on a shared machine only ratios within one run mean anything.
    const runs = await interleaved(ROUNDS, ['restash', 'keyv-redis'], (name) => runWorker(name, concurrency));
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
  server.child.kill('SIGKILL');
  redis.child.kill('SIGKILL');
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
