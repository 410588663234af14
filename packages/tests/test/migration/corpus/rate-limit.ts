// A fixed-window rate limit in one transaction.
import { Redis } from '@upstash/redis';

export const connect = (url: string, token: string) =>
  new Redis({ url, token, retry: { retries: 3, backoff: (n) => n * 10 } });

export async function main(redis: Redis, key: (name: string) => string) {
  const limit = 2;
  const results: boolean[] = [];
  for (let i = 0; i < 3; i++) {
    const window = key(`rl:ip:${Math.floor(1_700_000_000 / 60)}`);
    const [count] = await redis.multi().incr(window).expire(window, 60).exec();
    results.push(count <= limit);
  }
  return results;
}
