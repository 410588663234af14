import type { Redis } from '@restash/core';
import { RatelimitError } from '../errors.js';
import { ScriptRunner } from '../script-runner.js';
import type { LuaScript } from '../scripts.js';

/** What the store needs from a `@restash/core` `Redis`. */
export type StoreRedis = Pick<Redis, 'eval' | 'evalRo' | 'evalsha' | 'evalshaRo' | 'scriptLoad' | 'del'>;

/** Options of {@link RestashStore}. */
export interface RestashStoreOptions {
  /** A `@restash/core` client. */
  redis: StoreRedis;
  /**
   * Prefix of every key; the default is rate-limit-redis's, whose keys and
   * counters this store shares.
   * @default 'rl:'
   */
  prefix?: string;
  /**
   * Start the window again at every hit instead of at the first one.
   * @default false
   */
  resetExpiryOnChange?: boolean;
  /** See `RatelimitOptions.keyLocking`. @default true */
  keyLocking?: boolean;
  /** See `RatelimitOptions.batch`. @default true */
  batch?: boolean;
}

/** express-rate-limit's `ClientRateLimitInfo`. */
export interface ClientRateLimitInfo {
  totalHits: number;
  resetTime: Date | undefined;
}

const increment: LuaScript = {
  name: 'store.increment',
  body: `
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 or ARGV[2] == '1' then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {hits, ttl}
`,
};

const read: LuaScript = {
  name: 'store.get',
  body: `
local hits = redis.call('GET', KEYS[1])
if not hits then return {} end
return {tonumber(hits), redis.call('PTTL', KEYS[1])}
`,
};

const decrement: LuaScript = {
  name: 'store.decrement',
  body: `
if redis.call('GET', KEYS[1]) and redis.call('DECR', KEYS[1]) < 0 then
  redis.call('SET', KEYS[1], 0, 'KEEPTTL')
end
return 0
`,
};

/**
 * A store for [express-rate-limit](https://www.npmjs.com/package/express-rate-limit)
 * over the REST API: one EVALSHA per request (INCR + window expiry), batched by
 * the client's auto-pipelining. Its keys and counters are those of
 * rate-limit-redis, so both can share limits.
 *
 * @example
 * ```ts
 * import { rateLimit } from 'express-rate-limit';
 * import { RestashStore } from '@restash/ratelimit/express-rate-limit';
 *
 * app.use(rateLimit({ windowMs: 60_000, limit: 100, standardHeaders: 'draft-8', store: new RestashStore({ redis }) }));
 * ```
 */
export class RestashStore {
  /** Counts live in Redis, shared by every process. */
  readonly localKeys = false;
  /** The key prefix. */
  readonly prefix: string;
  private windowMs = 60_000;
  private readonly reset: '0' | '1';
  private readonly runner: ScriptRunner;

  constructor(private readonly options: RestashStoreOptions) {
    const redis = options?.redis;
    if (redis === null || typeof redis !== 'object' || typeof redis.evalsha !== 'function') {
      throw new RatelimitError('config', 'RestashStore: pass redis, a @restash/core Redis client');
    }
    this.prefix = options.prefix ?? 'rl:';
    if (typeof this.prefix !== 'string')
      throw new RatelimitError('config', 'RestashStore: prefix must be a string');
    this.reset = options.resetExpiryOnChange === true ? '1' : '0';
    this.runner = new ScriptRunner(redis, {
      keyLocking: options.keyLocking !== false,
      batch: options.batch !== false,
    });
  }

  /** Called by express-rate-limit with its options: the window comes from `windowMs`. */
  init(options: { windowMs: number }): void {
    if (!Number.isSafeInteger(options.windowMs) || options.windowMs < 1) {
      throw new RatelimitError(
        'config',
        `RestashStore: windowMs must be a whole number of ms of at least 1, got ${options.windowMs}`,
      );
    }
    this.windowMs = options.windowMs;
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const reply = (await this.runner.run(read, [this.prefix + key], [])) as number[];
    if (reply.length === 0) return undefined;
    return { totalHits: reply[0]!, resetTime: expiry(reply[1]!) };
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const [hits, ttl] = (await this.runner.run(
      increment,
      [this.prefix + key],
      [this.windowMs, this.reset],
    )) as number[];
    return { totalHits: hits!, resetTime: expiry(ttl!) };
  }

  async decrement(key: string): Promise<void> {
    await this.runner.run(decrement, [this.prefix + key], []);
  }

  async resetKey(key: string): Promise<void> {
    await this.options.redis.del(this.prefix + key);
  }
}

function expiry(ttl: number): Date | undefined {
  return ttl >= 0 ? new Date(Date.now() + ttl) : undefined;
}
