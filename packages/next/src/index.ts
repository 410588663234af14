export {
  type ActionKit,
  type ActionKitClient,
  type ActionKitOptions,
  type CachedOptions,
  createActionKit,
  type IdempotentOptions,
  type Limiter,
  type LimitResult,
  type LockOptions,
  type RateLimited,
  type RateLimitOptions,
} from './actions.js';
export { createUseCacheHandler, type UseCacheClient, type UseCacheHandlerOptions } from './cache-handler.js';
export { RestashNextError, type RestashNextErrorCode } from './errors.js';
export { type ClientIpOptions, clientIp } from './identity.js';
export {
  createIncrementalCacheHandler,
  type IncrementalCacheClient,
  type IncrementalCacheHandlerClass,
  type IncrementalCacheHandlerOptions,
} from './incremental-cache.js';
