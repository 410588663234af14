// Session store benchmark: an Express route using @restash/express-session over
// HTTP (through @restash/server) against the same route using connect-redis 9
// over TCP, to the same redis-server, in one run.
//
//   pnpm build && node bench/express-session/run.mjs
//   DURATION=10 ROUNDS=5 CONNECTIONS=50 node bench/express-session/run.mjs
//
// Needs redis-server, wrk and taskset (Debian: redis-server wrk util-linux).
// Method and latest figures: bench/express-session/README.md.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  cpuUs,
  freePort,
  median,
  pinned,
  requireBuilt,
  requireCommands,
  root,
  startRedis,
  startServer,
  waitFor,
  writeResults,
} from '../lib.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const env = process.env;
const DURATION = Number(env.DURATION ?? 8); // seconds measured, per target, route and round
const WARMUP = Number(env.WARMUP ?? 2); // seconds of discarded load just before each measured run
const ROUNDS = Number(env.ROUNDS ?? 3);
const CONNECTIONS = Number(env.CONNECTIONS ?? 50);
const SESSIONS = Number(env.SESSIONS ?? 200);
const LOAD_CPU = env.LOAD_CPU ?? '0'; // wrk, redis-server and the REST server
const APP_CPU = env.APP_CPU ?? '1'; // the Express app under test
const TOKEN = 'bench-token';
const ROUTES = (env.ROUTES ?? 'write,read').split(',');

const ALL_TARGETS = [
  { name: 'connect-redis 9 (TCP)', env: { STORE: 'connect-redis' } },
  { name: 'restash (defaults)', env: { STORE: 'restash' } },
  { name: 'restash (touchAfter: 60)', env: { STORE: 'restash', TOUCH_AFTER: '60' } },
  {
    name: 'restash (tuned)',
    env: {
      STORE: 'restash',
      TOUCH_AFTER: '60',
      CLIENT_OPTIONS: JSON.stringify({ responseEncoding: false, readYourWrites: false }),
    },
  },
];
// TARGETS=0,2 picks some (by index); the first one picked is the baseline of the ratios.
const TARGETS = (env.TARGETS ?? '0,1,2,3').split(',').map((i) => ALL_TARGETS[Number(i)]);

requireBuilt([
  'packages/core/dist/index.js',
  'packages/express-session/dist/index.js',
  'packages/server/dist/cli.js',
]);
requireCommands([
  ['redis-server', 'redis-server'],
  ['wrk', 'wrk'],
  ['taskset', 'util-linux'],
]);

const stopping = [];
const stop = (child) =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });

const work = mkdtempSync(join(tmpdir(), 'restash-bench-session-'));
// A copy of the client's build (it has no dependencies), so a rebuild of the workspace during the run cannot break it.
const coreDist = join(work, 'core-dist');
cpSync(join(root, 'packages/core/dist'), coreDist, { recursive: true });
// Ctrl-C (or a kill) stops every process this script started.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of stopping) child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
    process.exit(130);
  });
}

const { child: redis, url: redisUrl } = await startRedis({ cpu: LOAD_CPU, dir: work });
stopping.push(redis);
const { child: rest, url: restUrl } = await startServer({
  cpu: LOAD_CPU,
  redisUrl,
  token: TOKEN,
  logLevel: 'warn',
});
stopping.push(rest);

async function startApp(target) {
  const port = await freePort();
  const app = spawn(...pinned(APP_CPU, process.execPath, [join(here, 'app.mjs')]), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...env,
      ...target.env,
      PORT: String(port),
      REDIS_URL: redisUrl,
      RESTASH_URL: restUrl,
      RESTASH_TOKEN: TOKEN,
      CORE_DIST: coreDist,
    },
  });
  stopping.push(app);
  await waitFor(app, /ready/, { what: target.name });
  app.stderr.on('data', (chunk) => process.stderr.write(`[${target.name}] ${chunk}`));
  return { app, url: `http://127.0.0.1:${port}` };
}

/** A GET on a connection of its own (a kept-alive one may have been closed by the app meanwhile). */
function get(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
          body += chunk;
        });
        response.on('end', () => resolve({ headers: response.headers, body }));
      })
      .on('error', reject);
  });
}

/** Signs in SESSIONS times; returns the cookie file wrk cycles through. */
async function sessionsFor(url, file) {
  const cookies = [];
  for (let i = 0; i < SESSIONS; i++) {
    const { headers } = await get(`${url}/login`);
    cookies.push(headers['set-cookie'][0].split(';')[0]);
  }
  writeFileSync(file, `${cookies.join('\n')}\n`);
}

function wrk(url, seconds, cookies) {
  const result = spawnSync(
    ...pinned(LOAD_CPU, 'wrk', [
      '-t1',
      `-c${CONNECTIONS}`,
      `-d${seconds}s`,
      '--latency',
      '-s',
      join(here, 'cookies.lua'),
      url,
    ]),
    { env: { ...env, COOKIES_FILE: cookies }, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`wrk failed: ${result.stderr}`);
  const out = result.stdout;
  const number = (re) => Number(re.exec(out)?.[1] ?? Number.NaN);
  const ms = (label) => {
    const found = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
    if (!found) return Number.NaN;
    return Number(found[1]) * { us: 0.001, ms: 1, s: 1000 }[found[2]];
  };
  return {
    requests: number(/(\d+) requests in/),
    rps: number(/Requests\/sec:\s+([\d.]+)/),
    p50: ms('50'),
    p99: ms('99'),
    errors: number(/Non-2xx or 3xx responses: (\d+)/) || 0,
    socketErrors: /Socket errors/.test(out),
  };
}

const runs = [];
process.on('uncaughtException', (error) => {
  console.error(error);
  for (const child of stopping) child.kill('SIGKILL');
  process.exit(1);
});
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const target of TARGETS) {
      const { app, url } = await startApp(target);
      try {
        const cookies = join(work, 'cookies.txt');
        await sessionsFor(url, cookies);
        for (const route of ROUTES) {
          wrk(`${url}/${route}`, WARMUP, cookies);
          const restRequests = async () => JSON.parse((await get(`${url}/-/rest-requests`)).body).count;
          const sentBefore = await restRequests();
          const before = [cpuUs(app.pid), cpuUs(rest.pid), cpuUs(redis.pid)];
          const result = wrk(`${url}/${route}`, DURATION, cookies);
          const after = [cpuUs(app.pid), cpuUs(rest.pid), cpuUs(redis.pid)];
          const sent = (await restRequests()) - sentBefore;
          const perRequest = (i) => (after[i] - before[i]) / result.requests; // µs
          const run = {
            round,
            target: target.name,
            route,
            ...result,
            appCpuUs: perRequest(0),
            restCpuUs: perRequest(1),
            redisCpuUs: perRequest(2),
            restPerRequest: sent / result.requests,
          };
          runs.push(run);
          console.error(
            `[bench] round ${round} ${target.name.padEnd(26)} /${route.padEnd(5)} ${result.rps.toFixed(0).padStart(6)} req/s  p50 ${result.p50.toFixed(2)} ms  p99 ${result.p99.toFixed(2)} ms  app ${run.appCpuUs.toFixed(0)} µs/req  ${run.restPerRequest.toFixed(3)} HTTP/req${result.errors ? `  ${result.errors} errors!` : ''}`,
          );
        }
      } finally {
        await stop(app);
      }
    }
  }
} finally {
  for (const child of stopping.reverse()) await stop(child);
  rmSync(work, { recursive: true, force: true });
}

const summary = [];
for (const route of ROUTES) {
  const baseline = runs.filter((r) => r.route === route && r.target === TARGETS[0].name);
  for (const target of TARGETS) {
    const mine = runs.filter((r) => r.route === route && r.target === target.name);
    const rps = median(mine.map((r) => r.rps));
    // Paired by round (the targets of a round run back to back), so slow drifts in the
    // machine's load cancel out; the median of those ratios.
    const ratios = mine.map((r) => r.rps / (baseline.find((b) => b.round === r.round)?.rps ?? Number.NaN));
    summary.push({
      route,
      target: target.name,
      rps: Math.round(rps),
      ratio: Number(median(ratios).toFixed(2)),
      ratios: ratios.map((x) => Number(x.toFixed(2))),
      p50: Number(median(mine.map((r) => r.p50)).toFixed(2)),
      p99: Number(median(mine.map((r) => r.p99)).toFixed(2)),
      appCpuUs: Math.round(median(mine.map((r) => r.appCpuUs))),
      restCpuUs: Math.round(median(mine.map((r) => r.restCpuUs))),
      redisCpuUs: Math.round(median(mine.map((r) => r.redisCpuUs))),
      restPerRequest: Number(median(mine.map((r) => r.restPerRequest)).toFixed(3)),
      errors: mine.reduce((sum, r) => sum + r.errors, 0),
    });
  }
}

const rows = summary.map(
  (s) =>
    `| /${s.route} | ${s.target} | ${s.rps} | **${s.ratio.toFixed(2)}×** | ${s.p50} | ${s.p99} | ${s.appCpuUs} | ${s.restCpuUs} | ${s.redisCpuUs} | ${s.target.startsWith('restash') ? s.restPerRequest : '–'} | ${s.errors} |`,
);
console.log(
  [
    `Express session route, ${CONNECTIONS} connections over ${SESSIONS} sessions, ${DURATION} s × ${ROUNDS} interleaved rounds, medians;`,
    'the ratio is the median of the per-round ratios to connect-redis',
    `(app on CPU ${APP_CPU}; wrk, redis-server and the REST server on CPU ${LOAD_CPU}):`,
    '',
    '| route | store | req/s | vs connect-redis | p50 ms | p99 ms | app CPU µs/req | REST server CPU µs/req | Redis CPU µs/req | REST requests per request | non-2xx |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n'),
);
writeResults('express-session.json', {
  date: new Date().toISOString(),
  node: process.version,
  DURATION,
  ROUNDS,
  CONNECTIONS,
  SESSIONS,
  runs,
  summary,
});
