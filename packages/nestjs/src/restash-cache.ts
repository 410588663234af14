import { Logger } from '@nestjs/common';
import type { KeyvRestash, KeyvRestashClient } from '@restash/keyv';
import type { Keyv } from 'keyv';
import { RestashNestError } from './errors.js';
import type { RestashLockOptions } from './options.js';

/** Options of {@link RestashCache.wrap}. */
export interface WrapOptions<TValue = unknown> {
  /** Milliseconds, or a function of the value; 0: no expiry. @default the module's `ttl` */
  ttl?: number | ((value: TValue) => number) | undefined;
  /** Tags of the entry: invalidating any of them makes it stale. */
  tags?: readonly string[] | undefined;
  /** Return true to skip storing this value (it is still returned). */
  unless?: ((value: TValue) => boolean) | undefined;
}

/** Options of {@link RestashCache.set}. */
export interface SetOptions<TValue = unknown> {
  ttl?: number | ((value: TValue) => number) | undefined;
  tags?: readonly string[] | undefined;
}

/** What {@link RestashCache.evict} removes. */
export interface EvictOptions {
  /** Entry keys to delete. */
  keys?: readonly string[] | undefined;
  /** Tags to invalidate: every entry stored under any of them becomes stale. */
  tags?: readonly string[] | undefined;
}

/** Settings of a {@link RestashCache}. */
export interface RestashCacheSettings {
  /** Default TTL in ms; 0 or absent: no expiry. */
  ttl?: number | undefined;
  /** Cross-instance lock; `false`: in-process coalescing only. */
  lock?: RestashLockOptions | false | undefined;
  /** Where warnings go. @default a Nest `Logger` named `RestashCache` */
  logger?: Pick<Logger, 'warn' | 'error'>;
}

/** A stored entry: Keyv's own shape (so `CACHE_MANAGER.get(key)` reads it) plus the tag versions it was computed under. */
interface Entry {
  value: unknown;
  expires?: number | null;
  tags?: Record<string, string>;
}

type Lookup = { hit: true; value: unknown } | { hit: false; versions: (string | null)[] };

const TAG_PREFIX = '__tag__:';
const LOCK_PREFIX = '__lock__:';
/** Deletes the lock only if this caller still holds it (its lease may have passed to another). */
const RELEASE =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
const MAX_POLL = 200;

/**
 * The cache behind the decorators, injectable for direct use: read-through
 * with stampede protection (`wrap`), writes with tags (`set`), deletion and tag
 * invalidation in one round trip (`evict`). Entries live in the same Keyv
 * namespace as `CACHE_MANAGER`'s, in Keyv's format, so either can read them.
 *
 * Tags are version counters: an entry records the version of each of its tags
 * when it was computed, and `invalidateTags` gives those tags new versions, so
 * invalidating is one `MSET` whatever the number of entries, and instances that
 * share the Redis see it at once.
 *
 * Failures of the cache never fail the caller: a failed read is a miss, a failed
 * write is logged.
 *
 * @example
 * constructor(private readonly cache: RestashCache) {}
 * product(id: string) {
 *   return this.cache.wrap(`product:${id}`, () => this.db.product(id), { ttl: 60_000, tags: [`product:${id}`] });
 * }
 */
export class RestashCache {
  /** The namespace's store (key prefixes). */
  readonly store: KeyvRestash;
  readonly #redis: KeyvRestashClient;
  readonly #keyv: Keyv;
  readonly #ttl: number | undefined;
  readonly #lock: Required<RestashLockOptions> | undefined;
  readonly #logger: Pick<Logger, 'warn' | 'error'>;
  readonly #inflight = new Map<string, Promise<unknown>>();

  constructor(redis: KeyvRestashClient, keyv: Keyv, settings: RestashCacheSettings = {}) {
    this.#redis = redis;
    this.#keyv = keyv;
    this.store = keyv.store as KeyvRestash;
    if (typeof this.store?.createKeyPrefix !== 'function') {
      throw new RestashNestError(
        'config',
        'RestashCache: the Keyv must use a KeyvRestash store (createKeyv)',
      );
    }
    this.#ttl = checkTtl(settings.ttl, 'ttl');
    this.#logger = settings.logger ?? new Logger('RestashCache');
    if (settings.lock === false) {
      this.#lock = undefined;
    } else {
      const lease = settings.lock?.lease ?? 10_000;
      const lock = { lease, wait: settings.lock?.wait ?? lease, poll: settings.lock?.poll ?? 20 };
      for (const [name, value] of Object.entries(lock)) {
        if (!Number.isInteger(value) || value < 1) {
          throw new RestashNestError(
            'config',
            `lock.${name}: must be an integer ≥ 1 (ms), got ${String(value)}`,
          );
        }
      }
      this.#lock = lock;
    }
  }

  /** The Redis key of an entry (`namespace::key`). */
  keyOf(key: string): string {
    return this.store.createKeyPrefix(checkKey(key));
  }

  /** The Redis key holding a tag's current version. */
  tagKeyOf(tag: string): string {
    return this.store.createKeyPrefix(TAG_PREFIX + checkKey(tag, 'tag'));
  }

  /**
   * The cached value of `key`, or computes it once: concurrent callers in this
   * process share one computation, and callers in other processes wait for the
   * lock holder's result (up to `lock.wait`), so the computation runs once
   * whatever the number of instances. A crashed holder blocks no longer than
   * `lock.lease`. `undefined` is never stored.
   *
   * @example
   * await cache.wrap('report', () => buildReport(), { ttl: 300_000, tags: ['reports'] });
   */
  wrap<TValue>(
    key: string,
    compute: () => TValue | Promise<TValue>,
    options: WrapOptions<TValue> = {},
  ): Promise<TValue> {
    let full: string;
    try {
      full = this.keyOf(key);
    } catch (error) {
      return Promise.reject(error);
    }
    const running = this.#inflight.get(full);
    if (running) return running as Promise<TValue>;
    const run = this.#resolve(full, compute, options).finally(() => this.#inflight.delete(full));
    this.#inflight.set(full, run);
    return run;
  }

  /** The cached value of `key` if present and none of `tags` was invalidated since; otherwise `undefined`. */
  async get<TValue>(key: string, options: { tags?: readonly string[] } = {}): Promise<TValue | undefined> {
    const found = await this.#lookupSafely(this.keyOf(key), options.tags ?? []);
    return found.hit ? (found.value as TValue) : undefined;
  }

  /**
   * Stores `value` under `key` with its tags' current versions. Failures are
   * logged, not thrown. `undefined` is not stored.
   */
  async set<TValue>(key: string, value: TValue, options: SetOptions<TValue> = {}): Promise<void> {
    const full = this.keyOf(key);
    const tags = options.tags ?? [];
    let versions: string[];
    try {
      versions = await this.#tagVersions(tags);
    } catch (error) {
      this.#warn(`could not read the tags of "${key}"; not stored`, error);
      return;
    }
    await this.#save(full, value, options.ttl, tags, versions, undefined);
  }

  /** Reads the tags' versions now, for a {@link set} after a computation that an invalidation may overtake. */
  async snapshot(tags: readonly string[]): Promise<string[] | undefined> {
    try {
      return await this.#tagVersions(tags);
    } catch (error) {
      this.#warn('could not read tag versions', error);
      return undefined;
    }
  }

  /** Stores `value` with versions taken by {@link snapshot} before it was computed. */
  async setWithVersions<TValue>(
    key: string,
    value: TValue,
    versions: readonly string[],
    options: SetOptions<TValue> = {},
  ): Promise<void> {
    await this.#save(this.keyOf(key), value, options.ttl, options.tags ?? [], versions, undefined);
  }

  /**
   * Deletes entries and invalidates tags, all in one request. Failures are
   * logged, not thrown; resolves with whether the request went through.
   *
   * @example
   * await cache.evict({ keys: ['product:1'], tags: ['products'] });
   */
  async evict(options: EvictOptions): Promise<boolean> {
    const keys = (options.keys ?? []).map((key) => this.keyOf(key));
    const tags = options.tags ?? [];
    if (keys.length === 0 && tags.length === 0) return true;
    const pipeline = this.#redis.pipeline();
    if (keys.length > 0) pipeline.sendCommand([this.store.opts.useUnlink ? 'UNLINK' : 'DEL', ...keys]);
    if (tags.length > 0)
      pipeline.sendCommand(['MSET', ...tags.flatMap((tag) => [this.tagKeyOf(tag), newVersion()])]);
    try {
      await pipeline.exec();
      return true;
    } catch (error) {
      this.#warn('could not evict', error);
      return false;
    }
  }

  /** Makes every entry stored under any of `tags` stale, in one request. */
  invalidateTags(tags: readonly string[]): Promise<boolean> {
    return this.evict({ tags });
  }

  /** Deletes every entry of the namespace (and the tag versions). */
  async clear(): Promise<void> {
    await this.#keyv.clear();
  }

  async #resolve<TValue>(
    full: string,
    compute: () => TValue | Promise<TValue>,
    options: WrapOptions<TValue>,
  ): Promise<TValue> {
    const tags = options.tags ?? [];
    let found = await this.#lookupSafely(full, tags);
    if (found.hit) return found.value as TValue;
    const lock = this.#lock;
    const lockKey = this.store.createKeyPrefix(LOCK_PREFIX + this.store.getKeyWithoutPrefix(full));
    const token = newVersion();
    const deadline = Date.now() + (lock?.wait ?? 0);
    let pause = lock?.poll ?? 0;
    for (;;) {
      let claim: { locked: boolean; versions: string[]; found?: Lookup };
      try {
        claim = await this.#claim(lock ? full : undefined, lock ? lockKey : undefined, token, tags);
      } catch (error) {
        this.#warn(`could not lock "${full}"; computing without caching`, error);
        return compute();
      }
      if (claim.found?.hit) {
        if (claim.locked) await this.#release(lockKey, token);
        return claim.found.value as TValue;
      }
      if (claim.locked || !lock || Date.now() >= deadline) {
        const held = claim.locked && lock ? lockKey : undefined;
        if (!claim.locked && lock)
          this.#warn(`waited ${lock.wait} ms for "${full}"; computing without the lock`);
        let value: TValue;
        try {
          value = await compute();
        } catch (error) {
          if (held) await this.#release(held, token);
          throw error;
        }
        const store = options.unless?.(value) !== true;
        await this.#save(
          full,
          store ? value : undefined,
          options.ttl,
          tags,
          claim.versions,
          held ? { key: held, token } : undefined,
        );
        return value;
      }
      await sleep(pause);
      pause = Math.min(pause * 2, MAX_POLL);
      found = await this.#lookupSafely(full, tags);
      if (found.hit) return found.value as TValue;
    }
  }

  /** GET the entry and MGET its tags' versions through the store's batching: one request, shared with concurrent reads. */
  async #lookupSafely(full: string, tags: readonly string[]): Promise<Lookup> {
    try {
      const tagKeys = tags.map((tag) => this.tagKeyOf(tag));
      const [raw, versions] = await Promise.all([
        this.store.send(['GET', full]),
        tagKeys.length > 0 ? (this.store.send(['MGET', ...tagKeys]) as Promise<(string | null)[]>) : [],
      ]);
      return await this.#judge(raw, tags, versions);
    } catch (error) {
      if (error instanceof RestashNestError) throw error;
      this.#warn(`could not read "${full}"; treated as a miss`, error);
      return { hit: false, versions: [] };
    }
  }

  /** Whether a stored entry is fresh: present, not past `expires`, and computed under its tags' current versions. */
  async #judge(raw: unknown, tags: readonly string[], versions: (string | null)[]): Promise<Lookup> {
    if (typeof raw !== 'string') return { hit: false, versions };
    const entry = (await this.#keyv.deserializeData(raw)) as Entry | undefined;
    if (!entry || typeof entry !== 'object' || entry.value === undefined) return { hit: false, versions };
    if (typeof entry.expires === 'number' && Date.now() > entry.expires) return { hit: false, versions };
    for (let i = 0; i < tags.length; i++) {
      const current = versions[i];
      if (current == null || entry.tags?.[tags[i] as string] !== current) return { hit: false, versions };
    }
    return { hit: true, value: entry.value };
  }

  /**
   * One request: try the lock, give never-seen tags a version, read every
   * tag's version and (with the lock) the entry again — another holder may
   * have stored it between our first look and our lock.
   */
  async #claim(
    full: string | undefined,
    lockKey: string | undefined,
    token: string,
    tags: readonly string[],
  ): Promise<{ locked: boolean; versions: string[]; found?: Lookup }> {
    if (!lockKey && tags.length === 0) return { locked: false, versions: [] };
    const pipeline = this.#redis.pipeline();
    if (lockKey) pipeline.sendCommand(['SET', lockKey, token, 'NX', 'PX', this.#lock?.lease ?? 1]);
    const tagKeys = tags.map((tag) => this.tagKeyOf(tag));
    for (const tagKey of tagKeys) pipeline.sendCommand(['SET', tagKey, newVersion(), 'NX']);
    pipeline.sendCommand(tagKeys.length > 0 ? ['MGET', ...tagKeys] : ['ECHO', '']);
    if (full) pipeline.sendCommand(['GET', full]);
    const results = await pipeline.exec();
    const versions = tagKeys.length > 0 ? (results[tagKeys.length + (lockKey ? 1 : 0)] as string[]) : [];
    return {
      locked: lockKey ? results[0] === 'OK' : false,
      versions,
      ...(full ? { found: await this.#judge(results[results.length - 1], tags, versions) } : {}),
    };
  }

  async #tagVersions(tags: readonly string[]): Promise<string[]> {
    return (await this.#claim(undefined, undefined, '', tags)).versions;
  }

  /** SET the entry (unless `value` is undefined) and release the lock, in one request; failures are logged. */
  async #save(
    full: string,
    value: unknown,
    ttlOption: number | ((value: never) => number) | undefined,
    tags: readonly string[],
    versions: readonly string[],
    lock: { key: string; token: string } | undefined,
  ): Promise<void> {
    const pipeline = this.#redis.pipeline();
    try {
      if (value !== undefined) {
        const ttl =
          typeof ttlOption === 'function'
            ? checkTtl((ttlOption as (v: unknown) => number)(value), 'ttl()')
            : (checkTtl(ttlOption, 'ttl') ?? this.#ttl);
        const entry: Entry = { value, expires: ttl ? Date.now() + ttl : null };
        if (tags.length > 0) entry.tags = Object.fromEntries(tags.map((tag, i) => [tag, versions[i] ?? '']));
        const text = await this.#keyv.serializeData(entry as never);
        if (typeof text !== 'string')
          throw new RestashNestError('config', 'the Keyv serializer must produce strings');
        pipeline.sendCommand(ttl ? ['SET', full, text, 'PX', ttl] : ['SET', full, text]);
      }
      if (lock) pipeline.sendCommand(['EVAL', RELEASE, 1, lock.key, lock.token]);
      if (value === undefined && !lock) return;
      await pipeline.exec();
    } catch (error) {
      if (error instanceof RestashNestError && error.code === 'invalid-argument') throw error;
      this.#warn(`could not store "${full}"`, error);
    }
  }

  async #release(lockKey: string, token: string): Promise<void> {
    try {
      await this.#redis.sendCommand(['EVAL', RELEASE, 1, lockKey, token]);
    } catch (error) {
      this.#warn(`could not release the lock of "${lockKey}"`, error);
    }
  }

  #warn(message: string, error?: unknown): void {
    const reason = error === undefined ? '' : `: ${error instanceof Error ? error.message : String(error)}`;
    this.#logger.warn(`[restash/nestjs] ${message}${reason}`);
  }
}

function checkKey(key: unknown, what = 'key'): string {
  if (typeof key === 'number' && Number.isFinite(key)) return String(key);
  if (typeof key !== 'string' || key === '') {
    throw new RestashNestError(
      'invalid-argument',
      `${what}: must be a non-empty string, got ${key === '' ? 'an empty string' : typeof key}`,
    );
  }
  return key;
}

function checkTtl(ttl: unknown, what: string): number | undefined {
  if (ttl === undefined || ttl === null) return undefined;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) {
    throw new RestashNestError(
      'invalid-argument',
      `${what}: must be a number of milliseconds ≥ 0, got ${String(ttl)}`,
    );
  }
  return ttl === 0 ? 0 : Math.max(1, Math.ceil(ttl));
}

function newVersion(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
