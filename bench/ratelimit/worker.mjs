// One benchmark run in its own process, so that process.cpuUsage() counts this client alone.
// Usage: node worker.mjs <restash|upstash> <algorithm> <url> <token> <ops> <concurrency> <warmup-ops>
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { timed } from '../lib.mjs';

const [name, algorithm, url, token, opsText, concurrencyText, warmupText] = process.argv.slice(2);
const ops = Number(opsText);
const concurrency = Number(concurrencyText);
const warmup = Number(warmupText);
const pkg = fileURLToPath(new URL('../../packages/ratelimit/', import.meta.url));
const require = createRequire(`${pkg}package.json`);

// A limit no identifier reaches: every call is a full check in Redis (no ephemeral-cache shortcut).
const LIMIT = 1_000_000_000;
const limiters = {
  slidingWindow: (R) => R.slidingWindow(LIMIT, '1 m'),
  fixedWindow: (R) => R.fixedWindow(LIMIT, '1 m'),
  tokenBucket: (R) => R.tokenBucket(LIMIT, '1 m', LIMIT),
};
if (!limiters[algorithm]) throw new Error(`unknown algorithm ${algorithm}`);
const prefix = `bench-${process.pid}`;

let ratelimit;
if (name === 'restash') {
  const { Ratelimit } = await import(`${pkg}dist/index.js`);
  // The ESM build, the copy the ESM build of @restash/ratelimit imports.
  const { Redis } = await import(new URL('../../packages/core/dist/index.js', import.meta.url).href);
  ratelimit = new Ratelimit({
    redis: new Redis({ url, token }),
    limiter: limiters[algorithm](Ratelimit),
    prefix,
  });
} else if (name === 'upstash') {
  const { Ratelimit } = await import(require.resolve('@upstash/ratelimit'));
  const { Redis } = await import(
    createRequire(require.resolve('@upstash/ratelimit')).resolve('@upstash/redis')
  );
  ratelimit = new Ratelimit({
    redis: new Redis({ url, token, enableTelemetry: false }),
    limiter: limiters[algorithm](Ratelimit),
    prefix,
    enableTelemetry: false,
  });
} else {
  throw new Error(`unknown client ${name}`);
}

/** `concurrency` loops share `total` limit() calls over 1,000 identifiers. */
async function drive(total, tag) {
  let next = 0;
  let failures = 0;
  const loop = async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const result = await ratelimit.limit(`${tag}:${i % 1000}`);
      if (!result.success || result.reason !== undefined) {
        if (failures++ === 0) console.error(result);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  if (failures > 0) throw new Error(`${failures} calls were not plain successes`);
}

await drive(warmup, 'warm');
const { ms, cpuUs } = await timed(() => drive(ops, 'run'));
process.stdout.write(`${JSON.stringify({ name, algorithm, ops, ms, cpuUs })}\n`);
