// One run of the Keyv benchmark in its own process, so process.cpuUsage() counts this store alone.
//   node worker.mjs <restash|keyv-redis> <restash-url> <token> <redis-url> <ops> <concurrency>
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { timed } from '../lib.mjs';

const [name, restashUrl, token, redisUrl, opsText, concurrencyText] = process.argv.slice(2);
const ops = Number(opsText);
const concurrency = Number(concurrencyText);
const keyvDir = fileURLToPath(new URL('../../packages/keyv/', import.meta.url));
const require = createRequire(`${keyvDir}package.json`);

let keyv;
if (name === 'restash') {
  const { Redis } = await import(
    fileURLToPath(new URL('../../packages/core/dist/index.js', import.meta.url))
  );
  const { createKeyv } = await import(`${keyvDir}dist/index.js`);
  keyv = createKeyv(new Redis({ url: restashUrl, token }), { namespace: 'bench' });
} else if (name === 'keyv-redis') {
  const { createKeyv } = await import(require.resolve('@keyv/redis'));
  keyv = createKeyv(redisUrl, { namespace: 'bench' });
} else {
  throw new Error(`unknown store ${name}`);
}

const value = { user: 'ada', visits: 42, tags: ['a', 'b', 'c'], at: '2026-12-01T12:00:00Z' };

/**
 * `concurrency` loops share `total` operations, a SET then a GET of one of 100
 * keys. Each operation starts after a `setImmediate`, as a server's requests
 * do: each in its own turn of the event loop, not all in one tick.
 */
async function drive(total) {
  let next = 0;
  const loop = async () => {
    while (next < total) {
      const i = next;
      next += 2;
      await new Promise((resolve) => setImmediate(resolve));
      await keyv.set(`k${i % 100}`, value, 60_000);
      const read = await keyv.get(`k${i % 100}`);
      if (read?.visits !== 42) throw new Error('bad read');
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
}

await drive(Math.min(ops, 4000));
const { ms, cpuUs } = await timed(() => drive(ops));
console.log(JSON.stringify({ ops, ms, cpuUs }));
await keyv.disconnect();
process.exit(0);
