// Sessions in hashes, with a sliding expiry.
import { Redis } from '@upstash/redis';

export const connect = (url: string, token: string) => new Redis({ url, token, readYourWrites: true });

interface Session {
  userId: string;
  visits: number;
  [field: string]: unknown;
}

export async function main(redis: Redis, key: (name: string) => string) {
  const id = key('session:abc');
  await redis.hset(id, { userId: 'u1', visits: 1, theme: 'dark' });
  await redis.hincrby(id, 'visits', 1);
  await redis.expire(id, 1800);
  const session = await redis.hgetall<Session>(id);
  const theme = await redis.hget<string>(id, 'theme');
  const some = await redis.hmget<{ userId: string; nope: null }>(id, 'userId', 'nope');
  await redis.hdel(id, 'theme');
  const fields = (await redis.hkeys(id)).sort();
  const exists = await redis.hexists(id, 'theme');
  return { session, theme, some, fields, exists, gone: await redis.hgetall(key('session:none')) };
}
