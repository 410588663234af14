import { Redis, type RedisOptions } from '@restash/core';
import { inject } from 'vitest';

/** What the harness's global setup hands to tests. */
export interface SharedStack {
  /** Our server's base URL. */
  url: string;
  token: string;
  readOnlyToken: string;
  /** The Redis behind it (`redis://127.0.0.1:port`). */
  redisUrl: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    restash: SharedStack;
  }
}

/**
 * The stack started by `@restash/test-harness/global-setup`.
 *
 * @example
 * ```ts
 * const { url, token } = sharedStack();
 * ```
 */
export function sharedStack(): SharedStack {
  const stack = inject('restash');
  if (!stack) {
    throw new Error(
      "[restash/test-harness] no shared stack: add globalSetup: ['@restash/test-harness/global-setup'] to vitest.config.ts",
    );
  }
  return stack;
}

/**
 * A `@restash/core` client of the shared stack's server.
 *
 * @example
 * ```ts
 * const redis = sharedClient();
 * ```
 */
export function sharedClient<TValue = unknown>(options: Partial<RedisOptions> = {}): Redis<TValue> {
  const { url, token } = sharedStack();
  return new Redis<TValue>({ url, token, ...options });
}
