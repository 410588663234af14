import type { Redis } from '@restash/core';
import { prefix } from '@restash/server/testing';

/** A random key prefix and the clean-up of every key under it. */
export interface TestKeys {
  /** The prefix, e.g. `{t1k3j9x0a}:`; a hash tag, so on a cluster its keys share one slot. */
  prefix: string;
  /** `prefix + name`. */
  key(name: string): string;
  /** Deletes every key under the prefix (SCAN + UNLINK); returns how many. */
  cleanup(): Promise<number>;
}

/**
 * A fresh key prefix so that tests never see each other's keys, and a clean-up
 * that deletes them.
 *
 * @example
 * ```ts
 * const k = keys(redis);
 * await redis.set(k.key('a'), 1);
 * afterAll(() => k.cleanup());
 * ```
 */
export function keys(redis: Pick<Redis, 'scan' | 'unlink'>): TestKeys {
  const start = prefix();
  const pattern = `${start.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
  return {
    prefix: start,
    key: (name) => start + name,
    async cleanup() {
      let cursor: string | number = 0;
      let deleted = 0;
      do {
        const [next, found]: [string | number, string[]] = await redis.scan(cursor, {
          match: pattern,
          count: 1000,
        });
        if (found.length > 0) deleted += await redis.unlink(...found);
        cursor = next;
      } while (String(cursor) !== '0');
      return deleted;
    },
  };
}
