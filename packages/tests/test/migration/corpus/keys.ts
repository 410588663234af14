// Key housekeeping: TTLs, renames, types and a scan.
import { Redis } from '@upstash/redis';

export const connect = (url: string, token: string) => new Redis({ url, token });

export async function main(redis: Redis, key: (name: string) => string) {
  await redis.mset({ [key('k:a')]: 'x', [key('k:b')]: { y: 1 } });
  await redis.expire(key('k:a'), 100);
  const ttl = await redis.ttl(key('k:a'));
  await redis.persist(key('k:a'));
  await redis.rename(key('k:b'), key('k:c'));
  const type = await redis.type(key('k:c'));
  const found: string[] = [];
  let cursor: string | number = 0;
  do {
    const [next, keys]: [string | number, string[]] = await redis.scan(cursor, {
      match: key('k:*'),
      count: 100,
    });
    found.push(...keys);
    cursor = next;
  } while (String(cursor) !== '0');
  const deleted = await redis.del(key('k:a'), key('k:c'), key('k:none'));
  return { ttl: ttl > 0, type, found: found.sort(), deleted };
}
