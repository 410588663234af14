// Cached Nest endpoint benchmark: @restash/nestjs (over HTTP through
// @restash/server) against @nestjs/cache-manager + @keyv/redis (over TCP) on
// the same redis-server, in one run. Method and latest figures: README.md.
//
//   pnpm build && node bench/nestjs/run.mjs [--duration 8] [--rounds 3] [--connections 50]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  cpuUs,
  freePort,
  interleaved,
  median,
  options,
  pinned,
  requireBuilt,
  requireCommands,
  startRedis,
  startServer,
  taskset,
} from '../lib.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const {
  duration: DURATION,
  rounds: ROUNDS,
  connections: CONNECTIONS,
  keys: KEYS,
} = options({ duration: 8, rounds: 3, connections: 50, keys: 100 });
const TOKEN = 'bench-token';

requireBuilt([
  'packages/core/dist/index.js',
  'packages/keyv/dist/index.js',
  'packages/nestjs/dist/index.js',
  'packages/ratelimit/dist/index.js',
  'packages/server/dist/cli.js',
]);
requireCommands([['wrk', 'wrk']]);

// The app under test on CPU 0; wrk, Redis and the Restash server on CPU 1.
const dir = mkdtempSync(join(tmpdir(), 'restash-bench-nest-'));
const redis = await startRedis({ cpu: 1, dir });
const redisUrl = redis.url;
const server = await startServer({ cpu: 1, redisUrl, token: TOKEN });
const restashUrl = server.url;

async function startApp(variant) {
  const port = await freePort();
  const [command, argv] = pinned(0, process.execPath, [
    join(here, 'app.mjs'),
    variant,
    String(port),
    redisUrl,
    restashUrl,
    TOKEN,
  ]);
  const child = spawn(command, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`${variant} app exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

const appCpu = (child) =>
  new Promise((resolve) => {
    child.once('message', ({ user, system }) => resolve(user + system));
    child.send('cpu');
  });

function wrk(url, route, seconds) {
  const [command, argv] = pinned(1, 'wrk', [
    '-t1',
    `-c${CONNECTIONS}`,
    `-d${seconds}s`,
    '-s',
    join(here, 'rotate.lua'),
    url,
  ]);
  const out = spawnSync(command, argv, {
    encoding: 'utf8',
    env: { ...process.env, ROUTE: route, KEYS: String(KEYS) },
  });
  const line = out.stdout.split('\n').find((l) => l.startsWith('RESULT'));
  if (!line) throw new Error(`wrk failed: ${out.stdout}${out.stderr}`);
  const [requests, durationUs, errors, p50, p99, status, connect, read, write, timeout] = line
    .split(' ')
    .slice(1)
    .map(Number);
  return { requests, durationUs, errors, p50, p99, detail: { status, connect, read, write, timeout } };
}

async function measure(variant, route) {
  const app = await startApp(variant);
  try {
    // Fill the cache (one miss per key), then warm up the JIT: every measured request is a hit.
    for (let k = 1; k <= KEYS; k++) {
      const response = await fetch(`${app.url}${route}/${k}`);
      if (response.status !== 200) throw new Error(`${variant} ${route}/${k}: HTTP ${response.status}`);
      await response.arrayBuffer();
    }
    wrk(app.url, route, 2);
    const before = {
      app: await appCpu(app.child),
      server: cpuUs(server.child.pid),
      redis: cpuUs(redis.child.pid),
    };
    const run = wrk(app.url, route, DURATION);
    const after = {
      app: await appCpu(app.child),
      server: cpuUs(server.child.pid),
      redis: cpuUs(redis.child.pid),
    };
    if (run.errors > 0) {
      // BENCH_TOLERATE=1 keeps going on a loaded machine (wrk counts replies slower than 2 s as timeouts).
      const message = `${variant} ${route}: errors ${JSON.stringify(run.detail)}`;
      if (!process.env.BENCH_TOLERATE) throw new Error(message);
      console.error(`[bench] warning: ${message}`);
    }
    return {
      hitsPerSec: run.requests / (run.durationUs / 1e6),
      appCpuUs: (after.app - before.app) / run.requests,
      serverCpuUs: variant === 'restash' ? (after.server - before.server) / run.requests : 0,
      redisCpuUs: (after.redis - before.redis) / run.requests,
      p50Ms: run.p50 / 1000,
      p99Ms: run.p99 / 1000,
    };
  } finally {
    app.child.kill('SIGTERM');
    await new Promise((resolve) => app.child.once('exit', resolve));
  }
}

const scenarios = [
  { route: '/products', label: 'interceptor (GET cached by URL)' },
  { route: '/service', label: 'service method (@Cacheable vs cacheManager.wrap)' },
];
const variants = ['restash', 'keyv-redis'];
const rows = [];
try {
  for (const { route, label } of scenarios) {
    // Interleaved: noise on shared machines is large; only ratios within one run mean anything.
    const runs = await interleaved(ROUNDS, variants, async (variant, round) => {
      const result = await measure(variant, route);
      console.error(
        `[bench] ${label} ${variant} round ${round + 1}: ${Math.round(result.hitsPerSec)} hits/s`,
      );
      return result;
    });
    const summary = (variant) => {
      const list = runs[variant];
      const pick = (field) => median(list.map((r) => r[field]));
      return {
        label,
        variant,
        hitsPerSec: Math.round(pick('hitsPerSec')),
        appCpuUs: pick('appCpuUs'),
        serverCpuUs: pick('serverCpuUs'),
        redisCpuUs: pick('redisCpuUs'),
        p50Ms: pick('p50Ms'),
        p99Ms: pick('p99Ms'),
      };
    };
    const ours = summary('restash');
    const theirs = summary('keyv-redis');
    rows.push({ ...ours, ratio: ours.hitsPerSec / theirs.hitsPerSec }, { ...theirs, ratio: 1 });
  }
} finally {
  server.child.kill('SIGKILL');
  redis.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}

const names = {
  restash: '@restash/nestjs → @restash/server (HTTP)',
  'keyv-redis': '@nestjs/cache-manager + @keyv/redis (TCP)',
};
console.log(
  `\nCached Nest endpoint: ${ROUNDS} interleaved rounds of ${DURATION} s, wrk ${CONNECTIONS} connections over ${KEYS} keys (all hits), medians${taskset ? '; app on CPU 0, wrk + Redis + Restash server on CPU 1' : ''}\n`,
);
console.log(
  '| scenario | stack | hits/s | × keyv-redis | app CPU µs/hit | server CPU µs/hit | Redis CPU µs/hit | total CPU µs/hit | p50 ms | p99 ms |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.label} | ${names[r.variant]} | ${r.hitsPerSec} | ${r.ratio.toFixed(2)} | ${r.appCpuUs.toFixed(1)} | ${r.variant === 'restash' ? r.serverCpuUs.toFixed(1) : '–'} | ${r.redisCpuUs.toFixed(1)} | ${(r.appCpuUs + r.serverCpuUs + r.redisCpuUs).toFixed(1)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} |`,
  );
}
