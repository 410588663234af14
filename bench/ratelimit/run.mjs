// Rate-limiter benchmark: @restash/ratelimit on @restash/core vs @upstash/ratelimit on @upstash/redis,
// same @restash/server, same redis-server, same algorithm, same concurrency, interleaved.
// Usage: node bench/ratelimit/run.mjs [--ops 20000] [--rounds 5] [--concurrency 100,1] [--algorithms slidingWindow,fixedWindow,tokenBucket]
// Needs: redis-server on PATH; packages/core, packages/server and packages/ratelimit built (pnpm build).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  cpuUs,
  interleaved,
  median,
  options,
  requireBuilt,
  runWorker as run,
  startRedis,
  startServer,
  taskset,
  writeResults,
} from '../lib.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const {
  ops: OPS,
  rounds: ROUNDS,
  concurrency: CONCURRENCY,
  algorithms: ALGORITHMS,
} = options({
  ops: 20_000,
  rounds: 5,
  concurrency: [100, 1],
  algorithms: ['slidingWindow', 'fixedWindow', 'tokenBucket'],
});
const TOKEN = 'bench-token';
const NAMES = { restash: '@restash/ratelimit', upstash: '@upstash/ratelimit 2.2.0' };

requireBuilt([
  'packages/core/dist/index.js',
  'packages/server/dist/cli.js',
  'packages/ratelimit/dist/index.js',
]);

// With two or more CPUs: clients and Redis on CPU 0, the server on CPU 1, as in bench/client.
const dir = mkdtempSync(join(tmpdir(), 'restash-bench-ratelimit-'));
const redis = await startRedis({ cpu: 0, dir });
const server = await startServer({ cpu: 1, redisUrl: redis.url, token: TOKEN });
const url = server.url;

function runWorker(name, algorithm, concurrency) {
  const ops = concurrency === 1 ? Math.min(OPS, 3000) : OPS;
  const warmup = Math.min(ops, 3000);
  const argv = [name, algorithm, url, TOKEN, String(ops), String(concurrency), String(warmup)];
  const serverBefore = cpuUs(server.child.pid);
  const redisBefore = cpuUs(redis.child.pid);
  const result = run(0, join(here, 'worker.mjs'), argv, name);
  const serverAfter = cpuUs(server.child.pid);
  const redisAfter = cpuUs(redis.child.pid);
  // The server's CPU covers the warm-up too: per call over warm-up + run.
  if (serverBefore !== undefined) result.serverUsPerCall = (serverAfter - serverBefore) / (ops + warmup);
  if (redisBefore !== undefined) result.redisUsPerCall = (redisAfter - redisBefore) / (ops + warmup);
  return result;
}

const results = [];
try {
  for (const concurrency of CONCURRENCY) {
    for (const algorithm of ALGORITHMS) {
      // Interleaved rounds: noise on shared machines is large, only ratios within one run mean anything.
      const runs = await interleaved(ROUNDS, ['restash', 'upstash'], (name) =>
        runWorker(name, algorithm, concurrency),
      );
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
  server.child.kill('SIGKILL');
  redis.child.kill('SIGKILL');
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
writeResults('ratelimit.json', { at: new Date().toISOString(), results });
