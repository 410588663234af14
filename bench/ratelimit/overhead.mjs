// This library's own client CPU per limit() call, without any network: @restash/core with a transport
// (a Requester) that answers every script call at once. What the full benchmark measures on top is fetch,
// the kernel, the server and Redis.
// Usage: node bench/ratelimit/overhead.mjs [--calls 200000] [--concurrency 100]   (after pnpm build)
import { options, root } from '../lib.mjs';

const { calls: CALLS, concurrency: CONCURRENCY } = options({ calls: 200_000, concurrency: 100 });
const { Ratelimit } = await import(`${root}packages/ratelimit/dist/index.js`);
const { Redis } = await import(`${root}packages/core/dist/index.js`);

const ALLOWED = [1, 5, 10]; // {allowed, remaining, limit}
const requester = {
  async request({ commands }) {
    return commands.map(({ args: argv }) => {
      const keyCount = Number(argv[2]);
      // A sliding-window check has 2 keys; more means the batched form, whose first ARGV is the number of checks.
      if (keyCount <= 2) return { result: ALLOWED };
      return { result: Array.from({ length: Number(argv[3 + keyCount]) }, () => ALLOWED) };
    });
  },
};

for (const batch of [true, false]) {
  const ratelimit = new Ratelimit({
    redis: new Redis({ requester }),
    limiter: Ratelimit.slidingWindow(1_000_000_000, '1 m'),
    batch,
  });
  for (let round = 0; round < 2; round++) {
    let next = 0;
    const cpu0 = process.cpuUsage();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (;;) {
          const i = next++;
          if (i >= CALLS) return;
          await ratelimit.limit(`id${i % 1000}`);
        }
      }),
    );
    const cpu = process.cpuUsage(cpu0);
    if (round === 1) {
      console.log(`batch: ${batch}  ${((cpu.user + cpu.system) / CALLS).toFixed(2)} µs of CPU per call`);
    }
  }
}
