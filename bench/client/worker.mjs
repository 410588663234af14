// One benchmark run in its own process, so that process.cpuUsage() counts this client alone.
// Usage: node worker.mjs <restash|upstash> <url> <token> <ops> <concurrency> <warmup-ops>
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { timed } from '../lib.mjs';

const [name, url, token, opsText, concurrencyText, warmupText] = process.argv.slice(2);
const ops = Number(opsText);
const concurrency = Number(concurrencyText);
const warmup = Number(warmupText);
const core = fileURLToPath(new URL('../../packages/core/', import.meta.url));
const require = createRequire(`${core}package.json`);

let client;
if (name === 'restash') {
  const { Redis } = await import(`${core}dist/index.js`);
  client = new Redis({ url, token });
} else if (name === 'upstash') {
  const { Redis } = await import(require.resolve('@upstash/redis'));
  client = new Redis({ url, token, enableTelemetry: false });
} else {
  throw new Error(`unknown client ${name}`);
}

const value = JSON.stringify({ user: 'ada', visits: 42, tags: ['a', 'b', 'c'], at: '2026-11-28T12:00:00Z' });

/** `concurrency` loops share `total` operations: SET then GET of a key per pair. */
async function drive(total, tag) {
  let next = 0;
  const loop = async () => {
    for (;;) {
      const i = next;
      next += 2;
      if (i >= total) return;
      const key = `bench:${tag}:${i % 1000}`;
      await client.set(key, value);
      const got = await client.get(key);
      if (got === null) throw new Error('lost a value');
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
}

await drive(warmup, 'warm');
const { ms, cpuUs } = await timed(() => drive(ops, 'run'));
process.stdout.write(`${JSON.stringify({ name, ops, ms, cpuUs })}\n`);
