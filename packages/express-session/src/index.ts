/**
 * `@restash/express-session`: an express-session store over the
 * Upstash-compatible REST API, for `@restash/core` or `@upstash/redis` clients.
 *
 * @example
 * import { RestashStore } from '@restash/express-session';
 * const store = new RestashStore({ client: Redis.fromEnv() });
 */
import { RestashStore } from './store.js';

export type { RestashStoreClient } from './client.js';
export { RestashSessionError, type RestashSessionErrorCode } from './errors.js';
export { RestashStore, type RestashStoreOptions, type Serializer } from './store.js';

/** The store, also as the default export (`import RestashStore from '@restash/express-session'`). */
export default RestashStore;
