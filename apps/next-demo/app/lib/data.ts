import { cacheLife, cacheTag } from 'next/cache';
import { restash } from './restash';

/**
 * The shared list: cached with 'use cache' in Restash (every instance reads the
 * same entry) and tagged 'items', which the add-item action updates.
 */
export async function getItems() {
  'use cache';
  cacheTag('items');
  cacheLife({ stale: 60, revalidate: 3600, expire: 86_400 });
  const { redis, keys } = restash();
  const items = await redis.lrange<string>(keys.items, 0, 49);
  return { items, cachedAt: new Date().toISOString() };
}

/** Orders placed so far (read live, not cached). */
export async function getOrderCount() {
  const { redis, keys } = restash();
  return Number((await redis.get<number>(keys.orderCount)) ?? 0);
}
