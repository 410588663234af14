/**
 * ISR, route handler, `fetch` and `unstable_cache` entries on Restash: a class
 * for the singular `cacheHandler` option of `next.config`.
 *
 * @example
 * ```js
 * // next.config.mjs
 * import { createRequire } from 'node:module';
 * const require = createRequire(import.meta.url);
 * export default {
 *   cacheHandler: require.resolve('@restash/next/incremental-cache'),
 *   cacheMaxMemorySize: 0, // every instance reads the shared cache
 * };
 * ```
 */
import type { Redis } from '@restash/core';
import type {
  CacheHandler,
  CacheHandlerContext,
  CacheHandlerValue,
} from 'next/dist/server/lib/incremental-cache/index.js';
import { ttlSeconds } from './bytes.js';
import { cacheClientFromEnv, warnOnce } from './env.js';
import { positive } from './errors.js';
import { parseRecord, stringifyRecord } from './serialize.js';
import { type TagClient, TagStore } from './tags.js';

/** The slice of `@restash/core`'s client the handler uses. */
export type IncrementalCacheClient = Pick<Redis<string>, 'get' | 'set'> & TagClient;

/** Options of {@link createIncrementalCacheHandler}. */
export interface IncrementalCacheHandlerOptions {
  /** A `@restash/core` client in raw mode (`automaticDeserialization: false`). */
  redis: IncrementalCacheClient;
  /**
   * Prefix of every key: `<prefix>isr:<key>` for entries, `<prefix>tags:*` for
   * the tags manifest shared with the `'use cache'` handler of the same prefix.
   * @default 'next:'
   */
  keyPrefix?: string;
  /**
   * Longest time an entry is kept, in seconds. An entry whose `expire` Next
   * knows is kept that long (at most this); others (`fetch` entries,
   * `revalidate: false` pages) are kept this long.
   * @default 2592000 (30 days)
   */
  maxTtlSeconds?: number;
}

type Get = CacheHandler['get'];
type Set = CacheHandler['set'];
type SetContext = Parameters<Set>[2];
type GetContext = Parameters<Get>[1];

interface StoredRecord extends CacheHandlerValue {
  /** The tags the entry carries, checked on every read. */
  tags: string[];
}

/** The class Next instantiates (once per request) for the `cacheHandler` option. */
export type IncrementalCacheHandlerClass = new (context: CacheHandlerContext) => CacheHandler;

/** Tags of an entry: `x-next-cache-tags` for pages and routes, `tags` for `fetch` and `unstable_cache`. */
function tagsOf(data: CacheHandlerValue['value'], context?: SetContext): string[] {
  if (!data) return [];
  if (data.kind === 'FETCH') {
    const given = context && 'tags' in context ? (context.tags ?? []) : [];
    return [...new Set([...(data.tags ?? []), ...given])];
  }
  const headers = 'headers' in data ? (data.headers as Record<string, unknown> | undefined) : undefined;
  const header = headers?.['x-next-cache-tags'];
  return typeof header === 'string' && header ? header.split(',') : [];
}

/**
 * Creates the class for `next.config`'s `cacheHandler`, storing entries on a
 * Restash server so every instance serves the same pages and `fetch` results
 * and sees every `revalidateTag`.
 *
 * Entries keep their bytes (`rscData`, route bodies, images) and, for the App
 * Router in Next ≥ 16.3, their `segmentData` map. An entry with an expired tag
 * is a miss; one with a stale tag (`revalidateTag(tag, 'max')`) is re-rendered
 * before it is served. When the server cannot be reached, reads miss, writes
 * are dropped and `revalidateTag` throws.
 *
 * @example
 * ```ts
 * // incremental-cache.mjs, named in next.config's cacheHandler
 * import { Redis } from '@restash/core';
 * import { createIncrementalCacheHandler } from '@restash/next/incremental-cache';
 * export default createIncrementalCacheHandler({
 *   redis: Redis.fromEnv({ automaticDeserialization: false }),
 * });
 * ```
 */
export function createIncrementalCacheHandler(
  options: IncrementalCacheHandlerOptions,
): IncrementalCacheHandlerClass {
  const { redis } = options;
  const prefix = options.keyPrefix ?? 'next:';
  const maxTtl = positive(options.maxTtlSeconds ?? 30 * 24 * 3600, 'maxTtlSeconds');
  const tags = new TagStore(redis, prefix);
  const keyOf = (key: string) => `${prefix}isr:${key}`;

  return class RestashIncrementalCache implements CacheHandler {
    readonly #revalidatedTags: readonly string[];
    #refreshed: Promise<void> | undefined;

    constructor(context: CacheHandlerContext) {
      this.#revalidatedTags = context.revalidatedTags ?? [];
    }

    async get(key: string, context: GetContext): Promise<CacheHandlerValue | null> {
      // Next makes one handler per request: the tags are refreshed once per request.
      this.#refreshed ??= tags.refresh();
      await this.#refreshed;
      if (!tags.healthy) return null;
      let text: string | null;
      try {
        text = await redis.get<string>(keyOf(key));
      } catch (error) {
        warnOnce('the ISR cache handler cannot read from the server; rendering without the cache', error);
        return null;
      }
      if (text === null) return null;
      let record: StoredRecord;
      try {
        record = parseRecord<StoredRecord>(text);
      } catch {
        return null;
      }
      const checked = [...record.tags];
      if (context.kind === 'FETCH') checked.push(...(context.tags ?? []), ...(context.softTags ?? []));
      if (checked.some((tag) => this.#revalidatedTags.includes(tag))) return null;
      if (tags.isExpired(checked, record.lastModified)) return null;
      const { tags: _, ...value } = record;
      // Next re-renders an entry whose lastModified is -1 before serving it.
      if (tags.isStale(checked, record.lastModified)) return { ...value, lastModified: -1 };
      return value;
    }

    async set(key: string, data: Parameters<Set>[1], context: SetContext): Promise<void> {
      if (data === null) return;
      const cacheControl = 'cacheControl' in context ? context.cacheControl : undefined;
      const record: StoredRecord = { lastModified: Date.now(), value: data, tags: tagsOf(data, context) };
      if (cacheControl) record.cacheControl = cacheControl;
      const expire = typeof cacheControl?.expire === 'number' ? cacheControl.expire : maxTtl;
      const ex = ttlSeconds(Math.min(expire, maxTtl)) ?? ttlSeconds(maxTtl);
      try {
        await redis.set(keyOf(key), stringifyRecord(record), ex === undefined ? undefined : { ex });
      } catch (error) {
        warnOnce('the ISR cache handler could not store an entry; it will be rendered again', error);
      }
    }

    async revalidateTag(changed: string | string[], durations?: { expire?: number }): Promise<void> {
      await tags.update(typeof changed === 'string' ? [changed] : changed, durations);
    }

    resetRequestCache(): void {
      this.#refreshed = undefined;
    }
  };
}

let fromEnv: IncrementalCacheHandlerClass | undefined;

/** A handler that stores nothing, for a `next build` without a server. */
class NoCache implements CacheHandler {
  async get(): Promise<null> {
    return null;
  }
  async set(): Promise<void> {}
  async revalidateTag(): Promise<void> {}
  resetRequestCache(): void {}
}

function envClass(): IncrementalCacheHandlerClass {
  if (fromEnv) return fromEnv;
  const redis = cacheClientFromEnv();
  if (!redis) {
    console.warn(
      '[restash/next] RESTASH_URL/RESTASH_TOKEN are not set: the ISR cache handler caches nothing',
    );
    fromEnv = NoCache;
    return fromEnv;
  }
  const maxTtl = Number(process.env.RESTASH_NEXT_MAX_TTL ?? 0);
  fromEnv = createIncrementalCacheHandler({
    redis: redis as Redis<string>,
    keyPrefix: process.env.RESTASH_NEXT_PREFIX ?? 'next:',
    maxTtlSeconds: maxTtl > 0 ? maxTtl : undefined,
  });
  return fromEnv;
}

/**
 * The env-configured handler, for `cacheHandler: require.resolve('@restash/next/incremental-cache')`:
 * `RESTASH_URL`/`RESTASH_TOKEN` (or `UPSTASH_REDIS_REST_*`), `RESTASH_NEXT_PREFIX`
 * (default `next:`) and `RESTASH_NEXT_MAX_TTL` (seconds, default 30 days).
 */
export default class RestashCacheHandler implements CacheHandler {
  readonly #inner: CacheHandler;

  constructor(context: CacheHandlerContext) {
    this.#inner = new (envClass())(context);
  }

  get(...args: Parameters<Get>): ReturnType<Get> {
    return this.#inner.get(...args);
  }

  set(...args: Parameters<Set>): ReturnType<Set> {
    return this.#inner.set(...args);
  }

  revalidateTag(...args: Parameters<CacheHandler['revalidateTag']>): Promise<void> {
    return this.#inner.revalidateTag(...args);
  }

  resetRequestCache(): void {
    this.#inner.resetRequestCache();
  }
}
