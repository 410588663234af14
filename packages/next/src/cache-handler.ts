/**
 * `'use cache'` on Restash: a handler for `cacheHandlers` in `next.config`.
 *
 * @example
 * ```js
 * // next.config.mjs
 * import { createRequire } from 'node:module';
 * const require = createRequire(import.meta.url);
 * export default {
 *   cacheComponents: true,
 *   cacheHandlers: {
 *     default: require.resolve('@restash/next/cache-handler'),
 *     remote: require.resolve('@restash/next/cache-handler'),
 *   },
 * };
 * ```
 */
import type { Redis } from '@restash/core';
import type { CacheEntry, CacheHandler } from 'next/cache.js';
import { frame, readAll, streamOf, ttlSeconds, unframe } from './bytes.js';
import { cacheClientFromEnv, warnOnce } from './env.js';
import { positive } from './errors.js';
import { type TagClient, TagStore } from './tags.js';

/** The slice of `@restash/core`'s client the handler uses. */
export type UseCacheClient = Pick<Redis, 'getBytes' | 'set'> & TagClient;

/** Options of {@link createUseCacheHandler}. */
export interface UseCacheHandlerOptions {
  /** A `@restash/core` client; raw mode (`automaticDeserialization: false`) is not required. */
  redis: UseCacheClient;
  /**
   * Prefix of every key the handler writes: `<prefix>uc:<cacheKey>` for entries,
   * `<prefix>tags:*` for the tags manifest (shared with the ISR handler of the same prefix).
   * @default 'next:'
   */
  keyPrefix?: string;
  /**
   * Keep recently used entries in this process as well, up to `maxBytes` of
   * payload. Tag changes made by any instance still reach it: every request
   * refreshes the tags manifest before its first read, and an entry whose tags
   * changed is not served from memory.
   * @default undefined (every read goes to the server)
   */
  localLru?: { maxBytes: number };
}

type StoredMeta = Omit<CacheEntry, 'value' | 'expire'> & { expire: number | null };

interface Local {
  meta: Omit<CacheEntry, 'value'>;
  payload: Uint8Array;
}

/** The number as JSON can carry it (JSON has no Infinity). */
const finite = (n: number) => (Number.isFinite(n) ? n : null);

/**
 * Creates a `'use cache'` handler (Next's `CacheHandler`) that keeps entries on
 * a Restash server, so every instance of the app shares them and sees every
 * `revalidateTag`/`updateTag`.
 *
 * When the server cannot be reached, reads miss (the page renders fresh),
 * writes are dropped, and `updateTags` throws, so an invalidation is never lost
 * silently. While the tags manifest cannot be refreshed, nothing is served from
 * the local LRU either.
 *
 * @example
 * ```ts
 * // cache-handler.mjs, named in next.config's cacheHandlers
 * import { Redis } from '@restash/core';
 * import { createUseCacheHandler } from '@restash/next/cache-handler';
 * export default createUseCacheHandler({ redis: Redis.fromEnv(), localLru: { maxBytes: 50e6 } });
 * ```
 */
export function createUseCacheHandler(options: UseCacheHandlerOptions): CacheHandler {
  const { redis } = options;
  const prefix = options.keyPrefix ?? 'next:';
  const tags = new TagStore(redis, prefix);
  const lru = options.localLru
    ? new ByteLru<Local>(positive(options.localLru.maxBytes, 'localLru.maxBytes'))
    : undefined;
  // Only the handler's own promise is kept, and only while the set runs: Next's
  // pending entry (and its request's async context) is never retained.
  const pendingSets = new Map<string, Promise<void>>();
  const keyOf = (cacheKey: string) => `${prefix}uc:${cacheKey}`;

  const usable = (meta: Omit<CacheEntry, 'value'>, now: number): Omit<CacheEntry, 'value'> | undefined => {
    if (now > meta.timestamp + meta.expire * 1000) return undefined;
    if (tags.isExpired(meta.tags, meta.timestamp, now)) return undefined;
    return tags.isStale(meta.tags, meta.timestamp) ? { ...meta, revalidate: -1 } : meta;
  };

  return {
    async get(cacheKey) {
      const pending = pendingSets.get(cacheKey);
      if (pending) await pending;
      await tags.ensureLoaded();
      if (!tags.healthy) return undefined;
      const now = Date.now();
      const local = lru?.get(cacheKey);
      if (local) {
        const meta = usable(local.meta, now);
        if (meta) return { ...meta, value: streamOf(local.payload) };
        lru!.delete(cacheKey);
      }
      let bytes: Uint8Array | null;
      try {
        bytes = await redis.getBytes(keyOf(cacheKey));
      } catch (error) {
        warnOnce("the 'use cache' handler cannot read from the server; rendering without the cache", error);
        return undefined;
      }
      const record = bytes ? unframe<StoredMeta>(bytes) : undefined;
      if (!record) return undefined;
      const stored = { ...record.meta, expire: record.meta.expire ?? Number.POSITIVE_INFINITY };
      const meta = usable(stored, now);
      if (!meta) return undefined;
      lru?.set(
        cacheKey,
        { meta: stored, payload: record.payload },
        record.payload.byteLength + cacheKey.length,
      );
      return { ...meta, value: streamOf(record.payload) };
    },

    async set(cacheKey, pendingEntry) {
      let done!: () => void;
      const running = new Promise<void>((resolve) => {
        done = resolve;
      });
      pendingSets.set(cacheKey, running);
      try {
        const entry = await pendingEntry;
        // Next regenerates an `expire: 0` entry on every read: storing it would be a wasted write.
        if (entry.expire === 0) {
          await entry.value.cancel();
          return;
        }
        // A stream that errors delivered a partial value: it is not stored.
        const payload = await readAll(entry.value);
        const { value: _, ...meta } = entry;
        const stored: StoredMeta = { ...meta, expire: finite(meta.expire) };
        lru?.set(cacheKey, { meta, payload }, payload.byteLength + cacheKey.length);
        const ex = ttlSeconds(entry.expire);
        await redis.set(keyOf(cacheKey), frame(stored, payload), ex === undefined ? undefined : { ex });
      } catch (error) {
        warnOnce("the 'use cache' handler could not store an entry; it will be rendered again", error);
      } finally {
        // A later set of the same key may have replaced this one in the map: leave that one alone.
        if (pendingSets.get(cacheKey) === running) pendingSets.delete(cacheKey);
        done();
      }
    },

    refreshTags() {
      return tags.refresh();
    },

    async getExpiration(softTags) {
      await tags.ensureLoaded();
      // Unknown tags might have changed: "changed just now" makes Next render fresh.
      if (!tags.healthy) return Date.now();
      return tags.expiration(softTags);
    },

    updateTags(changed, durations) {
      return tags.update(changed, durations);
    },
  };
}

/** A least-recently-used map bounded by the bytes its values hold. */
class ByteLru<T> {
  readonly #max: number;
  readonly #items = new Map<string, { value: T; size: number }>();
  #size = 0;

  constructor(maxBytes: number) {
    this.#max = maxBytes;
  }

  get(key: string): T | undefined {
    const item = this.#items.get(key);
    if (!item) return undefined;
    this.#items.delete(key);
    this.#items.set(key, item);
    return item.value;
  }

  set(key: string, value: T, size: number): void {
    this.delete(key);
    if (size > this.#max) return;
    this.#items.set(key, { value, size });
    this.#size += size;
    for (const [oldest, item] of this.#items) {
      if (this.#size <= this.#max) break;
      this.#items.delete(oldest);
      this.#size -= item.size;
    }
  }

  delete(key: string): void {
    const item = this.#items.get(key);
    if (!item) return;
    this.#items.delete(key);
    this.#size -= item.size;
  }
}

let fromEnv: CacheHandler | undefined;

/**
 * The handler Next loads from `cacheHandlers`: configured from
 * `RESTASH_URL`/`RESTASH_TOKEN` (or `UPSTASH_REDIS_REST_*`), with
 * `RESTASH_NEXT_PREFIX` (default `next:`) and `RESTASH_NEXT_LRU_BYTES`
 * (a local LRU of that many bytes; default none). The client is made on first
 * use; without the variables (a `next build` with no server) it caches nothing.
 */
function envHandler(): CacheHandler {
  if (fromEnv) return fromEnv;
  const redis = cacheClientFromEnv();
  if (!redis) {
    console.warn(
      "[restash/next] RESTASH_URL/RESTASH_TOKEN are not set: the 'use cache' handler caches nothing",
    );
    fromEnv = nullHandler;
    return fromEnv;
  }
  const lruBytes = Number(process.env.RESTASH_NEXT_LRU_BYTES ?? 0);
  fromEnv = createUseCacheHandler({
    redis,
    keyPrefix: process.env.RESTASH_NEXT_PREFIX ?? 'next:',
    localLru: lruBytes > 0 ? { maxBytes: lruBytes } : undefined,
  });
  return fromEnv;
}

const nullHandler: CacheHandler = {
  get: async () => undefined,
  set: async (_, pending) => {
    await (await pending).value.cancel();
  },
  refreshTags: async () => {},
  getExpiration: async () => 0,
  updateTags: async () => {},
};

/** The env-configured handler, for `cacheHandlers: { default: require.resolve('@restash/next/cache-handler') }`. */
const handler: CacheHandler = {
  get: (key, softTags) => envHandler().get(key, softTags),
  set: (key, pending) => envHandler().set(key, pending),
  refreshTags: () => envHandler().refreshTags(),
  getExpiration: (tags) => envHandler().getExpiration(tags),
  updateTags: (tags, durations) => envHandler().updateTags(tags, durations),
};

export default handler;
