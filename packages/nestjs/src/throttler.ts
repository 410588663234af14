import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { Redis, type RedisOptions } from '@restash/core';
import { RestashNestError } from './errors.js';

/** What the storage needs from a client: scripts of a `@restash/core` `Redis`. */
export interface ThrottlerClient {
  createScript<T>(script: string): { exec(keys: string[], args: (string | number)[]): Promise<T> };
}

/** Options of {@link RestashThrottlerStorage}. */
export interface RestashThrottlerStorageOptions {
  /** Prefix of the counters' keys. @default 'throttler' */
  prefix?: string;
  /**
   * When the server cannot be reached: `'allow'` lets the request through (and
   * logs), `'throw'` fails it.
   * @default 'allow'
   */
  onError?: 'allow' | 'throw';
}

/** `@nestjs/throttler`'s record: hit count, seconds until the window ends, the block and its seconds left. */
export interface RestashThrottlerRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

/*
 * One round trip per request: count the hit in a fixed window of `ttl` ms; past
 * `limit`, block for `blockDuration` ms. KEYS share a hash tag (one slot).
 * Returns {hits, window ms left, blocked (0|1), block ms left}.
 */
const INCREMENT = `
local blockLeft = redis.call('PTTL', KEYS[2])
if blockLeft > 0 then
  local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
  return {hits, math.max(redis.call('PTTL', KEYS[1]), 0), 1, blockLeft}
end
local hits = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  redis.call('DEL', KEYS[1])
  return {hits, left, 1, tonumber(ARGV[3])}
end
return {hits, left, 0, 0}`;

/**
 * A `@nestjs/throttler` storage in Redis over the REST API, so every instance
 * of the app counts against the same limits. One script call per request
 * (EVALSHA, falling back to EVAL once).
 *
 * @example
 * ThrottlerModule.forRoot({
 *   throttlers: [{ ttl: 60_000, limit: 10 }],
 *   storage: new RestashThrottlerStorage(Redis.fromEnv()),
 * })
 */
export class RestashThrottlerStorage implements ThrottlerStorage {
  readonly #script: {
    exec(keys: string[], args: (string | number)[]): Promise<[number, number, number, number]>;
  };
  readonly #prefix: string;
  readonly #onError: 'allow' | 'throw';
  readonly #logger = new Logger('RestashThrottlerStorage');

  constructor(client: ThrottlerClient | RedisOptions, options: RestashThrottlerStorageOptions = {}) {
    if (client === null || typeof client !== 'object') {
      throw new RestashNestError(
        'config',
        'new RestashThrottlerStorage(client): pass a @restash/core Redis or { url, token }',
      );
    }
    const redis =
      typeof (client as ThrottlerClient).createScript === 'function'
        ? (client as ThrottlerClient)
        : new Redis(client as RedisOptions);
    this.#script = redis.createScript<[number, number, number, number]>(INCREMENT);
    this.#prefix = options.prefix ?? 'throttler';
    this.#onError = options.onError ?? 'allow';
    if (this.#onError !== 'allow' && this.#onError !== 'throw') {
      throw new RestashNestError(
        'config',
        `onError: must be 'allow' or 'throw', got ${String(this.#onError)}`,
      );
    }
  }

  /** Counts one hit of `key` for the throttler `throttlerName` (what `ThrottlerGuard` calls). */
  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<RestashThrottlerRecord> {
    const base = `${this.#prefix}:{${throttlerName}:${key}}`;
    try {
      const [hits, left, blocked, blockLeft] = await this.#script.exec(
        [`${base}:hits`, `${base}:block`],
        [Math.max(1, Math.ceil(ttl)), limit, Math.max(1, Math.ceil(blockDuration || ttl))],
      );
      return {
        totalHits: hits,
        timeToExpire: Math.ceil(left / 1000),
        isBlocked: blocked === 1,
        timeToBlockExpire: Math.ceil(blockLeft / 1000),
      };
    } catch (error) {
      if (this.#onError === 'throw') throw error;
      this.#logger.warn(
        `[restash/nestjs] throttler storage unavailable, request allowed: ${error instanceof Error ? error.message : String(error)}`,
      );
      return { totalHits: 0, timeToExpire: Math.ceil(ttl / 1000), isBlocked: false, timeToBlockExpire: 0 };
    }
  }
}
