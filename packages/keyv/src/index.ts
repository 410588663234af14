/**
 * `@restash/keyv` — a Keyv store over the Upstash-compatible REST API, for
 * Keyv itself, cache-manager, cacheable and `@nestjs/cache-manager`.
 *
 * @example
 * import { Redis } from '@restash/core';
 * import { createKeyv } from '@restash/keyv';
 * const keyv = createKeyv(Redis.fromEnv(), { namespace: 'app' });
 */
export { type CreateKeyvOptions, createKeyv } from './create.js';
export { KeyvRestashError, type KeyvRestashErrorCode } from './errors.js';
export {
  KeyvRestash,
  type KeyvRestashClient,
  type KeyvRestashEntry,
  type KeyvRestashOptions,
  type KeyvRestashResolvedOptions,
} from './store.js';
