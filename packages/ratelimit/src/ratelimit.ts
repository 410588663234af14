import type { Redis } from '@restash/core';
import {
  type Algorithm,
  type AlgorithmContext,
  cachedFixedWindow,
  fixedWindow,
  type RemainingResult,
  slidingWindow,
  tokenBucket,
} from './algorithms.js';
import { EphemeralCache } from './cache.js';
import { DenyList, type DenyListOptions } from './deny-list.js';
import { RatelimitError } from './errors.js';
import { ScriptRunner } from './script-runner.js';

/** The prefix of every key, the same as `@upstash/ratelimit`'s so both share limits. */
export const DEFAULT_PREFIX = '@upstash/ratelimit';

/** What a `Ratelimit` needs from a `@restash/core` `Redis`. */
export type RatelimitRedis = Pick<
  Redis,
  | 'eval'
  | 'evalRo'
  | 'evalsha'
  | 'evalshaRo'
  | 'scriptLoad'
  | 'del'
  | 'get'
  | 'set'
  | 'sadd'
  | 'srem'
  | 'smismember'
  | 'multi'
>;

/** Options of `new Ratelimit(…)`. */
export interface RatelimitOptions {
  /** A `@restash/core` client (`new Redis({ url, token })` or `Redis.fromEnv()`). */
  redis: RatelimitRedis;
  /** The algorithm and its limit: `Ratelimit.slidingWindow(10, '10 s')` and the like. */
  limiter: Algorithm;
  /**
   * Prefix of every key. The default is `@upstash/ratelimit`'s, so that an app
   * running both libraries shares one set of limits.
   * @default '@upstash/ratelimit'
   */
  prefix?: string;
  /**
   * The in-process cache of blocked identifiers: an identifier rejected with
   * nothing left is rejected again without a Redis call until its reset
   * (`reason: 'cacheBlock'`). Pass a `Map` created outside a serverless handler
   * to keep it between invocations, or `false` to turn it off
   * (`cachedFixedWindow` needs it).
   * @default new Map()
   */
  ephemeralCache?: Map<string, number> | false;
  /**
   * Milliseconds to wait for Redis before answering by `failMode`
   * (`reason: 'timeout'`); `0` waits forever.
   * @default 5000
   */
  timeout?: number;
  /**
   * What `limit` answers when Redis does not answer in time or cannot be
   * reached: `'open'` lets the request through (`success: true`), `'closed'`
   * rejects it. Either way `reason` says it happened (`'timeout'` or `'error'`)
   * and `error` holds the failure.
   * @default 'open'
   */
  failMode?: 'open' | 'closed';
  /**
   * Deny requests whose identifier, IP, user agent or country is listed:
   * `true` checks the list shared in Redis (the one `@upstash/ratelimit`'s
   * `enableProtection` reads), an object adds local values and tuning.
   * Nothing is ever fetched from the network: fill the list with
   * `addToDenyList` or `setIpDenyList(await yourFeed())`.
   * @default false
   */
  denyList?: boolean | DenyListOptions;
  /**
   * Read a global limit from `${prefix}:dynamic:global` that overrides the
   * algorithm's (see `setDynamicLimit`). Costs nothing when off.
   * @default false
   */
  dynamicLimits?: boolean;
  /**
   * Start scripts with `#!lua flags=allow-key-locking`, which lets Upstash lock
   * only the keys a check touches. Servers that refuse the flag get the scripts
   * without it automatically; `false` never sends it.
   * @default true
   */
  keyLocking?: boolean;
  /**
   * Send checks started in the same tick (concurrent requests) as one EVALSHA
   * of a batched script instead of one EVALSHA each. The checks still run one
   * after the other, atomically, exactly as if sent separately; there is just
   * less to encode, send, parse and dispatch. In front of a Redis Cluster the
   * limiter turns this off by itself at the first CROSSSLOT answer.
   * @default true
   */
  batch?: boolean;
}

/** Options of one `limit` call. */
export interface LimitOptions {
  /** Tokens this request takes; a negative rate gives tokens back (a refund, never rejected). @default 1 */
  rate?: number;
  /** The client's IP address, checked against the deny list. */
  ip?: string;
  /** The client's user agent, checked against the deny list. */
  userAgent?: string;
  /** The client's country code, checked against the deny list. */
  country?: string;
}

/** Why a request got the answer it got, when it was not a plain check. */
export type LimitReason = 'timeout' | 'error' | 'cacheBlock' | 'denyList';

/** The answer of `limit`. */
export interface LimitResult {
  /** Whether the request may go ahead. */
  success: boolean;
  /** The limit that applied (the dynamic one when set). */
  limit: number;
  /** Tokens left after this request. */
  remaining: number;
  /** When the limit resets, in ms since the epoch (0 when unknown: timeouts, errors, deny list). */
  reset: number;
  /** Work still running after the answer; pass it to `waitUntil` on serverless platforms. */
  pending: Promise<unknown>;
  /** Set when the answer did not come from a check in Redis. */
  reason?: LimitReason;
  /** The listed value that denied the request (`reason: 'denyList'`). */
  deniedValue?: string;
  /** The failure behind `reason: 'timeout'` or `'error'`. */
  error?: unknown;
}

const DONE: Promise<unknown> = Promise.resolve();
const DYNAMIC_LIMIT_SUFFIX = ':dynamic:global';

/**
 * A rate limiter over the REST API: one EVALSHA per check, batched with other
 * commands by the client's auto-pipelining, with `@upstash/ratelimit`'s keys
 * and algorithms.
 *
 * @example
 * ```ts
 * import { Redis } from '@restash/core';
 * import { Ratelimit } from '@restash/ratelimit';
 *
 * const ratelimit = new Ratelimit({ redis: Redis.fromEnv(), limiter: Ratelimit.slidingWindow(10, '10 s') });
 * const { success, remaining, reset } = await ratelimit.limit(userId);
 * if (!success) return new Response('Too many requests', { status: 429 });
 * ```
 */
export class Ratelimit {
  /** Fixed window: at most `tokens` per window. @see fixedWindow */
  static readonly fixedWindow = fixedWindow;
  /** Sliding window: weighted current + previous window. @see slidingWindow */
  static readonly slidingWindow = slidingWindow;
  /** Token bucket: `refillRate` tokens per `interval`, bursts up to `maxTokens`. @see tokenBucket */
  static readonly tokenBucket = tokenBucket;
  /** Fixed window counted in process, written to Redis behind the answer. @see cachedFixedWindow */
  static readonly cachedFixedWindow = cachedFixedWindow;

  /** The key prefix. */
  readonly prefix: string;
  /** The algorithm. */
  readonly limiter: Algorithm;
  private readonly redis: RatelimitRedis;
  private readonly timeout: number;
  private readonly failOpen: boolean;
  private readonly cache: EphemeralCache | undefined;
  private readonly denyList: DenyList | undefined;
  private readonly dynamicLimitKey: string | undefined;
  private readonly dynamicLimitsOn: boolean;
  private readonly ctx: AlgorithmContext;

  constructor(options: RatelimitOptions) {
    if (options === null || typeof options !== 'object') {
      throw new RatelimitError('config', 'new Ratelimit(options): options must be an object');
    }
    const { redis, limiter } = options;
    if (redis === null || typeof redis !== 'object' || typeof redis.evalsha !== 'function') {
      throw new RatelimitError('config', 'redis: pass a @restash/core Redis client');
    }
    if (limiter === null || typeof limiter !== 'object' || typeof limiter.limit !== 'function') {
      throw new RatelimitError(
        'config',
        "limiter: pass an algorithm, e.g. Ratelimit.slidingWindow(10, '10 s')",
      );
    }
    const prefix = options.prefix ?? DEFAULT_PREFIX;
    if (typeof prefix !== 'string' || prefix.length === 0) {
      throw new RatelimitError('config', 'prefix: must be a non-empty string');
    }
    const timeout = options.timeout ?? 5000;
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0) {
      throw new RatelimitError(
        'config',
        `timeout: must be 0 or more milliseconds, got ${String(options.timeout)}`,
      );
    }
    const failMode = options.failMode ?? 'open';
    if (failMode !== 'open' && failMode !== 'closed') {
      throw new RatelimitError('config', `failMode: must be 'open' or 'closed', got ${String(failMode)}`);
    }
    const ephemeral = options.ephemeralCache ?? new Map<string, number>();
    if (ephemeral !== false && !(ephemeral instanceof Map)) {
      throw new RatelimitError('config', 'ephemeralCache: pass a Map or false');
    }
    if (ephemeral === false && limiter.needsCache) {
      throw new RatelimitError(
        'config',
        `${limiter.name} needs the ephemeral cache; do not pass ephemeralCache: false`,
      );
    }
    this.redis = redis;
    this.limiter = limiter;
    this.prefix = prefix;
    this.timeout = timeout;
    this.failOpen = failMode === 'open';
    this.cache = ephemeral === false ? undefined : new EphemeralCache(ephemeral);
    if (options.denyList) {
      this.denyList = new DenyList(
        options.denyList === true ? {} : options.denyList,
        `${prefix}:denyList:all`,
      );
    }
    // cachedFixedWindow decides in process: a dynamic limit would not reach it.
    this.dynamicLimitKey =
      options.dynamicLimits === true && !limiter.needsCache ? prefix + DYNAMIC_LIMIT_SUFFIX : undefined;
    this.dynamicLimitsOn = options.dynamicLimits === true;
    const runner = new ScriptRunner(redis, {
      keyLocking: options.keyLocking !== false,
      batch: options.batch !== false,
    });
    this.ctx = {
      run: (script, keys, args) => runner.run(script, keys, args),
      del: (keys) => redis.del(...keys),
      dynamicLimitKey: this.dynamicLimitKey,
      cache: this.cache,
    };
  }

  /**
   * Checks and consumes: takes `rate` tokens (default 1) from `identifier`'s
   * allowance. One round trip, none when the ephemeral cache or the local deny
   * list already knows the answer.
   *
   * @example
   * const { success, remaining, reset } = await ratelimit.limit(`ip:${ip}`);
   * await ratelimit.limit(userId, { rate: 5 }); // an expensive call
   * await ratelimit.limit(userId, { rate: -5 }); // give them back
   */
  limit(identifier: string, options?: LimitOptions): Promise<LimitResult> {
    // Bad input rejects the promise (it is never thrown synchronously).
    if (typeof identifier !== 'string' || identifier.length === 0) {
      return rejectWith(() => checkIdentifier(identifier, 'limit'));
    }
    const given = options?.rate;
    if (given !== undefined && !Number.isSafeInteger(given)) return rejectWith(() => checkRate(given));
    const rate = given ?? 1;
    const now = Date.now();
    const key = `${this.prefix}:${identifier}`;
    let members: string[] | undefined;
    if (this.denyList !== undefined) {
      members = membersOf(identifier, options);
      const denied = this.denyList.deniedLocally(members, now);
      if (denied !== undefined) return Promise.resolve(deniedResult(denied));
      if (!this.denyList.shared) members = undefined;
    }
    if (this.cache !== undefined && rate > 0) {
      const until = this.cache.blockedUntil(key, now);
      if (until !== 0) {
        return Promise.resolve({
          success: false,
          limit: this.limiter.tokens,
          remaining: 0,
          reset: until,
          pending: DONE,
          reason: 'cacheBlock',
        });
      }
    }
    const work = this.check(key, rate, now, members);
    return this.timeout === 0 ? work.catch((error) => this.failed('error', error)) : this.race(work);
  }

  private async check(
    key: string,
    rate: number,
    now: number,
    members: string[] | undefined,
  ): Promise<LimitResult> {
    const checked = this.limiter.limit(this.ctx, key, rate, now);
    // Issued after the limit check was queued: the client's auto-pipelining sends both in one request.
    const denial = members === undefined ? undefined : this.denyList!.deniedShared(this.redis, members);
    // If the limit check fails first, the deny-list answer is never awaited: keep its failure handled.
    denial?.catch(ignore);
    const outcome = await checked;
    const cache = this.cache;
    if (cache !== undefined) {
      if (!outcome.success && outcome.remaining === 0) cache.block(key, outcome.reset, now);
      else if (rate < 0) cache.unblock(key);
    }
    const result: LimitResult = {
      success: outcome.success,
      limit: outcome.limit,
      remaining: outcome.remaining,
      reset: outcome.reset,
      pending: outcome.pending ?? DONE,
    };
    if (denial !== undefined) {
      const denied = await denial;
      if (denied !== undefined) return { ...deniedResult(denied), pending: result.pending };
    }
    return result;
  }

  private race(work: Promise<LimitResult>): Promise<LimitResult> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        resolve(
          this.failed(
            'timeout',
            new Error(`[restash/ratelimit] no answer from Redis within ${this.timeout} ms`),
            work,
          ),
        );
      }, this.timeout);
      work.then(
        (result) => {
          clearTimeout(timer);
          resolve(result);
        },
        (error: unknown) => {
          clearTimeout(timer);
          if (error instanceof RatelimitError) reject(error);
          else resolve(this.failed('error', error));
        },
      );
    });
  }

  /** The answer by `failMode`. Bad input (a `RatelimitError`) is never turned into one. */
  private failed(reason: 'timeout' | 'error', error: unknown, late?: Promise<unknown>): LimitResult {
    if (error instanceof RatelimitError) throw error;
    return {
      success: this.failOpen,
      limit: this.limiter.tokens,
      remaining: 0,
      reset: 0,
      pending: late === undefined ? DONE : late.then(ignore, ignore),
      reason,
      error,
    };
  }

  /**
   * Waits until `identifier` may go ahead (consuming a token then), or until
   * `timeout` ms have passed, whichever is first; resolves with the last
   * answer, so check `success`.
   *
   * @example
   * const { success } = await ratelimit.blockUntilReady('queue-worker', 30_000);
   */
  async blockUntilReady(identifier: string, timeout: number, options?: LimitOptions): Promise<LimitResult> {
    checkIdentifier(identifier, 'blockUntilReady');
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
      throw new RatelimitError(
        'invalid-argument',
        `blockUntilReady: timeout must be a positive number of ms, got ${String(timeout)}`,
      );
    }
    const deadline = Date.now() + timeout;
    for (;;) {
      const result = await this.limit(identifier, options);
      const now = Date.now();
      if (result.success || result.reason === 'denyList' || now >= deadline) return result;
      // Timeouts and errors have no reset: try again shortly.
      const wake = result.reset > now ? Math.min(result.reset, deadline) : Math.min(now + 100, deadline);
      await new Promise((resolve) => setTimeout(resolve, wake - now));
    }
  }

  /**
   * Tokens left for `identifier` without consuming any, with the reset time
   * and the limit that applies.
   *
   * @example
   * const { remaining, reset, limit } = await ratelimit.getRemaining(userId);
   */
  async getRemaining(identifier: string): Promise<RemainingResult> {
    checkIdentifier(identifier, 'getRemaining');
    return this.limiter.getRemaining(this.ctx, `${this.prefix}:${identifier}`, Date.now());
  }

  /**
   * Forgets every token `identifier` used, in Redis and in this process's
   * cache. Deletes only the keys of this identifier (never a pattern match).
   *
   * @example
   * await ratelimit.resetUsedTokens(userId);
   */
  async resetUsedTokens(identifier: string): Promise<void> {
    checkIdentifier(identifier, 'resetUsedTokens');
    const key = `${this.prefix}:${identifier}`;
    this.cache?.unblock(key);
    await this.limiter.resetTokens(this.ctx, key, Date.now());
  }

  /**
   * Sets the global limit that overrides the algorithm's for every identifier
   * (`dynamicLimits: true`), or removes it with `false`. Shared with every
   * instance, of this library or `@upstash/ratelimit`, using the same prefix.
   *
   * @example
   * await ratelimit.setDynamicLimit({ limit: 120 });
   * await ratelimit.setDynamicLimit({ limit: false });
   */
  async setDynamicLimit(options: { limit: number | false }): Promise<void> {
    const key = this.dynamicKey('setDynamicLimit');
    const limit = options?.limit;
    if (limit === false) {
      await this.redis.del(key);
      return;
    }
    if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) {
      throw new RatelimitError(
        'invalid-argument',
        `setDynamicLimit: limit must be a whole number of at least 1 or false, got ${String(limit)}`,
      );
    }
    await this.redis.set(key, limit);
  }

  /**
   * The global dynamic limit, or `null` when none is set.
   *
   * @example
   * const { dynamicLimit } = await ratelimit.getDynamicLimit();
   */
  async getDynamicLimit(): Promise<{ dynamicLimit: number | null }> {
    const value = await this.redis.get(this.dynamicKey('getDynamicLimit'));
    return { dynamicLimit: value === null || value === undefined ? null : Number(value) };
  }

  private dynamicKey(method: string): string {
    if (!this.dynamicLimitsOn) {
      throw new RatelimitError('config', `${method}: create the Ratelimit with dynamicLimits: true first`);
    }
    return this.prefix + DYNAMIC_LIMIT_SUFFIX;
  }

  /**
   * Adds values (identifiers, IPs, user agents, country codes) to the deny list
   * shared in Redis, which every instance with `denyList` checks.
   *
   * @example
   * await ratelimit.addToDenyList(['203.0.113.7', 'BadBot/1.0']);
   */
  async addToDenyList(values: string[]): Promise<number> {
    const list = checkValues(values, 'addToDenyList');
    if (list.length === 0) return 0;
    return this.redis.sadd(`${this.prefix}:denyList:all`, ...list);
  }

  /**
   * Removes values from the shared deny list (and from this process's memory of it).
   *
   * @example
   * await ratelimit.removeFromDenyList(['203.0.113.7']);
   */
  async removeFromDenyList(values: string[]): Promise<number> {
    const list = checkValues(values, 'removeFromDenyList');
    if (list.length === 0) return 0;
    this.denyList?.forget(list);
    return this.redis.srem(`${this.prefix}:denyList:all`, ...list);
  }

  /**
   * Replaces the IP part of the shared deny list with `ips`, from a feed of
   * your choosing, in one transaction; other denied values are kept. The keys
   * are `@upstash/ratelimit`'s, and the list is marked valid for `ttl` ms so
   * that its instances do not fetch their own feed meanwhile.
   *
   * @example
   * const ips = (await (await fetch(myFeedUrl)).text()).split('\n').filter(Boolean);
   * await ratelimit.setIpDenyList(ips, { ttl: 24 * 3600_000 });
   */
  async setIpDenyList(ips: string[], options: { ttl?: number } = {}): Promise<void> {
    const list = checkValues(ips, 'setIpDenyList');
    const ttl = options.ttl ?? 86_400_000;
    if (!Number.isSafeInteger(ttl) || ttl < 1) {
      throw new RatelimitError(
        'invalid-argument',
        `setIpDenyList: ttl must be a whole number of ms of at least 1, got ${String(ttl)}`,
      );
    }
    const all = `${this.prefix}:denyList:all`;
    const ipList = `${this.prefix}:denyList:ipDenyList`;
    const tx = this.redis.multi().sdiffstore(all, all, ipList).del(ipList);
    if (list.length > 0)
      tx.sadd(ipList, ...list)
        .sdiffstore(ipList, ipList, all)
        .sunionstore(all, all, ipList);
    tx.set(`${this.prefix}:ipDenyListStatus`, 'valid', { px: ttl });
    await tx.exec();
  }

  /**
   * Removes the IP part of the shared deny list and marks it disabled, so that
   * `@upstash/ratelimit` instances with `enableProtection` stop fetching theirs.
   */
  async disableIpDenyList(): Promise<void> {
    const all = `${this.prefix}:denyList:all`;
    const ipList = `${this.prefix}:denyList:ipDenyList`;
    await this.redis
      .multi()
      .sdiffstore(all, all, ipList)
      .del(ipList)
      .set(`${this.prefix}:ipDenyListStatus`, 'disabled')
      .exec();
  }
}

function ignore(): void {}

function rejectWith(check: () => void): Promise<never> {
  try {
    check();
  } catch (error) {
    return Promise.reject(error);
  }
  return Promise.reject(new RatelimitError('invalid-argument', 'bad input'));
}

function checkIdentifier(identifier: unknown, method: string): asserts identifier is string {
  if (typeof identifier !== 'string' || identifier.length === 0) {
    throw new RatelimitError(
      'invalid-argument',
      `${method}: the identifier must be a non-empty string, got ${identifier === '' ? "''" : typeof identifier}`,
    );
  }
}

function checkRate(rate: unknown): number {
  if (typeof rate !== 'number' || !Number.isSafeInteger(rate)) {
    throw new RatelimitError(
      'invalid-argument',
      `limit: rate must be a whole number (negative to refund), got ${String(rate)}`,
    );
  }
  return rate;
}

function checkValues(values: unknown, method: string): string[] {
  if (!Array.isArray(values) || values.some((value) => typeof value !== 'string' || value.length === 0)) {
    throw new RatelimitError('invalid-argument', `${method}: pass an array of non-empty strings`);
  }
  return values as string[];
}

function membersOf(identifier: string, options: LimitOptions | undefined): string[] {
  const members = [identifier];
  if (options?.ip) members.push(options.ip);
  if (options?.userAgent) members.push(options.userAgent);
  if (options?.country) members.push(options.country);
  return members;
}

function deniedResult(deniedValue: string): LimitResult {
  return { success: false, limit: 0, remaining: 0, reset: 0, pending: DONE, reason: 'denyList', deniedValue };
}
