// A read-through cache with a lock, as API routes write it.
import { Redis } from '@upstash/redis';

export const connect = (url: string, token: string) => new Redis({ url, token, latencyLogging: false });

interface Product {
  id: string;
  price: number;
  tags: string[];
}

export async function main(redis: Redis, key: (name: string) => string) {
  const cacheKey = key('product:1');
  let product = await redis.get<Product>(cacheKey);
  const missed = product === null;
  if (!product) {
    const locked = await redis.set(key('lock:product:1'), 'me', { nx: true, px: 5000 });
    product = { id: '1', price: 9.5, tags: ['new'] };
    if (locked === 'OK') await redis.set(cacheKey, product, { ex: 300 });
  }
  const again = await redis.get<Product>(cacheKey);
  const lockedTwice = await redis.set(key('lock:product:1'), 'you', { nx: true, px: 5000 });
  const previous = await redis.getdel<Product>(cacheKey);
  return { missed, again, lockedTwice, previous: previous?.price, after: await redis.exists(cacheKey) };
}
