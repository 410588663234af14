// A client from UPSTASH_REDIS_REST_URL / UPSTASH_REDIS_REST_TOKEN.
import { Redis } from '@upstash/redis';

export const connect = () => Redis.fromEnv();

export async function main(redis: Redis, key: (name: string) => string) {
  const pong = await redis.ping();
  await redis.set(key('env'), 42);
  return { pong, value: await redis.get<number>(key('env')) };
}
