// Cache-handler benchmark: hits/s of Next's caches through @restash/next against
// Next's default in-memory 'use cache' handler and a TCP Redis ISR handler
// (@fortedigital/nextjs-cache-handler on node-redis), all on this machine.
// Usage: node bench/next/run.mjs [--seconds 5] [--rounds 3] [--concurrency 32] [--keys 100] [--bytes 8192]
// Needs: redis-server on PATH; packages/core, packages/server and packages/next built (pnpm build).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  interleaved,
  median,
  options,
  requireBuilt,
  root,
  startRedis,
  startServer,
  writeResults,
} from '../lib.mjs';

const nextPackage = join(root, 'packages/next');
// The benchmark's own dependencies (Next, the TCP handler, node-redis) are devDependencies of @restash/next.
const requireFromNext = createRequire(join(nextPackage, 'package.json'));
const {
  seconds: SECONDS,
  rounds: ROUNDS,
  concurrency: CONCURRENCY,
  keys: KEYS,
  bytes: BYTES,
} = options({ seconds: 5, rounds: 3, concurrency: 32, keys: 100, bytes: 8192 });
const TOKEN = 'bench-token';

requireBuilt(['packages/core/dist/index.js', 'packages/server/dist/cli.js', 'packages/next/dist/index.js']);

// Nothing is pinned: the handlers under test, our server and Redis share the machine's CPUs.
const children = [];
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
});
process.on('SIGINT', () => process.exit(130));

const redis = await startRedis();
children.push(redis.child);
const server = await startServer({ redisUrl: redis.url, token: TOKEN });
children.push(server.child);

const { Redis } = await import(pathToFileURL(join(root, 'packages/core/dist/index.js')).href);
const { createUseCacheHandler, createIncrementalCacheHandler } = await import(
  pathToFileURL(join(nextPackage, 'dist/index.js')).href
);
const { createDefaultCacheHandler } = requireFromNext('next/dist/server/lib/cache-handlers/default');
const { createClient } = requireFromNext('@redis/client');
const forteRedisStrings = requireFromNext('@fortedigital/nextjs-cache-handler/redis-strings').default;

const restash = () => new Redis({ url: server.url, token: TOKEN, automaticDeserialization: false });
const payload = new Uint8Array(BYTES).map((_, i) => (i * 31) & 0xff);
const keyOf = (i) => `bench-key-${i}`;

async function readAll(stream) {
  let size = 0;
  for await (const chunk of stream) size += chunk.byteLength;
  return size;
}

/** Runs `op` from CONCURRENCY loops for SECONDS; returns operations per second. */
async function measure(op) {
  let count = 0;
  const until = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      for (let i = worker; performance.now() < until; i += CONCURRENCY) {
        await op(i % KEYS);
        count++;
      }
    }),
  );
  return count / SECONDS;
}

// ---- 'use cache': a request = refreshTags() + get() + reading the value stream ----
const entry = (i) => ({
  value: new ReadableStream({
    start(controller) {
      controller.enqueue(payload.slice());
      controller.close();
    },
  }),
  tags: [`tag-${i % 10}`],
  stale: 300,
  timestamp: Date.now(),
  expire: 3600,
  revalidate: 3600,
});
async function useCacheScenario(handler) {
  for (let i = 0; i < KEYS; i++) await handler.set(keyOf(i), Promise.resolve(entry(i)));
  return async (i) => {
    await handler.refreshTags();
    const hit = await handler.get(keyOf(i), []);
    if (!hit || (await readAll(hit.value)) !== BYTES) throw new Error(`miss on ${keyOf(i)}`);
  };
}

// ---- ISR: a request = a new handler (as Next makes one per request) + get() of an App Router page ----
const page = () => ({
  kind: 'APP_PAGE',
  html: 'x'.repeat(BYTES),
  rscData: Buffer.from(payload),
  headers: { 'x-next-cache-tags': '_N_T_/layout,_N_T_/page' },
  postponed: undefined,
  status: 200,
  segmentData: new Map([['/_tree', Buffer.from(payload.subarray(0, 512))]]),
});
async function restashIsrScenario() {
  const Handler = createIncrementalCacheHandler({ redis: restash(), keyPrefix: 'bench-isr:' });
  const context = { revalidatedTags: [], _requestHeaders: {} };
  for (let i = 0; i < KEYS; i++) {
    await new Handler(context).set(keyOf(i), page(), { cacheControl: { revalidate: 3600, expire: 7200 } });
  }
  return async (i) => {
    const hit = await new Handler(context).get(keyOf(i), { kind: 'APP_PAGE', isFallback: false });
    if (!hit?.value?.rscData) throw new Error(`miss on ${keyOf(i)}`);
  };
}
async function forteIsrScenario() {
  const client = createClient({ url: redis.url });
  await client.connect();
  const handler = forteRedisStrings({ client, keyPrefix: 'bench-forte:', timeoutMs: 5000 });
  const now = Math.floor(Date.now() / 1000);
  for (let i = 0; i < KEYS; i++) {
    await handler.set(keyOf(i), {
      lastModified: Date.now(),
      tags: ['_N_T_/layout', '_N_T_/page'],
      lifespan: {
        lastModifiedAt: now,
        staleAt: now + 3600,
        expireAt: now + 7200,
        staleAge: 3600,
        expireAge: 7200,
        revalidate: 3600,
      },
      value: page(),
    });
  }
  const scenario = async (i) => {
    const hit = await handler.get(keyOf(i), { implicitTags: [] });
    if (!hit?.value?.rscData) throw new Error(`miss on ${keyOf(i)}`);
  };
  scenario.close = () => client.close?.() ?? client.quit();
  return scenario;
}

const scenarios = {
  "'use cache' — Next default (in-memory)": () =>
    useCacheScenario(createDefaultCacheHandler(100 * 1024 * 1024)),
  "'use cache' — @restash/next": () =>
    useCacheScenario(createUseCacheHandler({ redis: restash(), keyPrefix: 'bench-uc:' })),
  "'use cache' — @restash/next + local LRU": () =>
    useCacheScenario(
      createUseCacheHandler({
        redis: restash(),
        keyPrefix: 'bench-uc-lru:',
        localLru: { maxBytes: 64 * 1024 * 1024 },
      }),
    ),
  'ISR page — @restash/next (REST)': restashIsrScenario,
  'ISR page — @fortedigital/nextjs-cache-handler redis-strings (TCP)': forteIsrScenario,
};

const prepared = {};
for (const [name, make] of Object.entries(scenarios)) prepared[name] = await make();
// Interleaved rounds (in the same order each round), so a noisy moment on the shared machine hits every scenario alike.
const samples = await interleaved(ROUNDS, Object.keys(prepared), (name) => measure(prepared[name]), {
  alternate: false,
});
for (const op of Object.values(prepared)) await op.close?.();

// With an even number of rounds, the upper of the two middle samples.
const results = Object.fromEntries(
  Object.entries(samples).map(([name, list]) => [name, Math.round(median(list, { upper: true }))]),
);
const names = Object.keys(results);
const ratio = (a, b) => (results[a] / results[b]).toFixed(2);
console.log(
  `\n${KEYS} keys, ${BYTES}-byte values, ${CONCURRENCY} concurrent, ${ROUNDS}×${SECONDS} s, median hits/s`,
);
for (const name of names) console.log(`${String(results[name]).padStart(9)}  ${name}`);
console.log(`\nours / Next default (in-memory): ${ratio(names[1], names[0])}`);
console.log(`ours + LRU / Next default (in-memory): ${ratio(names[2], names[0])}`);
console.log(`ours + LRU / ours: ${ratio(names[2], names[1])}`);
console.log(`ISR ours (REST) / fortedigital (TCP): ${ratio(names[3], names[4])}`);
writeResults('next.json', {
  keys: KEYS,
  bytes: BYTES,
  concurrency: CONCURRENCY,
  rounds: ROUNDS,
  seconds: SECONDS,
  samples,
  results,
});
process.exit(0);
