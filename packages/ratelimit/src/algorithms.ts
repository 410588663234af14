import type { EphemeralCache } from './cache.js';
import { type Duration, toMilliseconds } from './duration.js';
import { RatelimitError } from './errors.js';
import {
  cachedFixedWindowLimit,
  fixedWindowLimit,
  fixedWindowRemaining,
  type LuaScript,
  slidingWindowLimit,
  slidingWindowRemaining,
  tokenBucketLimit,
  tokenBucketRemaining,
} from './scripts.js';

/** What an algorithm gets from its `Ratelimit`. */
export interface AlgorithmContext {
  /** Runs a script in one round trip (EVALSHA, EVAL on NOSCRIPT). */
  run(script: LuaScript, keys: string[], args: Array<string | number>): Promise<unknown>;
  /** Deletes keys. */
  del(keys: string[]): Promise<unknown>;
  /** The dynamic-limit key when dynamic limits are on. */
  dynamicLimitKey: string | undefined;
  /** The in-process cache, unless `ephemeralCache: false`. */
  cache: EphemeralCache | undefined;
}

/** What one check decided. */
export interface AlgorithmResult {
  success: boolean;
  limit: number;
  remaining: number;
  /** When the limit resets (ms epoch). */
  reset: number;
  /** Work still going on after the answer (cachedFixedWindow's write-behind). */
  pending?: Promise<unknown>;
}

/** Remaining capacity without consuming any. */
export interface RemainingResult {
  remaining: number;
  /** When the limit resets (ms epoch). */
  reset: number;
  limit: number;
}

/**
 * A rate-limiting algorithm. Build one with `Ratelimit.fixedWindow`,
 * `slidingWindow`, `tokenBucket` or `cachedFixedWindow`, or implement this for
 * an algorithm of your own. `key` is `${prefix}:${identifier}`.
 */
export interface Algorithm {
  /** The algorithm's name, e.g. `'slidingWindow'`. */
  readonly name: string;
  /** The configured limit (tokens per window, or the bucket size). */
  readonly tokens: number;
  /**
   * The window the limit is counted over, in ms, for `RateLimit-Policy`
   * headers: the window, or for a token bucket the time it takes to refill from
   * empty.
   */
  readonly windowMs: number;
  /** Whether it needs the ephemeral cache. */
  readonly needsCache?: boolean;
  /** Consumes `rate` tokens (a negative rate refunds, without a limit check). */
  limit(ctx: AlgorithmContext, key: string, rate: number, now: number): Promise<AlgorithmResult>;
  getRemaining(ctx: AlgorithmContext, key: string, now: number): Promise<RemainingResult>;
  /** Forgets every token `key` used. */
  resetTokens(ctx: AlgorithmContext, key: string, now: number): Promise<void>;
}

function positiveInteger(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new RatelimitError('config', `${what}: must be a whole number of at least 1, got ${String(value)}`);
  }
  return value;
}

type Reply = number[];

/** The script's keys, followed by the dynamic-limit key when dynamic limits are on. */
function dynamicKeys(ctx: AlgorithmContext, ...keys: string[]): string[] {
  if (ctx.dynamicLimitKey !== undefined) keys.push(ctx.dynamicLimitKey);
  return keys;
}

/** A check's answer from a limit script's `[allowed, remaining, effective limit]` reply. */
function decided(reply: unknown, reset: number): AlgorithmResult {
  const [allowed, remaining, effective] = reply as Reply;
  return { success: allowed === 1, limit: effective!, remaining: Math.max(0, remaining!), reset };
}

/** The answer of a remaining script's `[remaining, effective limit]` reply. */
function left(reply: unknown, reset: number): RemainingResult {
  const [remaining, effective] = reply as Reply;
  return { remaining: Math.max(0, remaining!), reset, limit: effective! };
}

/**
 * Fixed window: at most `tokens` per window, windows aligned on the epoch. The
 * counter is `${prefix}:${identifier}:${floor(now / window)}`.
 *
 * @example
 * new Ratelimit({ redis, limiter: Ratelimit.fixedWindow(100, '1 m') });
 */
export function fixedWindow(tokens: number, window: Duration): Algorithm {
  const limit = positiveInteger(tokens, 'fixedWindow tokens');
  const windowMs = toMilliseconds(window, 'fixedWindow window');
  return {
    name: 'fixedWindow',
    tokens: limit,
    windowMs,
    async limit(ctx, key, rate, now) {
      const bucket = Math.floor(now / windowMs);
      const reply = await ctx.run(fixedWindowLimit, dynamicKeys(ctx, `${key}:${bucket}`), [
        limit,
        windowMs,
        rate,
      ]);
      return decided(reply, (bucket + 1) * windowMs);
    },
    async getRemaining(ctx, key, now) {
      const bucket = Math.floor(now / windowMs);
      const reply = await ctx.run(fixedWindowRemaining, dynamicKeys(ctx, `${key}:${bucket}`), [limit]);
      return left(reply, (bucket + 1) * windowMs);
    },
    async resetTokens(ctx, key, now) {
      const bucket = Math.floor(now / windowMs);
      await ctx.del([`${key}:${bucket}`, `${key}:${bucket - 1}`]);
    },
  };
}

/**
 * Sliding window: the current window's count plus the previous window's,
 * weighted by how much of it the sliding window still covers. Smoother than a
 * fixed window at the cost of reading two counters.
 *
 * @example
 * new Ratelimit({ redis, limiter: Ratelimit.slidingWindow(10, '10 s') });
 */
export function slidingWindow(tokens: number, window: Duration): Algorithm {
  const limit = positiveInteger(tokens, 'slidingWindow tokens');
  const windowMs = toMilliseconds(window, 'slidingWindow window');
  return {
    name: 'slidingWindow',
    tokens: limit,
    windowMs,
    async limit(ctx, key, rate, now) {
      const bucket = Math.floor(now / windowMs);
      const keys = dynamicKeys(ctx, `${key}:${bucket}`, `${key}:${bucket - 1}`);
      const reply = await ctx.run(slidingWindowLimit, keys, [limit, now, windowMs, rate]);
      return decided(reply, (bucket + 1) * windowMs);
    },
    async getRemaining(ctx, key, now) {
      const bucket = Math.floor(now / windowMs);
      const keys = dynamicKeys(ctx, `${key}:${bucket}`, `${key}:${bucket - 1}`);
      const reply = await ctx.run(slidingWindowRemaining, keys, [limit, now, windowMs]);
      return left(reply, (bucket + 1) * windowMs);
    },
    async resetTokens(ctx, key, now) {
      const bucket = Math.floor(now / windowMs);
      await ctx.del([`${key}:${bucket}`, `${key}:${bucket - 1}`]);
    },
  };
}

/**
 * Token bucket: a bucket of `maxTokens` (default `refillRate`) that gains
 * `refillRate` tokens every `interval`; each request takes one. Allows bursts
 * up to the bucket size. The bucket is a hash `{refilledAt, tokens}` at
 * `${prefix}:${identifier}`.
 *
 * @example
 * new Ratelimit({ redis, limiter: Ratelimit.tokenBucket(5, '1 s', 20) });
 */
export function tokenBucket(refillRate: number, interval: Duration, maxTokens?: number): Algorithm {
  const refill = positiveInteger(refillRate, 'tokenBucket refillRate');
  const intervalMs = toMilliseconds(interval, 'tokenBucket interval');
  const max = maxTokens === undefined ? refill : positiveInteger(maxTokens, 'tokenBucket maxTokens');
  return {
    name: 'tokenBucket',
    tokens: max,
    windowMs: Math.ceil(max / refill) * intervalMs,
    async limit(ctx, key, rate, now) {
      const [allowed, remaining, reset, effective] = (await ctx.run(tokenBucketLimit, dynamicKeys(ctx, key), [
        max,
        intervalMs,
        refill,
        now,
        rate,
      ])) as Reply;
      return {
        success: allowed === 1,
        limit: effective!,
        remaining: Math.max(0, remaining!),
        reset: reset!,
      };
    },
    async getRemaining(ctx, key, now) {
      const [remaining, reset, effective] = (await ctx.run(tokenBucketRemaining, dynamicKeys(ctx, key), [
        max,
        intervalMs,
        refill,
        now,
      ])) as Reply;
      return { remaining: Math.max(0, remaining!), reset: reset!, limit: effective! };
    },
    async resetTokens(ctx, key) {
      await ctx.del([key]);
    },
  };
}

/**
 * Fixed window whose counts are also kept in process: once this process has
 * seen a window's count, it decides locally and writes to Redis behind the
 * answer (`pending`). Fewer round trips for hot identifiers, at the cost of
 * counts that other processes' hits reach only on the next miss. Needs the
 * ephemeral cache; dynamic limits do not apply to it.
 *
 * @example
 * new Ratelimit({ redis, limiter: Ratelimit.cachedFixedWindow(100, '1 m') });
 */
export function cachedFixedWindow(tokens: number, window: Duration): Algorithm {
  const limit = positiveInteger(tokens, 'cachedFixedWindow tokens');
  const windowMs = toMilliseconds(window, 'cachedFixedWindow window');
  return {
    name: 'cachedFixedWindow',
    tokens: limit,
    windowMs,
    needsCache: true,
    async limit(ctx, key, rate, now) {
      const cache = ctx.cache!;
      const bucket = Math.floor(now / windowMs);
      const counter = `${key}:${bucket}`;
      const reset = (bucket + 1) * windowMs;
      const cached = cache.count(counter, bucket);
      if (cached !== undefined) {
        const used = Math.max(0, cached + rate);
        const success = rate <= 0 || used <= limit;
        if (!success) return { success, limit, remaining: Math.max(0, limit - cached), reset };
        cache.setCount(counter, bucket, used);
        const pending = ctx.run(cachedFixedWindowLimit, [counter], [windowMs, rate]).then(
          (count) => {
            // Other processes' hits arrive here: keep the larger view.
            if (typeof count === 'number' && count > (cache.count(counter, bucket) ?? 0)) {
              cache.setCount(counter, bucket, count);
            }
          },
          () => {
            // The write did not land: forget the local count, so the next check asks Redis.
            // (Rejecting here would crash apps that never await `pending`.)
            cache.forgetCount(counter);
          },
        );
        return { success, limit, remaining: Math.max(0, limit - used), reset, pending };
      }
      const used = (await ctx.run(cachedFixedWindowLimit, [counter], [windowMs, rate])) as number;
      cache.setCount(counter, bucket, used);
      return { success: rate <= 0 || used <= limit, limit, remaining: Math.max(0, limit - used), reset };
    },
    async getRemaining(ctx, key, now) {
      const bucket = Math.floor(now / windowMs);
      const counter = `${key}:${bucket}`;
      const reset = (bucket + 1) * windowMs;
      const cached = ctx.cache?.count(counter, bucket);
      if (cached !== undefined) return { remaining: Math.max(0, limit - cached), reset, limit };
      const [remaining] = (await ctx.run(fixedWindowRemaining, [counter], [limit])) as Reply;
      return { remaining: Math.max(0, remaining!), reset, limit };
    },
    async resetTokens(ctx, key, now) {
      const bucket = Math.floor(now / windowMs);
      ctx.cache?.forgetCount(`${key}:${bucket}`);
      await ctx.del([`${key}:${bucket}`, `${key}:${bucket - 1}`]);
    },
  };
}
