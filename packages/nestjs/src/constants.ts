/** Injection token of the resolved {@link RestashCacheModuleOptions}. */
export const RESTASH_CACHE_OPTIONS = Symbol.for('@restash/nestjs:options');
/** Injection token of the `@restash/core` client the cache uses. */
export const RESTASH_REDIS = Symbol.for('@restash/nestjs:redis');
/** Injection token of the `Keyv` the cache manager stores into. */
export const RESTASH_KEYV = Symbol.for('@restash/nestjs:keyv');
