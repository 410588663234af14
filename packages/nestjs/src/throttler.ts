import type { ThrottlerStorage } from '@nestjs/throttler';
import { Redis, type RedisOptions } from '@restash/core';
import { Ratelimit, type RatelimitRedis } from '@restash/ratelimit';
import { RestashNestError } from './errors.js';

/** Options of {@link RestashThrottlerStorage}. */
export interface RestashThrottlerStorageOptions {
  /** Prefix of the counters' keys. @default 'throttler' */
  prefix?: string;
  /**
   * What a request gets when the server does not answer within `timeout`:
   * `'open'` lets it through, `'closed'` rejects it (429).
   * @default 'open'
   */
  failMode?: 'open' | 'closed';
  /** Milliseconds to wait for the server before `failMode` decides. @default 5000 */
  timeout?: number;
}

/** `@nestjs/throttler`'s record: hit count, seconds until the window ends, the block and its seconds left. */
export interface RestashThrottlerRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

/**
 * A `@nestjs/throttler` storage on `@restash/ratelimit`, so every instance of
 * the app counts against the same limits in Redis over the REST API. Each
 * throttler (its `ttl` and `limit`) is a `Ratelimit.fixedWindow`: one script
 * call per request, concurrent requests batched into one, identifiers past
 * their limit rejected from memory until the window ends. A `blockDuration`
 * other than `ttl` is kept in a key of its own.
 *
 * @example
 * ThrottlerModule.forRoot({
 *   throttlers: [{ ttl: 60_000, limit: 10 }],
 *   storage: new RestashThrottlerStorage(Redis.fromEnv()),
 * })
 */
export class RestashThrottlerStorage implements ThrottlerStorage {
  readonly #redis: RatelimitRedis;
  readonly #prefix: string;
  readonly #failMode: 'open' | 'closed';
  readonly #timeout: number;
  readonly #limiters = new Map<string, Ratelimit>();

  constructor(client: RatelimitRedis | RedisOptions, options: RestashThrottlerStorageOptions = {}) {
    if (client === null || typeof client !== 'object') {
      throw new RestashNestError(
        'config',
        'new RestashThrottlerStorage(client): pass a @restash/core Redis or { url, token }',
      );
    }
    this.#redis =
      typeof (client as Partial<RatelimitRedis>).evalsha === 'function'
        ? (client as RatelimitRedis)
        : new Redis(client as RedisOptions);
    this.#prefix = options.prefix ?? 'throttler';
    this.#failMode = options.failMode ?? 'open';
    if (this.#failMode !== 'open' && this.#failMode !== 'closed') {
      throw new RestashNestError(
        'config',
        `failMode: must be 'open' or 'closed', got ${String(this.#failMode)}`,
      );
    }
    this.#timeout = options.timeout ?? 5000;
  }

  /** Counts one hit of `key` for the throttler `throttlerName` (what `ThrottlerGuard` calls). */
  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<RestashThrottlerRecord> {
    const ratelimit = this.#limiter(throttlerName, ttl, limit);
    const separateBlock = blockDuration > 0 && blockDuration !== ttl;
    const blockKey = `${this.#prefix}:${throttlerName}:block:${key}`;
    const [blockLeft, result] = await Promise.all([
      separateBlock ? this.#redis.eval<number>(PTTL_SCRIPT, [blockKey], []).catch(() => -2) : -2,
      ratelimit.limit(key),
    ]);
    const now = Date.now();
    const windowLeft = Math.max(0, result.reset - now);
    const totalHits = result.success ? result.limit - result.remaining : result.limit + 1;
    if (separateBlock) {
      if (blockLeft > 0) return record(totalHits, windowLeft, true, blockLeft);
      if (!result.success && result.reason === undefined) {
        await this.#redis.set(blockKey, '1', { px: Math.ceil(blockDuration), nx: true }).catch(() => null);
        return record(totalHits, windowLeft, true, blockDuration);
      }
    }
    // A rejection by failMode 'closed' has no window left: block for a second so Retry-After is sensible.
    return record(totalHits, windowLeft, !result.success, result.success ? 0 : Math.max(windowLeft, 1000));
  }

  #limiter(name: string, ttl: number, limit: number): Ratelimit {
    const id = `${name}\n${ttl}\n${limit}`;
    let ratelimit = this.#limiters.get(id);
    if (!ratelimit) {
      ratelimit = new Ratelimit({
        redis: this.#redis,
        limiter: Ratelimit.fixedWindow(limit, Math.max(1, Math.ceil(ttl))),
        prefix: `${this.#prefix}:${name}`,
        failMode: this.#failMode,
        timeout: this.#timeout,
      });
      this.#limiters.set(id, ratelimit);
    }
    return ratelimit;
  }
}

const PTTL_SCRIPT = "return redis.call('PTTL', KEYS[1])";

function record(
  totalHits: number,
  windowLeftMs: number,
  isBlocked: boolean,
  blockLeftMs: number,
): RestashThrottlerRecord {
  return {
    totalHits,
    timeToExpire: Math.ceil(windowLeftMs / 1000),
    isBlocked,
    timeToBlockExpire: isBlocked ? Math.ceil(blockLeftMs / 1000) : 0,
  };
}
