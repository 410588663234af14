/**
 * `@restash/nestjs` — Nest caching on Redis over the REST API: a cache module on
 * `@nestjs/cache-manager`, `@Cacheable`/`@CachePut`/`@CacheEvict` for any
 * provider method, tags, stampede protection, per-request interceptor keys and
 * a `@nestjs/throttler` storage.
 *
 * @example
 * RestashCacheModule.forRoot({ url, token }, { ttl: 60_000, isGlobal: true });
 */
export { RestashCacheModule, type RestashCacheModuleAsyncOptions } from './cache.module.js';
export { RESTASH_CACHE_OPTIONS, RESTASH_KEYV, RESTASH_REDIS } from './constants.js';
export {
  Cacheable,
  type CacheableOptions,
  CacheEvict,
  type CacheEvictOptions,
  CachePut,
  type CachePutOptions,
  CacheVaryBy,
  type FromArgs,
} from './decorators.js';
export { RestashNestError, type RestashNestErrorCode } from './errors.js';
export { RestashCacheInterceptor } from './interceptor.js';
export type {
  CacheVaryByFunction,
  RestashCacheModuleOptions,
  RestashCacheModuleRootOptions,
  RestashCacheOptions,
  RestashConnection,
  RestashLockOptions,
} from './options.js';
export {
  type EvictOptions,
  RestashCache,
  type RestashCacheSettings,
  type SetOptions,
  type WrapOptions,
} from './restash-cache.js';
export {
  type RestashThrottlerRecord,
  RestashThrottlerStorage,
  type RestashThrottlerStorageOptions,
} from './throttler.js';
