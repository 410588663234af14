import type { Redis } from '@restash/core';

/** The slice of the `@restash/core` client a counter uses. */
export type CounterClient = Pick<Redis, 'incr'>;

/** A named counter kept in Redis. */
export interface Counter {
  /** Adds one and answers the new count (1 the first time). */
  next(): Promise<number>;
}

/**
 * A counter on one Redis key.
 *
 * @example
 * ```ts
 * const visits = createCounter(Redis.fromEnv(), 'visits');
 * await visits.next(); // 1
 * ```
 */
export function createCounter(client: CounterClient, key: string): Counter {
  return { next: () => client.incr(key) };
}
