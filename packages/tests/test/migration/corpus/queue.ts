// A job queue in a list.
import { Redis } from '@upstash/redis';

export const connect = (url: string, token: string) => new Redis({ url, token, enableAutoPipelining: true });

interface Job {
  id: number;
  kind: string;
}

export async function main(redis: Redis, key: (name: string) => string) {
  const queue = key('jobs');
  await redis.lpush<Job>(queue, { id: 1, kind: 'email' }, { id: 2, kind: 'sms' }, { id: 3, kind: 'push' });
  const length = await redis.llen(queue);
  const next = await redis.rpop<Job>(queue);
  const batch = await redis.rpop<Job[]>(queue, 2);
  const empty = await redis.rpop<Job>(queue);
  await redis.rpush(queue, 'a', 'b', 'c');
  const all = await redis.lrange<string>(queue, 0, -1);
  const two = await redis.lpop<string[]>(queue, 2);
  return { length, next: next?.kind, batch: batch?.map((job) => job.id), empty, all, two };
}
