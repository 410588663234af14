import { prefix, useStack } from '@restash/test-harness';
import { createSafeActionClient } from 'next-safe-action';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createActionKit, type Limiter } from '../src/actions.js';
import { idempotencyMiddleware, rateLimitMiddleware } from '../src/safe-action.js';

const requestHeaders = vi.hoisted(() => ({ current: new Headers() }));
vi.mock('next/headers.js', () => ({ headers: async () => requestHeaders.current }));
vi.mock('next/cache.js', () => ({ updateTag: vi.fn(), revalidateTag: vi.fn() }));
vi.mock('next/server.js', () => ({ after: vi.fn() }));

const stack = useStack();

/** A Standard Schema that accepts `{ key: string }`, enough for next-safe-action's `inputSchema`. */
const orderInput = {
  '~standard': {
    version: 1 as const,
    vendor: 'test',
    validate: (value: unknown) =>
      typeof (value as { key?: unknown })?.key === 'string'
        ? { value: value as { key: string } }
        : { issues: [{ message: 'key is required' }] },
    types: undefined as unknown as { input: { key: string }; output: { key: string } },
  },
};

beforeEach(() => {
  requestHeaders.current = new Headers({ 'x-forwarded-for': '203.0.113.7' });
});

function counter(max: number): Limiter {
  const redis = stack.client();
  const keyPrefix = prefix();
  return {
    async limit(id) {
      const count = await redis.incr(`${keyPrefix}${id}`);
      return {
        success: count <= max,
        limit: max,
        remaining: Math.max(0, max - count),
        reset: Date.now() + 10_000,
      };
    },
  };
}

describe('next-safe-action middlewares', () => {
  it('returns a RATE_LIMITED serverError past the limit and does not run the action', async () => {
    const kit = createActionKit({ redis: stack.client(), prefix: prefix() });
    const ran = vi.fn();
    const action = createSafeActionClient({ handleServerError: () => 'masked' })
      .use(rateLimitMiddleware(kit, { limiter: counter(2) }))
      .action(async () => {
        ran();
        return { saved: true };
      });
    expect(await action()).toEqual({ data: { saved: true } });
    expect(await action()).toEqual({ data: { saved: true } });
    const third = await action();
    expect(third.data).toBeUndefined();
    expect(third.serverError).toMatchObject({ ok: false, code: 'RATE_LIMITED', limit: 2, remaining: 0 });
    expect(ran).toHaveBeenCalledTimes(2);
  });

  it('counts by the key it is given, e.g. per action name from metadata', async () => {
    const kit = createActionKit({ redis: stack.client(), prefix: prefix() });
    const limiter = counter(1);
    const client = createSafeActionClient().use(
      rateLimitMiddleware(kit, {
        limiter,
        key: ({ metadata }) => String((metadata as { name: string }).name),
      }),
    );
    const a = client.metadata({ name: 'a' } as never).action(async () => 'a');
    const b = client.metadata({ name: 'b' } as never).action(async () => 'b');
    expect(await a()).toEqual({ data: 'a' });
    expect(await b()).toEqual({ data: 'b' });
    expect((await a()).serverError).toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('runs an action once per idempotency key; concurrent duplicates get a DUPLICATE serverError with its data', async () => {
    const kit = createActionKit({ redis: stack.client(), prefix: prefix() });
    let orders = 0;
    const placeOrder = createSafeActionClient()
      .use(
        idempotencyMiddleware(kit, {
          key: ({ clientInput }) => (clientInput as { key: string }).key,
          ttl: 60,
        }),
      )
      .inputSchema(orderInput)
      .action(async ({ parsedInput }) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        orders++;
        return { order: orders, key: parsedInput.key };
      });
    const results = await Promise.all([
      placeOrder({ key: 'o-1' }),
      placeOrder({ key: 'o-1' }),
      placeOrder({ key: 'o-1' }),
    ]);
    expect(orders).toBe(1);
    expect(results.filter((r) => r.data)).toEqual([{ data: { order: 1, key: 'o-1' } }]);
    expect(results.filter((r) => r.serverError).map((r) => r.serverError)).toEqual([
      { ok: false, code: 'DUPLICATE', data: { order: 1, key: 'o-1' } },
      { ok: false, code: 'DUPLICATE', data: { order: 1, key: 'o-1' } },
    ]);
    expect(await placeOrder({ key: 'o-2' })).toEqual({ data: { order: 2, key: 'o-2' } });
  });
});
