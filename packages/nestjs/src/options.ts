import type { ExecutionContext } from '@nestjs/common';
import type { RedisOptions } from '@restash/core';
import type { KeyvRestashClient } from '@restash/keyv';
import type { Keyv } from 'keyv';

/**
 * Where the cache lives: a server URL and token (any other `@restash/core`
 * option may ride along), or a client you made.
 */
export type RestashConnection =
  | (Partial<RedisOptions> & { url: string; token: string })
  | { client: KeyvRestashClient };

/** Stampede protection across instances: a lock per key, held for at most `lease` ms. */
export interface RestashLockOptions {
  /** How long a computing caller holds a key's lock before others may take over (a crashed holder blocks no longer). @default 10_000 */
  lease?: number;
  /** How long a caller waits for another's result before computing itself. @default the lease */
  wait?: number;
  /** First pause between two looks at the key while waiting, doubled up to 200 ms. @default 20 */
  poll?: number;
}

/** A per-request part of the interceptor's key (a user or tenant id), or `undefined` to share the entry. */
export type CacheVaryByFunction = (context: ExecutionContext) => string | number | undefined;

/** Options of `RestashCacheModule`, besides the connection. */
export interface RestashCacheOptions {
  /** Default TTL in milliseconds of the cache manager, the interceptor and the decorators; 0 or absent: no expiry. */
  ttl?: number;
  /** Prefix of every key: `namespace::key`. @default 'cache' */
  namespace?: string;
  /** `::` unless you say otherwise; see `@restash/keyv`. @default '::' */
  keyPrefixSeparator?: string;
  /** Stampede protection of `@Cacheable` across instances; `false` keeps only the in-process coalescing. @default {} */
  lock?: RestashLockOptions | false;
  /** Default per-request key part of `RestashCacheInterceptor` (e.g. the user id). */
  varyBy?: CacheVaryByFunction;
  /**
   * Stores `CACHE_MANAGER` checks before Redis, such as an in-process L1:
   * `[new Keyv({ store: new CacheableMemory({ ttl: 5_000, lruSize: 1_000 }) })]`.
   * The decorators and `RestashCache` read Redis only, so that tag
   * invalidation is seen by every instance at once.
   * @default []
   */
  stores?: Keyv[];
}

/** Everything `forRootAsync`'s factory returns. */
export interface RestashCacheModuleOptions extends RestashCacheOptions {
  connection: RestashConnection;
}

/** Options of `RestashCacheModule.forRoot`. */
export interface RestashCacheModuleRootOptions extends RestashCacheOptions {
  /** Register the module (and `CACHE_MANAGER`) for every module of the app. @default false */
  isGlobal?: boolean;
}
