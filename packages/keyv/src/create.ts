import type { RedisOptions } from '@restash/core';
import { Keyv, type KeyvOptions } from 'keyv';
import { KeyvRestash, type KeyvRestashClient, type KeyvRestashOptions } from './store.js';

/** Options of {@link createKeyv}: the store's options, plus Keyv's own. */
export interface CreateKeyvOptions extends KeyvRestashOptions {
  /** Default TTL in milliseconds of `keyv.set` without one. @default undefined (no expiry) */
  ttl?: number;
  /** Any other Keyv option (serialize, compression, stats, emitErrors…). */
  keyv?: Omit<KeyvOptions, 'store' | 'namespace' | 'useKeyPrefix' | 'ttl' | 'throwOnErrors'>;
}

/**
 * A ready `Keyv` on a {@link KeyvRestash} store. The store alone prefixes keys
 * (`namespace::key`), so Keyv's own prefix is off (`useKeyPrefix: false`) and
 * keys are not prefixed twice — what a store passed bare to cache-manager or
 * `@nestjs/cache-manager` would get.
 *
 * @example
 * import { Redis } from '@restash/core';
 * import { createKeyv } from '@restash/keyv';
 *
 * const keyv = createKeyv(new Redis({ url, token }), { namespace: 'app', ttl: 60_000 });
 * await keyv.set('user:1', { name: 'Ada' }); // stored as app::user:1 for 60 s
 */
export function createKeyv(client: KeyvRestashClient | RedisOptions, options: CreateKeyvOptions = {}): Keyv {
  const { ttl, keyv: keyvOptions, ...storeOptions } = options;
  const store = new KeyvRestash(client, storeOptions);
  return new Keyv(store, {
    ...keyvOptions,
    namespace: storeOptions.namespace,
    useKeyPrefix: false,
    ttl,
    throwOnErrors: storeOptions.throwOnErrors ?? false,
  });
}
