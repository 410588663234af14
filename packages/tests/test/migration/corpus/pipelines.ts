// Pipelines and transactions, chained and not, with explicit result tuples.
import { Redis } from '@upstash/redis';

export const connect = (url: string, token: string) => new Redis({ url, token });

export async function main(redis: Redis, key: (name: string) => string) {
  const chained = await redis.pipeline().set(key('a'), 1).incr(key('a')).get<number>(key('a')).exec();
  const p = redis.pipeline();
  p.set(key('greeting'), { hello: 'world' });
  p.get(key('greeting'));
  const [ok, greeting] = await p.exec<['OK', { hello: string }]>();
  const tx = redis.multi();
  tx.incr(key('tx'));
  tx.expire(key('tx'), 60);
  const [count, expired] = await tx.exec<[number, number]>();
  return { chained, ok, hello: greeting.hello, count, expired };
}
