// The @upstash/redis README quick start, unchanged.
import { Redis } from '@upstash/redis';

export const connect = (url: string, token: string) => new Redis({ url, token });

export async function main(redis: Redis, key: (name: string) => string) {
  await redis.set(key('foo'), 'bar');
  const data = await redis.get(key('foo'));
  await redis.set(key('user'), { name: 'Ada', admin: true }, { ex: 60 });
  const user = await redis.get<{ name: string; admin: boolean }>(key('user'));
  return { data, name: user?.name, admin: user?.admin };
}
