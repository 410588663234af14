import type { Redis } from '@restash/core';
import { revalidateTag, updateTag } from 'next/cache.js';
import { headers } from 'next/headers.js';
import { after } from 'next/server.js';
import { warnOnce } from './env.js';
import { positive, RestashNextError } from './errors.js';
import { type ClientIpOptions, clientIp } from './identity.js';
import { type TagClient, TagStore } from './tags.js';

/** The slice of `@restash/core`'s client the kit uses (either deserialization mode works). */
export type ActionKitClient = Pick<Redis, 'get' | 'set' | 'eval'> & TagClient;

/** What a rate limiter answers; `@restash/ratelimit` and `@upstash/ratelimit` both fit. */
export interface LimitResult {
  success: boolean;
  /** The most requests allowed in the window. */
  limit: number;
  /** Requests left in the window. */
  remaining: number;
  /** When the window resets, in ms since the epoch. */
  reset: number;
  /** Work the limiter finishes in the background (analytics, sync); handed to Next's `after()`. */
  pending?: Promise<unknown>;
}

/** Any rate limiter with a `limit(identifier)` method, e.g. `new Ratelimit({ redis, limiter, prefix })`. */
export interface Limiter {
  limit(identifier: string): Promise<LimitResult>;
}

/** What a rate-limited action returns instead of running: serializable, so it crosses the action boundary. */
export interface RateLimited {
  ok: false;
  code: 'RATE_LIMITED';
  /** How long until a retry may succeed. */
  retryAfterMs: number;
  limit: number;
  remaining: number;
}

// biome-ignore lint/suspicious/noExplicitAny: any action's arguments, as Parameters<> needs.
type AnyAction = (...args: any[]) => Promise<unknown>;
type Args<TAction extends AnyAction> = Parameters<TAction>;
type KeyOf<TAction extends AnyAction, T> = (...args: Args<TAction>) => T | Promise<T>;

/** Options of {@link createActionKit}. */
export interface ActionKitOptions extends ClientIpOptions {
  /** A `@restash/core` client. */
  redis: ActionKitClient;
  /**
   * Prefix of the kit's keys (`<prefix>kit:*`) and of the tags manifest
   * (`<prefix>tags:*`) it shares with the cache handlers: keep it equal to
   * their `keyPrefix` so there is one tag system.
   * @default 'next:'
   */
  prefix?: string;
  /** Who is calling, from the request headers. @default clientIp(headers, { trustedProxies, ipHeader }) */
  identify?: (headers: Headers) => string | Promise<string>;
  /** Where background work goes. @default Next's `after()` */
  waitUntil?: (work: Promise<unknown>) => void;
}

/** Options of {@link ActionKit.rateLimit}. */
export interface RateLimitOptions<TAction extends AnyAction> {
  /** The limiter; give each action its own (its own prefix) unless they share a budget. */
  limiter: Limiter;
  /** Whom to count. @default the client's identity (`identify`) */
  key?: KeyOf<TAction, string>;
  /**
   * When the limiter itself fails (server down): `'closed'` answers
   * `RATE_LIMITED` (retry in a second), `'open'` runs the action.
   * @default 'closed'
   */
  failMode?: 'open' | 'closed';
}

/** Options of {@link ActionKit.idempotent}. */
export interface IdempotentOptions<TAction extends AnyAction> {
  /** The idempotency key of a call, e.g. a key the form generated once. */
  key: KeyOf<TAction, string>;
  /** How long the first call's result is kept and replayed, in seconds. */
  ttl: number;
  /** While the first call runs, a duplicate waits for its result (`'wait'`) or throws `in-flight` (`'reject'`). @default 'wait' */
  inFlight?: 'wait' | 'reject';
  /** The longest a first call may take, in ms; past it a duplicate may run again. @default 60000 */
  leaseMs?: number;
}

/** Options of {@link ActionKit.cached}. */
export interface CachedOptions<TFn extends AnyAction> {
  /** The cache key of a call. */
  key: KeyOf<TFn, string>;
  /** How long a result is kept, in seconds. */
  ttl: number;
  /** Tags of a call's result; `invalidate(tags)`, `updateTag` and `revalidateTag` drop it. */
  tags?: KeyOf<TFn, string[]>;
}

/** Options of {@link ActionKit.lock}. */
export interface LockOptions {
  /** How long the lock is held at most, in ms (a crashed holder frees it then). @default 10000 */
  leaseMs?: number;
  /** Tries to take a held lock, `delayMs` apart. @default { attempts: 50, delayMs: 100 } */
  retry?: { attempts?: number; delayMs?: number };
}

/** The helpers {@link createActionKit} returns. */
export interface ActionKit {
  /** The caller's identity for this request (the `identify` option). */
  identify(): Promise<string>;
  /** Wraps an action: past the limit it returns {@link RateLimited} instead of running. */
  rateLimit<TAction extends AnyAction>(
    action: TAction,
    options: RateLimitOptions<TAction>,
  ): (...args: Args<TAction>) => Promise<Awaited<ReturnType<TAction>> | RateLimited>;
  /** Wraps an action: the first call with a key runs; concurrent and later duplicates get its stored result. */
  idempotent<TAction extends AnyAction>(action: TAction, options: IdempotentOptions<TAction>): TAction;
  /** Wraps a server-side function: results are kept on the server by key and dropped by tag. */
  cached<TFn extends AnyAction>(fn: TFn, options: CachedOptions<TFn>): TFn;
  /**
   * Invalidates tags everywhere: the kit's `cached` results, and Next's caches
   * through `updateTag` (`'update'`, server actions only: the next read waits
   * for fresh data) or `revalidateTag(tag, 'max')` (`'revalidate'`: stale
   * while revalidating).
   */
  invalidate(tags: string[], mode?: 'update' | 'revalidate'): Promise<void>;
  /** Runs `fn` while holding a lock named `id` across every instance. */
  lock<T>(id: string, fn: () => Promise<T>, options?: LockOptions): Promise<T>;
}

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** Our own records come back as text (raw mode) or parsed (default mode): accept both. */
function record<T>(value: unknown): T | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') {
    try {
      return JSON.parse(value) as T;
    } catch {
      return undefined;
    }
  }
  return value as T;
}

/** A stored result: `{ r: value }`, or `{ u: true }` for `undefined` (which JSON cannot hold), plus `extra` fields. */
function serialize(value: unknown, what: string, extra: Record<string, unknown> = {}): string {
  try {
    return JSON.stringify(value === undefined ? { ...extra, u: true } : { ...extra, r: value });
  } catch (error) {
    throw new RestashNextError('invalid-argument', `${what} must be JSON-serializable`, { cause: error });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Server-action helpers on Restash: rate limiting, idempotency, a tagged data
 * cache wired to Next's own tag invalidation, and a distributed lock. Results
 * meant for the client are serializable values, never thrown errors.
 *
 * @example
 * ```ts
 * // app/actions.ts
 * 'use server';
 * import { Redis } from '@restash/core';
 * import { Ratelimit } from '@restash/ratelimit';
 * import { createActionKit } from '@restash/next';
 *
 * const redis = Redis.fromEnv();
 * const kit = createActionKit({ redis });
 * const limiter = new Ratelimit({ redis, limiter: Ratelimit.slidingWindow(5, '10 s'), prefix: 'rl:comment' });
 *
 * export const postComment = kit.rateLimit(async (text: string) => ({ ok: true as const, text }), { limiter });
 * ```
 */
export function createActionKit(options: ActionKitOptions): ActionKit {
  const { redis } = options;
  const prefix = options.prefix ?? 'next:';
  const tags = new TagStore(redis, prefix);
  const identifyHeaders = options.identify ?? ((h: Headers) => clientIp(h, options));
  const waitUntil =
    options.waitUntil ??
    ((work: Promise<unknown>) => {
      try {
        after(work);
      } catch {
        // Outside a request (a script, a test): nothing to hand it to, but never an unhandled rejection.
        work.catch(() => {});
      }
    });

  const identify = async () => identifyHeaders(await headers());

  async function take(key: string, value: string, leaseMs: number): Promise<boolean> {
    return (await redis.set(key, value, { nx: true, px: leaseMs })) !== null;
  }

  async function release(key: string, value: string): Promise<void> {
    try {
      await redis.eval(RELEASE, [key], [value]);
    } catch (error) {
      // The lease frees it anyway; say so rather than fail the caller's result.
      warnOnce('could not release a lock or idempotency marker; it frees itself when its lease ends', error);
    }
  }

  const kit: ActionKit = {
    identify,

    rateLimit<TAction extends AnyAction>(action: TAction, spec: RateLimitOptions<TAction>) {
      if (typeof spec?.limiter?.limit !== 'function') {
        throw new RestashNextError('config', 'rateLimit: limiter must have a limit(identifier) method');
      }
      type Result = Awaited<ReturnType<TAction>>;
      return async (...args: Args<TAction>): Promise<Result | RateLimited> => {
        const id = spec.key ? await spec.key(...args) : await identify();
        let result: LimitResult;
        try {
          result = await spec.limiter.limit(id);
        } catch (error) {
          warnOnce('the rate limiter failed', error);
          if (spec.failMode === 'open') return (await action(...args)) as Result;
          return { ok: false, code: 'RATE_LIMITED', retryAfterMs: 1000, limit: 0, remaining: 0 };
        }
        if (result.pending) waitUntil(result.pending);
        if (!result.success) {
          return {
            ok: false,
            code: 'RATE_LIMITED',
            retryAfterMs: Math.max(0, result.reset - Date.now()),
            limit: result.limit,
            remaining: result.remaining,
          };
        }
        return (await action(...args)) as Result;
      };
    },

    idempotent(action, spec) {
      positive(spec.ttl, 'idempotent: ttl (seconds)');
      const leaseMs = positive(spec.leaseMs ?? 60_000, 'idempotent: leaseMs');
      const wrapped = async (...args: Args<typeof action>) => {
        const key = `${prefix}kit:idem:${await spec.key(...args)}`;
        const marker = JSON.stringify({ running: crypto.randomUUID() });
        const deadline = Date.now() + leaseMs;
        for (let attempt = 0; ; attempt++) {
          let mine: boolean;
          try {
            mine = await take(key, marker, leaseMs);
          } catch (error) {
            // Running without the marker could run the action twice (two orders): refuse instead.
            throw new RestashNextError('unavailable', 'idempotent: the server is unreachable', {
              cause: error,
            });
          }
          if (mine) {
            let result: unknown;
            try {
              result = await action(...args);
            } catch (error) {
              await release(key, marker);
              throw error;
            }
            const text = serialize(result, 'an idempotent action result');
            try {
              await redis.set(key, text, { px: spec.ttl * 1000 });
            } catch (error) {
              // The action ran: its result is the answer. Duplicates within the lease still wait, then get in-flight.
              warnOnce('idempotent: could not store a result', error);
            }
            return result;
          }
          const stored = record<{ r?: unknown; u?: true; running?: string }>(await redis.get(key));
          if (stored && !stored.running) return stored.u ? undefined : stored.r;
          if (!stored) continue; // the first call failed and let go: take over
          if (spec.inFlight === 'reject' || Date.now() > deadline) {
            throw new RestashNextError(
              'in-flight',
              'idempotent: the first call with this key is still running',
            );
          }
          await sleep(Math.min(25 * 2 ** attempt, 500));
        }
      };
      return wrapped as typeof action;
    },

    cached(fn, spec) {
      positive(spec.ttl, 'cached: ttl (seconds)');
      const wrapped = async (...args: Args<typeof fn>) => {
        const key = `${prefix}kit:cache:${await spec.key(...args)}`;
        const tagList = spec.tags ? await spec.tags(...args) : [];
        try {
          const read = redis.pipeline().get(key);
          if (tagList.length > 0) {
            read
              .hmget<Record<string, string | null>>(tags.keys.expired, ...tagList)
              .hmget<Record<string, string | null>>(tags.keys.stale, ...tagList);
          }
          const [value, expired, stale] = (await read.exec()) as unknown as [
            unknown,
            Record<string, unknown> | null,
            Record<string, unknown> | null,
          ];
          const hit = record<{ r?: unknown; u?: true; at: number }>(value);
          const now = Date.now();
          const changed = (at: unknown) => at != null && Number(at) > hit!.at && Number(at) <= now;
          const fresh =
            hit && !Object.values(expired ?? {}).some(changed) && !Object.values(stale ?? {}).some(changed);
          if (fresh) return hit.u ? undefined : hit.r;
        } catch (error) {
          warnOnce('cached: the server is unreachable; computing without the cache', error);
        }
        const at = Date.now();
        const result = await fn(...args);
        const text = serialize(result, 'a cached result', { at });
        try {
          await redis.set(key, text, { ex: Math.max(1, Math.ceil(spec.ttl)) });
        } catch (error) {
          warnOnce('cached: could not store a result', error);
        }
        return result;
      };
      return wrapped as typeof fn;
    },

    async invalidate(list, mode = 'update') {
      if (list.length === 0) return;
      // 'revalidate' marks the tags stale, as Next's revalidateTag(tag, 'max') does, so pages keep serving while they refresh.
      await tags.update(list, mode === 'revalidate' ? {} : undefined);
      for (const tag of list) {
        if (mode === 'update') updateTag(tag);
        else revalidateTag(tag, 'max');
      }
    },

    async lock(id, fn, spec = {}) {
      const leaseMs = positive(spec.leaseMs ?? 10_000, 'lock: leaseMs');
      const key = `${prefix}kit:lock:${id}`;
      const token = crypto.randomUUID();
      const attempts = spec.retry?.attempts ?? 50;
      const delayMs = spec.retry?.delayMs ?? 100;
      for (let attempt = 0; attempt < attempts; attempt++) {
        let taken: boolean;
        try {
          taken = await take(key, token, leaseMs);
        } catch (error) {
          throw new RestashNextError('unavailable', `lock ${id}: the server is unreachable`, {
            cause: error,
          });
        }
        if (taken) {
          try {
            return await fn();
          } finally {
            await release(key, token);
          }
        }
        if (attempt < attempts - 1) await sleep(delayMs);
      }
      throw new RestashNextError('locked', `lock ${id} is held elsewhere (tried ${attempts} times)`);
    },
  };
  return kit;
}
