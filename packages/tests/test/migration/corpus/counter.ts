// Page views: a counter per page and day, read back in bulk.
import { Redis } from '@upstash/redis';

export const connect = (url: string, token: string) =>
  new Redis({ url, token, automaticDeserialization: true, enableTelemetry: false });

export async function main(redis: Redis, key: (name: string) => string) {
  const pages = ['/', '/about', '/'];
  for (const page of pages) {
    const views = await redis.incr(key(`views:${page}`));
    if (views === 1) await redis.expire(key(`views:${page}`), 86_400);
  }
  await redis.incrby(key('views:/about'), 10);
  const counts = await redis.mget<number[]>(key('views:/'), key('views:/about'), key('views:/missing'));
  const ttl = await redis.ttl(key('views:/'));
  return { counts, expires: ttl > 0 };
}
