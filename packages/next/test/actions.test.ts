import { Ratelimit } from '@restash/ratelimit';
import { prefix, useStack } from '@restash/test-harness';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createActionKit, type Limiter } from '../src/actions.js';
import { createUseCacheHandler } from '../src/cache-handler.js';
import { RestashNextError } from '../src/errors.js';

// As next-safe-action tests its actions: the action runs as a plain function, Next's request APIs are mocked.
const requestHeaders = vi.hoisted(() => ({ current: new Headers() }));
const nextCache = vi.hoisted(() => ({ updateTag: vi.fn(), revalidateTag: vi.fn() }));
const nextServer = vi.hoisted(() => ({ after: vi.fn() }));
vi.mock('next/headers.js', () => ({ headers: async () => requestHeaders.current }));
vi.mock('next/cache.js', () => nextCache);
vi.mock('next/server.js', () => nextServer);

const stack = useStack();

beforeEach(() => {
  requestHeaders.current = new Headers({ 'x-forwarded-for': '203.0.113.7' });
  nextCache.updateTag.mockReset();
  nextCache.revalidateTag.mockReset();
  nextServer.after.mockReset();
});

/** A fixed-window limiter on the same server, enough to drive the kit (any `limit(id)` fits). */
function fixedWindow(max: number, keyPrefix = prefix()): Limiter & { seen: string[] } {
  const redis = stack.client();
  const seen: string[] = [];
  return {
    seen,
    async limit(id) {
      seen.push(id);
      const count = await redis.incr(`${keyPrefix}${id}`);
      if (count === 1) await redis.expire(`${keyPrefix}${id}`, 60);
      return {
        success: count <= max,
        limit: max,
        remaining: Math.max(0, max - count),
        reset: Date.now() + 60_000,
        pending: Promise.resolve('analytics'),
      };
    },
  };
}

const kitOf = (options: Partial<Parameters<typeof createActionKit>[0]> = {}) =>
  createActionKit({ redis: stack.client(), prefix: prefix(), ...options });

describe('kit.rateLimit', () => {
  it('runs the action up to the limit, then returns RATE_LIMITED with a retry time instead of throwing', async () => {
    const kit = kitOf();
    const action = vi.fn(async (text: string) => ({ ok: true as const, text }));
    const limited = kit.rateLimit(action, { limiter: fixedWindow(3) });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await limited(`hi ${i}`));
    expect(results.slice(0, 3)).toEqual([0, 1, 2].map((i) => ({ ok: true, text: `hi ${i}` })));
    expect(results[3]).toMatchObject({ ok: false, code: 'RATE_LIMITED', limit: 3, remaining: 0 });
    const retry = (results[4] as { retryAfterMs: number }).retryAfterMs;
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60_000);
    expect(action).toHaveBeenCalledTimes(3);
    expect(JSON.parse(JSON.stringify(results[4]))).toEqual(results[4]);
  });

  it("counts callers by the client's address under the trusted-proxy rule, and hands pending work to after()", async () => {
    const limiter = fixedWindow(1);
    const limited = kitOf({ trustedProxies: 2 }).rateLimit(async () => 'ran', { limiter });
    requestHeaders.current = new Headers({ 'x-forwarded-for': 'forged, 198.51.100.1, 10.0.0.1' });
    expect(await limited()).toBe('ran');
    requestHeaders.current = new Headers({ 'x-forwarded-for': 'other-forgery, 198.51.100.1, 10.0.0.1' });
    expect(await limited()).toMatchObject({ code: 'RATE_LIMITED' });
    requestHeaders.current = new Headers({ 'x-forwarded-for': '198.51.100.2, 10.0.0.1' });
    expect(await limited()).toBe('ran');
    expect(limiter.seen).toEqual(['198.51.100.1', '198.51.100.1', '198.51.100.2']);
    expect(nextServer.after).toHaveBeenCalledTimes(3);
    expect(await nextServer.after.mock.calls[0]![0]).toBe('analytics');
  });

  it('takes @restash/ratelimit as its limiter, sharing the budget between two instances', async () => {
    const limiterPrefix = prefix();
    const limiterOf = () =>
      new Ratelimit({
        redis: stack.client(),
        limiter: Ratelimit.slidingWindow(2, '60 s'),
        prefix: limiterPrefix,
      });
    const a = kitOf().rateLimit(async () => 'a', { limiter: limiterOf() });
    const b = kitOf().rateLimit(async () => 'b', { limiter: limiterOf() });
    expect([await a(), await b()]).toEqual(['a', 'b']);
    const third = await a();
    expect(third).toMatchObject({ ok: false, code: 'RATE_LIMITED', limit: 2, remaining: 0 });
    expect((third as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
  });

  it('uses a key from the arguments when given one', async () => {
    const limiter = fixedWindow(1);
    const limited = kitOf().rateLimit(async (user: string) => user, {
      limiter,
      key: (user) => `user:${user}`,
    });
    expect(await limited('ann')).toBe('ann');
    expect(await limited('bob')).toBe('bob');
    expect(await limited('ann')).toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('fails closed by default and open when asked, when the limiter throws', async () => {
    const broken: Limiter = { limit: async () => Promise.reject(new Error('server down')) };
    const kit = kitOf();
    expect(await kit.rateLimit(async () => 'ran', { limiter: broken })()).toEqual({
      ok: false,
      code: 'RATE_LIMITED',
      retryAfterMs: 1000,
      limit: 0,
      remaining: 0,
    });
    expect(await kit.rateLimit(async () => 'ran', { limiter: broken, failMode: 'open' })()).toBe('ran');
  });
});

describe('kit.idempotent', () => {
  it('runs the first call once; concurrent duplicates and later ones get its stored result', async () => {
    const kit = kitOf();
    let orders = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const placeOrder = kit.idempotent(
      async (key: string, item: string) => {
        await gate;
        orders++;
        return { ok: true as const, order: orders, item, key };
      },
      { key: (key) => key, ttl: 60 },
    );
    const clicks = Array.from({ length: 5 }, () => placeOrder('k-1', 'book'));
    release();
    const results = await Promise.all(clicks);
    expect(orders).toBe(1);
    for (const result of results) expect(result).toEqual({ ok: true, order: 1, item: 'book', key: 'k-1' });
    expect(await placeOrder('k-1', 'book')).toEqual({ ok: true, order: 1, item: 'book', key: 'k-1' });
    expect(await placeOrder('k-2', 'book')).toEqual({ ok: true, order: 2, item: 'book', key: 'k-2' });
  });

  it('replays across two kits (two instances) sharing the server, undefined results included', async () => {
    const keyPrefix = prefix();
    const a = createActionKit({ redis: stack.client(), prefix: keyPrefix });
    const b = createActionKit({
      redis: stack.client({ automaticDeserialization: false }),
      prefix: keyPrefix,
    });
    let runs = 0;
    const body = async () => {
      runs++;
      return undefined;
    };
    expect(await a.idempotent(body, { key: () => 'same', ttl: 60 })()).toBeUndefined();
    expect(await b.idempotent(body, { key: () => 'same', ttl: 60 })()).toBeUndefined();
    expect(runs).toBe(1);
  });

  it('lets a later call run again when the first one threw', async () => {
    const kit = kitOf();
    let calls = 0;
    const flaky = kit.idempotent(
      async () => {
        calls++;
        if (calls === 1) throw new Error('payment failed');
        return 'paid';
      },
      { key: () => 'pay-1', ttl: 60 },
    );
    await expect(flaky()).rejects.toThrow('payment failed');
    expect(await flaky()).toBe('paid');
    expect(await flaky()).toBe('paid');
    expect(calls).toBe(2);
  });

  it("rejects a duplicate while the first call runs when inFlight is 'reject'", async () => {
    const kit = kitOf();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = kit.idempotent(
      async () => {
        await gate;
        return 'done';
      },
      { key: () => 'slow', ttl: 60, inFlight: 'reject' },
    );
    const first = slow();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const duplicate = await slow().catch((error: unknown) => error);
    expect(duplicate).toBeInstanceOf(RestashNextError);
    expect(duplicate).toMatchObject({ code: 'in-flight' });
    release();
    expect(await first).toBe('done');
  });

  it('refuses a result that cannot be stored as JSON', async () => {
    const kit = kitOf();
    const bad = kit.idempotent(async () => ({ n: 1n }), { key: () => 'bigint', ttl: 60 });
    await expect(bad()).rejects.toMatchObject({ code: 'invalid-argument' });
  });
});

describe('kit.cached and kit.invalidate', () => {
  it("keeps results by key, drops them by tag and calls Next's updateTag for the same tags", async () => {
    const kit = kitOf();
    let computed = 0;
    const listPosts = kit.cached(
      async (author: string) => {
        computed++;
        return { author, posts: [`post ${computed}`] };
      },
      { key: (author) => `posts:${author}`, ttl: 60, tags: (author) => ['posts', `author:${author}`] },
    );
    expect(await listPosts('ann')).toEqual({ author: 'ann', posts: ['post 1'] });
    expect(await listPosts('ann')).toEqual({ author: 'ann', posts: ['post 1'] });
    expect(await listPosts('bob')).toEqual({ author: 'bob', posts: ['post 2'] });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await kit.invalidate(['author:ann']);
    expect(nextCache.updateTag).toHaveBeenCalledWith('author:ann');
    expect(await listPosts('ann')).toEqual({ author: 'ann', posts: ['post 3'] });
    expect(await listPosts('bob')).toEqual({ author: 'bob', posts: ['post 2'] });
    expect(computed).toBe(3);
  });

  it("uses revalidateTag(tag, 'max') in revalidate mode", async () => {
    const kit = kitOf();
    await kit.invalidate(['a', 'b'], 'revalidate');
    expect(nextCache.revalidateTag.mock.calls).toEqual([
      ['a', 'max'],
      ['b', 'max'],
    ]);
    expect(nextCache.updateTag).not.toHaveBeenCalled();
  });

  it("shares one tag system with the 'use cache' handler: a tag updated through Next drops cached() results", async () => {
    const keyPrefix = prefix();
    const kit = createActionKit({ redis: stack.client(), prefix: keyPrefix });
    const handler = createUseCacheHandler({ redis: stack.client(), keyPrefix });
    let computed = 0;
    const count = kit.cached(async () => ++computed, { key: () => 'n', ttl: 60, tags: () => ['counter'] });
    expect(await count()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    // What Next does for updateTag('counter') when this handler is configured.
    await handler.updateTags(['counter']);
    expect(await count()).toBe(2);
  });
});

describe('kit.lock', () => {
  it('runs one holder at a time across instances and frees the lock after an error', async () => {
    const keyPrefix = prefix();
    const a = createActionKit({ redis: stack.client(), prefix: keyPrefix });
    const b = createActionKit({ redis: stack.client(), prefix: keyPrefix });
    const log: string[] = [];
    const work = (name: string) => async () => {
      log.push(`${name} in`);
      await new Promise((resolve) => setTimeout(resolve, 30));
      log.push(`${name} out`);
      return name;
    };
    expect(await Promise.all([a.lock('report', work('a')), b.lock('report', work('b'))])).toEqual(['a', 'b']);
    expect(
      [log.slice(0, 2), log.slice(2)].map((pair) => pair[0]!.split(' ')[0] === pair[1]!.split(' ')[0]),
    ).toEqual([true, true]);
    await expect(a.lock('report', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await b.lock('report', async () => 'free again')).toBe('free again');
  });

  it("throws 'locked' when the lock stays held past the retries", async () => {
    const kit = kitOf();
    let release!: () => void;
    const held = kit.lock('busy', () => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const failure = await kit
      .lock('busy', async () => 'never', { retry: { attempts: 2, delayMs: 10 } })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({
      code: 'locked',
      message: '[restash/next] lock busy is held elsewhere (tried 2 times)',
    });
    release();
    await held;
  });
});
