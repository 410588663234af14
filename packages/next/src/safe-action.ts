/**
 * next-safe-action middlewares backed by the action kit.
 *
 * @example
 * ```ts
 * import { createSafeActionClient } from 'next-safe-action';
 * import { rateLimitMiddleware, idempotencyMiddleware } from '@restash/next/safe-action';
 *
 * export const action = createSafeActionClient()
 *   .use(rateLimitMiddleware(kit, { limiter }))
 *   .use(idempotencyMiddleware(kit, { key: ({ clientInput }) => (clientInput as { key: string }).key, ttl: 3600 }));
 * ```
 */
import { createMiddleware, returnServerError } from 'next-safe-action';
import type { ActionKit, Limiter, RateLimited } from './actions.js';

/** What a middleware key function is given: the call as next-safe-action sees it before validation. */
export interface MiddlewareCall {
  clientInput: unknown;
  bindArgsClientInputs: unknown[];
  ctx: object;
  metadata: unknown;
}

/** A duplicate call's `serverError`: the first call's data, which this call did not run again to get. */
export interface Duplicate {
  ok: false;
  code: 'DUPLICATE';
  /** The first call's `data` (`undefined` if it had none). */
  data: unknown;
}

/** Options of {@link rateLimitMiddleware}. */
export interface RateLimitMiddlewareOptions {
  /** The limiter; `metadata` can tell actions apart in `key`. */
  limiter: Limiter;
  /** Whom to count. @default the kit's `identify()` (client address) */
  key?: (call: MiddlewareCall) => string | Promise<string>;
  /** See `RateLimitOptions.failMode`. @default 'closed' */
  failMode?: 'open' | 'closed';
}

/** Options of {@link idempotencyMiddleware}. */
export interface IdempotencyMiddlewareOptions {
  /** The idempotency key of a call (e.g. a key the form generated once). */
  key: (call: MiddlewareCall) => string | Promise<string>;
  /** How long the first call's outcome is kept, in seconds. */
  ttl: number;
  /** See `IdempotentOptions.inFlight`. @default 'wait' */
  inFlight?: 'wait' | 'reject';
}

const isRateLimited = (value: unknown): value is RateLimited =>
  typeof value === 'object' && value !== null && (value as RateLimited).code === 'RATE_LIMITED';

/**
 * A next-safe-action middleware that stops callers past the limit: the action
 * does not run and its result is `{ serverError: { ok: false, code: 'RATE_LIMITED', retryAfterMs, … } }`
 * (set with `returnServerError`, so `handleServerError` does not mask it).
 *
 * @example
 * ```ts
 * createSafeActionClient().use(rateLimitMiddleware(kit, { limiter, key: ({ metadata }) => `signup` }));
 * ```
 */
export function rateLimitMiddleware(kit: ActionKit, options: RateLimitMiddlewareOptions) {
  return createMiddleware().define(async ({ next, clientInput, bindArgsClientInputs, ctx, metadata }) => {
    const call = { clientInput, bindArgsClientInputs, ctx, metadata };
    const { key } = options;
    const guarded = kit.rateLimit(async () => next(), {
      limiter: options.limiter,
      key: key ? () => key(call) : undefined,
      failMode: options.failMode,
    });
    const result = await guarded();
    if (isRateLimited(result)) returnServerError(result);
    return result as Awaited<ReturnType<typeof next>>;
  });
}

/**
 * A next-safe-action middleware that runs an action once per idempotency key:
 * concurrent and later duplicates do not run it, and get
 * `{ serverError: { ok: false, code: 'DUPLICATE', data } }` with the first call's data.
 * (To have duplicates get the very same result as `data`, wrap the built
 * action with `kit.idempotent` instead.)
 *
 * @example
 * ```ts
 * createSafeActionClient().use(idempotencyMiddleware(kit, { key: ({ clientInput }) => String(clientInput), ttl: 600 }));
 * ```
 */
export function idempotencyMiddleware(kit: ActionKit, options: IdempotencyMiddlewareOptions) {
  return createMiddleware().define(async ({ next, clientInput, bindArgsClientInputs, ctx, metadata }) => {
    const call = { clientInput, bindArgsClientInputs, ctx, metadata };
    let result: Awaited<ReturnType<typeof next>> | undefined;
    const once = kit.idempotent(
      async () => {
        result = await next();
        return { data: result.data as unknown };
      },
      { key: () => options.key(call), ttl: options.ttl, inFlight: options.inFlight },
    );
    const first = await once();
    if (result) return result;
    const duplicate: Duplicate = { ok: false, code: 'DUPLICATE', data: first.data };
    return returnServerError(duplicate);
  });
}
