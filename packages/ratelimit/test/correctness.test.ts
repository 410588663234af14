import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from '@restash/core';
import { freePort, keys, useStack } from '@restash/test-harness';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Algorithm, Ratelimit, type RatelimitOptions } from '../src/index.js';

const stack = useStack();

/** A window start far from any edge of the real clock's windows. */
const T0 = Date.UTC(2030, 0, 1);

/**
 * A limiter on a fresh prefix. It waits for Redis however long it takes: a
 * loaded CI machine can stall for seconds, and a fail-open answer would look
 * like a wrong one. Timeouts have tests of their own below.
 */
function limiter(algorithm: Algorithm, options: Partial<RatelimitOptions> = {}) {
  return new Ratelimit({
    redis: stack.client(),
    limiter: algorithm,
    prefix: keys(stack.client()).prefix,
    timeout: 0,
    failMode: 'closed',
    ...options,
  });
}

/** A client that counts the HTTP requests it sends. */
function countingClient() {
  const counter = { requests: 0 };
  const redis = stack.client({
    fetch: (input, init) => {
      counter.requests++;
      return fetch(input, init);
    },
  });
  return { redis, counter };
}

/** A limiter on a fresh key prefix whose client counts its HTTP requests. */
function countingLimiter(options: Omit<RatelimitOptions, 'redis' | 'prefix'>) {
  const { redis, counter } = countingClient();
  const prefix = keys(redis).prefix;
  return { ratelimit: new Ratelimit({ redis, prefix, ...options }), counter };
}

async function drain(ratelimit: Ratelimit, id: string, times: number, rate?: number) {
  const results = [];
  for (let i = 0; i < times; i++) {
    const result = await ratelimit.limit(id, rate === undefined ? undefined : { rate });
    await result.pending;
    results.push(result);
  }
  return results;
}

describe('window edges (client clock set, Redis real)', () => {
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterAll(() => {
    vi.useRealTimers();
  });

  it('fixedWindow starts a fresh allowance exactly at the window boundary', async () => {
    const ratelimit = limiter(Ratelimit.fixedWindow(5, '1 m'), { ephemeralCache: false });
    vi.setSystemTime(T0);
    expect((await drain(ratelimit, 'a', 6)).map((r) => r.success)).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
    ]);
    vi.setSystemTime(T0 + 59_999);
    expect(await ratelimit.limit('a')).toMatchObject({ success: false, remaining: 0, reset: T0 + 60_000 });
    vi.setSystemTime(T0 + 60_000);
    expect(await ratelimit.limit('a')).toMatchObject({ success: true, remaining: 4, reset: T0 + 120_000 });
  });

  it('slidingWindow weighs the previous window by how much of it still overlaps', async () => {
    const ratelimit = limiter(Ratelimit.slidingWindow(10, '1 m'), { ephemeralCache: false });
    vi.setSystemTime(T0 + 1000);
    expect((await drain(ratelimit, 's', 10)).every((r) => r.success)).toBe(true);
    // Half-way into the next window, half of the previous 10 still count.
    vi.setSystemTime(T0 + 90_000);
    expect(await ratelimit.getRemaining('s')).toMatchObject({ remaining: 5, limit: 10 });
    const half = await drain(ratelimit, 's', 6);
    expect(half.map((r) => r.success)).toEqual([true, true, true, true, true, false]);
    expect(half[4]).toMatchObject({ remaining: 0, reset: T0 + 120_000 });
    // 90% into it, floor(10% of 10) = 1 still counts, plus the 5 taken.
    vi.setSystemTime(T0 + 114_000);
    expect(await ratelimit.getRemaining('s')).toMatchObject({ remaining: 4 });
  });

  it('slidingWindow(1, …) lets one request per window through', async () => {
    const ratelimit = limiter(Ratelimit.slidingWindow(1, '1 m'), { ephemeralCache: false });
    vi.setSystemTime(T0);
    expect((await drain(ratelimit, 'one', 2)).map((r) => r.success)).toEqual([true, false]);
    vi.setSystemTime(T0 + 120_000);
    expect((await ratelimit.limit('one')).success).toBe(true);
  });

  it('tokenBucket refills refillRate tokens per interval up to the bucket size', async () => {
    const ratelimit = limiter(Ratelimit.tokenBucket(2, '10 s', 5), { ephemeralCache: false });
    vi.setSystemTime(T0);
    const burst = await drain(ratelimit, 't', 6);
    expect(burst.map((r) => r.success)).toEqual([true, true, true, true, true, false]);
    expect(burst[5]).toMatchObject({ remaining: 0, reset: T0 + 10_000 });
    vi.setSystemTime(T0 + 10_000);
    expect(await ratelimit.getRemaining('t')).toMatchObject({ remaining: 2, reset: T0 + 20_000 });
    expect((await drain(ratelimit, 't', 3)).map((r) => r.success)).toEqual([true, true, false]);
    vi.setSystemTime(T0 + 1_000_000);
    expect(await ratelimit.getRemaining('t')).toMatchObject({ remaining: 5, limit: 5 });
  });

  it('the ephemeral cache answers a blocked identifier until its reset without a round trip', async () => {
    const { ratelimit, counter } = countingLimiter({
      limiter: Ratelimit.fixedWindow(2, '1 m'),
    });
    vi.setSystemTime(T0);
    await drain(ratelimit, 'c', 3);
    const sent = counter.requests;
    expect(await ratelimit.limit('c')).toMatchObject({
      success: false,
      reason: 'cacheBlock',
      reset: T0 + 60_000,
    });
    expect(counter.requests).toBe(sent);
    vi.setSystemTime(T0 + 60_000);
    expect((await ratelimit.limit('c')).success).toBe(true);
  });
});

describe.each([
  ['fixedWindow', () => Ratelimit.fixedWindow(10, '1 d')],
  ['slidingWindow', () => Ratelimit.slidingWindow(10, '1 d')],
  ['tokenBucket', () => Ratelimit.tokenBucket(10, '1 d', 10)],
  ['cachedFixedWindow', () => Ratelimit.cachedFixedWindow(10, '1 d')],
])('%s', (name, algorithm) => {
  it('takes rate tokens at once and gives them back on a negative rate', async () => {
    const ratelimit = limiter(algorithm());
    expect(await ratelimit.limit('w', { rate: 8 })).toMatchObject({ success: true, remaining: 2 });
    const refund = await ratelimit.limit('w', { rate: -3 });
    await refund.pending;
    expect(refund).toMatchObject({ success: true, remaining: 5 });
    expect((await ratelimit.getRemaining('w')).remaining).toBe(5);
  });

  it('lets a refunded token through after a rejection', async () => {
    const ratelimit = limiter(algorithm());
    await drain(ratelimit, 'f', 11);
    expect((await ratelimit.limit('f')).success).toBe(false);
    await (await ratelimit.limit('f', { rate: -1 })).pending;
    expect((await ratelimit.limit('f')).success).toBe(true);
  });

  it('never refunds below an empty count', async () => {
    const ratelimit = limiter(algorithm());
    await (await ratelimit.limit('n', { rate: -5 })).pending;
    const results = await drain(ratelimit, 'n', 12);
    expect(results.filter((r) => r.success)).toHaveLength(10);
  });

  if (name !== 'cachedFixedWindow') {
    it('rejects a request heavier than what is left without taking anything', async () => {
      const ratelimit = limiter(algorithm());
      await ratelimit.limit('h', { rate: 7 });
      expect(await ratelimit.limit('h', { rate: 5 })).toMatchObject({ success: false, remaining: 3 });
      expect(await ratelimit.limit('h', { rate: 3 })).toMatchObject({ success: true, remaining: 0 });
    });
  }

  it('forgets the used tokens of one identifier on resetUsedTokens, and only of that one', async () => {
    const ratelimit = limiter(algorithm());
    await drain(ratelimit, 'user', 11);
    await drain(ratelimit, 'user:1', 4);
    await drain(ratelimit, 'user*', 4);
    await ratelimit.resetUsedTokens('user');
    expect(await ratelimit.limit('user')).toMatchObject({ success: true, remaining: 9 });
    expect((await ratelimit.getRemaining('user:1')).remaining).toBe(6);
    await ratelimit.resetUsedTokens('user*');
    expect((await ratelimit.getRemaining('user:1')).remaining).toBe(6);
    expect((await ratelimit.getRemaining('user*')).remaining).toBe(10);
  });

  it('checks in one HTTP request, EVALSHA only once the script is cached', async () => {
    const { ratelimit, counter } = countingLimiter({
      limiter: algorithm(),
      timeout: 0,
      failMode: 'closed',
    });
    await ratelimit.limit('warm');
    const before = counter.requests;
    const result = await ratelimit.limit('x');
    await result.pending;
    expect(counter.requests - before).toBe(1);
  });

  it('batches 200 concurrent checks into a few requests', async () => {
    const { ratelimit, counter } = countingLimiter({
      limiter: algorithm(),
      timeout: 0,
      failMode: 'closed',
    });
    await ratelimit.limit('warm');
    const before = counter.requests;
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => ratelimit.limit(`id${i % 20}`)));
    expect(results.filter((r) => r.success)).toHaveLength(200);
    expect(counter.requests - before).toBeLessThanOrEqual(2);
  });

  it('keeps working after SCRIPT FLUSH (EVAL once on NOSCRIPT, then EVALSHA again)', async () => {
    const { ratelimit, counter } = countingLimiter({
      limiter: algorithm(),
      timeout: 0,
      failMode: 'closed',
    });
    await drain(ratelimit, 'flush', 3);
    await stack.client().scriptFlush();
    const before = counter.requests;
    const first = await ratelimit.limit('flush');
    await first.pending;
    expect(first).toMatchObject({ success: true, remaining: 6 });
    expect(counter.requests - before).toBe(2);
    const second = await ratelimit.limit('flush');
    await second.pending;
    expect(second).toMatchObject({ success: true, remaining: 5 });
    expect(counter.requests - before).toBe(3);
  });
});

describe('timeouts and failures', () => {
  let stalled: Server;
  let stalledUrl: string;
  beforeAll(async () => {
    // Accepts every request and never answers.
    stalled = createServer(() => {});
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    stalledUrl = `http://127.0.0.1:${(stalled.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    stalled.closeAllConnections();
    await new Promise((resolve) => stalled.close(resolve));
  });

  const stalledRedis = () => new Redis({ url: stalledUrl, token: 't', retry: false });

  it('fails open on a stalled server by default and says so', async () => {
    const ratelimit = new Ratelimit({
      redis: stalledRedis(),
      limiter: Ratelimit.slidingWindow(10, '1 d'),
      timeout: 100,
    });
    const result = await ratelimit.limit('a');
    expect(result).toMatchObject({ success: true, reason: 'timeout', remaining: 0, reset: 0 });
    expect(result.error).toBeInstanceOf(Error);
  });

  it('fails closed on a stalled server when asked to', async () => {
    const ratelimit = new Ratelimit({
      redis: stalledRedis(),
      limiter: Ratelimit.tokenBucket(1, '1 s'),
      timeout: 100,
      failMode: 'closed',
    });
    expect(await ratelimit.limit('a')).toMatchObject({ success: false, reason: 'timeout' });
  });

  it('answers by failMode, with reason error, when the server cannot be reached', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const redis = new Redis({ url, token: 't', retry: false });
    const open = new Ratelimit({ redis, limiter: Ratelimit.fixedWindow(1, '1 d') });
    const closed = new Ratelimit({
      redis,
      limiter: Ratelimit.fixedWindow(1, '1 d'),
      failMode: 'closed',
      timeout: 0,
    });
    expect(await open.limit('a')).toMatchObject({ success: true, reason: 'error' });
    const result = await closed.limit('a');
    expect(result).toMatchObject({ success: false, reason: 'error' });
    expect(String(result.error)).toMatch(/ECONNREFUSED|fetch failed/);
  });

  it('still throws for bad input, whatever the fail mode', async () => {
    const ratelimit = new Ratelimit({
      redis: stalledRedis(),
      limiter: Ratelimit.fixedWindow(1, '1 d'),
      timeout: 50,
    });
    await expect(ratelimit.limit('')).rejects.toThrow(TypeError);
    await expect(ratelimit.limit('a', { rate: 1.5 })).rejects.toThrow(/rate must be a whole number/);
  });
});

describe('blockUntilReady', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits for the next token and takes it', async () => {
    const ratelimit = limiter(Ratelimit.tokenBucket(1, '200 ms', 1));
    expect((await ratelimit.limit('q')).success).toBe(true);
    const result = await ratelimit.blockUntilReady('q', 5_000);
    expect(result.success).toBe(true);
  });

  it('gives up at its deadline with the last rejection', async () => {
    const ratelimit = limiter(Ratelimit.fixedWindow(1, '1 h'));
    await ratelimit.limit('q');
    const result = await ratelimit.blockUntilReady('q', 150);
    expect(result.success).toBe(false);
  });

  it('refuses a non-positive timeout', async () => {
    const ratelimit = limiter(Ratelimit.fixedWindow(1, '1 h'));
    await expect(ratelimit.blockUntilReady('q', 0)).rejects.toThrow(TypeError);
  });
});

describe('dynamic limits', () => {
  it('overrides the configured limit for every identifier until removed', async () => {
    const ratelimit = limiter(Ratelimit.fixedWindow(10, '1 d'), { dynamicLimits: true });
    expect(await ratelimit.getDynamicLimit()).toEqual({ dynamicLimit: null });
    await ratelimit.setDynamicLimit({ limit: 2 });
    expect((await drain(ratelimit, 'd', 3)).map((r) => [r.success, r.limit])).toEqual([
      [true, 2],
      [true, 2],
      [false, 2],
    ]);
    await ratelimit.setDynamicLimit({ limit: false });
    expect(await ratelimit.limit('d2')).toMatchObject({ success: true, limit: 10 });
  });

  it('refuses dynamic-limit calls unless enabled, and bad limits', async () => {
    const off = limiter(Ratelimit.fixedWindow(10, '1 d'));
    await expect(off.setDynamicLimit({ limit: 5 })).rejects.toThrow(/dynamicLimits: true/);
    const on = limiter(Ratelimit.fixedWindow(10, '1 d'), { dynamicLimits: true });
    await expect(on.setDynamicLimit({ limit: 0 })).rejects.toThrow(TypeError);
    await expect(on.setDynamicLimit({ limit: 2.5 })).rejects.toThrow(TypeError);
  });
});

describe('deny list', () => {
  it('denies listed identifiers, IPs, user agents and countries from the shared list, then remembers them', async () => {
    const { ratelimit, counter } = countingLimiter({
      limiter: Ratelimit.slidingWindow(10, '1 d'),
      denyList: true,
    });
    await ratelimit.addToDenyList(['mallory', '198.51.100.9', 'EvilBot', 'XX']);
    expect(await ratelimit.limit('mallory')).toMatchObject({
      success: false,
      reason: 'denyList',
      deniedValue: 'mallory',
    });
    expect(await ratelimit.limit('a', { ip: '198.51.100.9' })).toMatchObject({ deniedValue: '198.51.100.9' });
    expect(await ratelimit.limit('a', { userAgent: 'EvilBot' })).toMatchObject({ deniedValue: 'EvilBot' });
    expect(await ratelimit.limit('a', { country: 'XX' })).toMatchObject({ deniedValue: 'XX' });
    const before = counter.requests;
    expect((await ratelimit.limit('mallory')).reason).toBe('denyList');
    expect(counter.requests).toBe(before);
    expect(await ratelimit.limit('a', { ip: '198.51.100.1', country: 'FR' })).toMatchObject({
      success: true,
    });
    await ratelimit.removeFromDenyList(['mallory']);
    expect((await ratelimit.limit('mallory')).success).toBe(true);
  });

  it('replaces the IP part of the list from a feed of your own, keeping the other values', async () => {
    const prefix = keys(stack.client()).prefix;
    const ratelimit = limiter(Ratelimit.fixedWindow(10, '1 d'), { prefix, denyList: { cacheTtl: 0 } });
    await ratelimit.addToDenyList(['mallory']);
    await ratelimit.setIpDenyList(['192.0.2.1', '192.0.2.2']);
    expect(await ratelimit.limit('a', { ip: '192.0.2.1' })).toMatchObject({ reason: 'denyList' });
    await ratelimit.setIpDenyList(['192.0.2.2']);
    expect(await ratelimit.limit('a', { ip: '192.0.2.1' })).toMatchObject({
      success: true,
      remaining: expect.any(Number),
    });
    expect(await ratelimit.limit('a', { ip: '192.0.2.2' })).toMatchObject({ reason: 'denyList' });
    expect(await ratelimit.limit('mallory')).toMatchObject({ reason: 'denyList' });
    await ratelimit.disableIpDenyList();
    expect(await ratelimit.limit('a', { ip: '192.0.2.2' })).toMatchObject({
      success: true,
      remaining: expect.any(Number),
    });
    expect(await ratelimit.limit('mallory')).toMatchObject({ reason: 'denyList' });
    expect(await stack.client().get(`${prefix}:ipDenyListStatus`)).toBe('disabled');
  });

  it('checks the shared list in the same HTTP request as the limit', async () => {
    const { ratelimit, counter } = countingLimiter({
      limiter: Ratelimit.slidingWindow(10, '1 d'),
      denyList: true,
      timeout: 0,
    });
    await ratelimit.limit('warm', { ip: '192.0.2.1' });
    const before = counter.requests;
    expect(await ratelimit.limit('fresh', { ip: '192.0.2.2', userAgent: 'Agent/1' })).toMatchObject({
      success: true,
    });
    expect(counter.requests - before).toBe(1);
  });

  it('denies local values without any Redis call', async () => {
    const { redis, counter } = countingClient();
    const ratelimit = new Ratelimit({
      redis,
      limiter: Ratelimit.fixedWindow(10, '1 d'),
      denyList: { values: ['203.0.113.5'], shared: false },
    });
    expect(await ratelimit.limit('a', { ip: '203.0.113.5' })).toMatchObject({
      success: false,
      reason: 'denyList',
    });
    expect(counter.requests).toBe(0);
  });
});

describe('batched checks', () => {
  it('carry each check its own arguments when they differ (rates), in order', async () => {
    const ratelimit = limiter(Ratelimit.fixedWindow(10, '1 d'));
    const rates = [1, 2, 3, 4, 1];
    const results = await Promise.all(rates.map((rate) => ratelimit.limit('same', { rate })));
    // One after the other: 10 - 1 - 2 - 3 - 4 = 0 left, then the last is refused.
    expect(results.map((r) => [r.success, r.remaining])).toEqual([
      [true, 9],
      [true, 7],
      [true, 4],
      [true, 0],
      [false, 0],
    ]);
  });

  it('isolate a check that fails in Redis from the others of its batch', async () => {
    const redis = stack.client();
    const prefix = keys(redis).prefix;
    const ratelimit = new Ratelimit({
      redis,
      limiter: Ratelimit.tokenBucket(5, '1 d', 5),
      prefix,
      timeout: 0,
      failMode: 'closed',
    });
    await redis.set(`${prefix}:broken`, 'not a hash');
    const results = await Promise.all(['a', 'broken', 'b', 'c'].map((id) => ratelimit.limit(id)));
    expect(results.map((r) => [r.success, r.reason])).toEqual([
      [true, undefined],
      [false, 'error'],
      [true, undefined],
      [true, undefined],
    ]);
    expect(String(results[1]!.error)).toMatch(/WRONGTYPE/);
  });
});

describe('key lifetimes', () => {
  it.each([
    ['fixedWindow', () => Ratelimit.fixedWindow(3, '1 d')],
    ['slidingWindow', () => Ratelimit.slidingWindow(3, '1 d')],
    ['cachedFixedWindow', () => Ratelimit.cachedFixedWindow(3, '1 d')],
    ['tokenBucket', () => Ratelimit.tokenBucket(3, '1 d', 3)],
  ])(
    '%s never leaves a key without a TTL (first hit, refused first hit, refund first)',
    async (_name, algorithm) => {
      const redis = stack.client();
      const k = keys(redis);
      const ratelimit = limiter(algorithm(), { prefix: k.prefix });
      await (await ratelimit.limit('first')).pending;
      await (await ratelimit.limit('heavy', { rate: 5 })).pending;
      await (await ratelimit.limit('refund', { rate: -2 })).pending;
      const found = await redis.keys(`${k.prefix}*`);
      expect(found.length).toBeGreaterThan(0);
      for (const key of found) expect(await redis.pttl(key)).toBeGreaterThan(0);
    },
  );
});
