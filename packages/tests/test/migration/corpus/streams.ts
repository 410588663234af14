// An event log in a stream, trimmed as it grows.
import { Redis } from '@upstash/redis';

export const connect = (url: string, token: string) => new Redis({ url, token });

export async function main(redis: Redis, key: (name: string) => string) {
  const log = key('events');
  for (let i = 0; i < 5; i++) {
    await redis.xadd(
      log,
      '*',
      { type: 'click', n: i },
      { trim: { type: 'MAXLEN', threshold: 3, comparison: '=' } },
    );
  }
  return { length: await redis.xlen(log) };
}
