import { Inject, Injectable } from '@nestjs/common';
import { Cacheable, CacheEvict, CachePut } from '@restash/nestjs';

/** A product of the demo catalogue. */
export interface Product {
  id: string;
  name: string;
  price: number;
  updatedAt: string;
}

/** Options of the fake database. */
export interface CatalogOptions {
  /** How long each database read takes, in ms (the point of caching it). */
  delayMs: number;
}

/** Injection token of {@link CatalogOptions}. */
export const CATALOG_OPTIONS = 'CATALOG_OPTIONS';

const SEED: Product[] = [
  { id: '1', name: 'Espresso cup', price: 9, updatedAt: '2026-12-01T00:00:00.000Z' },
  { id: '2', name: 'Milk jug', price: 14, updatedAt: '2026-12-01T00:00:00.000Z' },
  { id: '3', name: 'Coffee grinder', price: 89, updatedAt: '2026-12-01T00:00:00.000Z' },
  { id: '4', name: 'Tamper', price: 25, updatedAt: '2026-12-01T00:00:00.000Z' },
];

/**
 * The catalogue over a slow "database" (an in-memory map behind a delay). Its
 * read methods are cached with @Cacheable and tagged, so the second read is
 * served from Redis; writes go through @CachePut/@CacheEvict.
 */
@Injectable()
export class CatalogService {
  /** How many times the database was read: it only moves on cache misses. */
  dbReads = 0;
  private readonly products = new Map(SEED.map((product) => [product.id, { ...product }]));

  constructor(@Inject(CATALOG_OPTIONS) private readonly options: CatalogOptions) {}

  @Cacheable({ key: 'products:all', tags: ['products'], ttl: 60_000 })
  async list(): Promise<Product[]> {
    await this.database();
    return [...this.products.values()];
  }

  @Cacheable({
    key: (id: string) => `product:${id}`,
    tags: (id: string) => [`product:${id}`, 'products'],
    ttl: 60_000,
    unless: (product: Product | null) => product === null,
  })
  async get(id: string): Promise<Product | null> {
    await this.database();
    return this.products.get(id) ?? null;
  }

  @CachePut({
    key: (id: string) => `product:${id}`,
    tags: (id: string) => [`product:${id}`, 'products'],
    ttl: 60_000,
    unless: (product: Product | null) => product === null,
  })
  @CacheEvict({ keys: ['products:all'] })
  async update(id: string, patch: { name?: string; price?: number }): Promise<Product | null> {
    await this.database();
    const product = this.products.get(id);
    if (!product) return null;
    if (patch.name !== undefined) product.name = patch.name;
    if (patch.price !== undefined) product.price = patch.price;
    product.updatedAt = new Date().toISOString();
    return { ...product };
  }

  /** Makes every cached product and the list stale, in one request to Redis. */
  @CacheEvict({ tags: ['products'] })
  async invalidate(): Promise<void> {}

  private async database(): Promise<void> {
    this.dbReads++;
    await new Promise((resolve) => setTimeout(resolve, this.options.delayMs));
  }
}
