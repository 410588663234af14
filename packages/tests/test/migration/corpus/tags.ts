// Tags in sets.
import { Redis } from '@upstash/redis';

export const connect = (url: string, token: string) => new Redis({ url, token });

export async function main(redis: Redis, key: (name: string) => string) {
  await redis.sadd(key('post:1:tags'), 'redis', 'edge', 'http');
  await redis.sadd(key('post:2:tags'), 'redis', 'node');
  const both = await redis.sinter(key('post:1:tags'), key('post:2:tags'));
  const all = (await redis.smembers<string[]>(key('post:1:tags'))).sort();
  const isEdge = await redis.sismember(key('post:1:tags'), 'edge');
  const flags = await redis.smismember(key('post:1:tags'), ['edge', 'php']);
  const removed = await redis.srem(key('post:1:tags'), 'http');
  return { both, all, isEdge, flags, removed, size: await redis.scard(key('post:1:tags')) };
}
