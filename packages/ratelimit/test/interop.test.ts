import { keys, useStack } from '@restash/test-harness';
import { Ratelimit as UpstashRatelimit } from '@upstash/ratelimit';
import { Redis as UpstashRedis } from '@upstash/redis';
import { describe, expect, it } from 'vitest';
import { type Algorithm, Ratelimit } from '../src/index.js';

const stack = useStack();

type UpstashLimiter = ConstructorParameters<typeof UpstashRatelimit>[0]['limiter'];

const cases: Array<[string, () => Algorithm, () => UpstashLimiter]> = [
  ['fixedWindow', () => Ratelimit.fixedWindow(10, '1 d'), () => UpstashRatelimit.fixedWindow(10, '1 d')],
  [
    'slidingWindow',
    () => Ratelimit.slidingWindow(10, '1 d'),
    () => UpstashRatelimit.slidingWindow(10, '1 d'),
  ],
  [
    'tokenBucket',
    () => Ratelimit.tokenBucket(10, '1 d', 10),
    () => UpstashRatelimit.tokenBucket(10, '1 d', 10),
  ],
  [
    'cachedFixedWindow',
    () => Ratelimit.cachedFixedWindow(10, '1 d'),
    () => UpstashRatelimit.cachedFixedWindow(10, '1 d'),
  ],
];

/**
 * One limiter of each library on the same prefix. `fresh*` make new instances
 * with empty in-process caches: cachedFixedWindow reads its own process's
 * counts first, so the shared state is what a fresh instance sees.
 */
function pair(
  ours: () => Algorithm,
  theirs: () => UpstashLimiter,
  options: { dynamicLimits?: boolean } = {},
) {
  const prefix = keys(stack.client()).prefix.slice(0, -1);
  const upstashRedis = new UpstashRedis({ url: stack.url, token: stack.token, enableTelemetry: false });
  const freshOurs = () =>
    new Ratelimit({ timeout: 0, redis: stack.client(), limiter: ours(), prefix, ...options });
  const freshTheirs = () =>
    new UpstashRatelimit({
      redis: upstashRedis,
      limiter: theirs(),
      prefix,
      enableTelemetry: false,
      timeout: 0,
      ...options,
    });
  return { prefix, ours: freshOurs(), theirs: freshTheirs(), freshOurs, freshTheirs };
}

describe.each(cases)('%s shared with @upstash/ratelimit 2.2.0 on @upstash/redis', (_name, ours, theirs) => {
  it('runs @upstash/ratelimit itself against our server', async () => {
    const { theirs: limiter } = pair(ours, theirs);
    const results = [];
    for (let i = 0; i < 11; i++) {
      const result = await limiter.limit('solo');
      await result.pending;
      results.push(result.success);
    }
    expect(results.filter(Boolean)).toHaveLength(10);
    expect(results[10]).toBe(false);
  });

  it('counts our hits in their getRemaining and limit', async () => {
    const { ours: mine, theirs: upstream } = pair(ours, theirs);
    for (let i = 0; i < 4; i++) await (await mine.limit('u')).pending;
    expect((await upstream.getRemaining('u')).remaining).toBe(6);
    const passed = [];
    for (let i = 0; i < 7; i++) {
      const result = await upstream.limit('u');
      await result.pending;
      passed.push(result.success);
    }
    expect(passed.filter(Boolean)).toHaveLength(6);
    expect(passed[6]).toBe(false);
  });

  it('counts their hits in our getRemaining and limit', async () => {
    const { ours: mine, theirs: upstream, freshTheirs } = pair(ours, theirs);
    for (let i = 0; i < 3; i++) await (await upstream.limit('u')).pending;
    expect((await mine.getRemaining('u')).remaining).toBe(7);
    const passed = [];
    for (let i = 0; i < 8; i++) {
      const result = await mine.limit('u');
      await result.pending;
      passed.push(result.success);
    }
    expect(passed.filter(Boolean)).toHaveLength(7);
    expect(passed[7]).toBe(false);
    expect((await freshTheirs().getRemaining('u')).remaining).toBe(0);
  });

  it('lets each reset what the other used', async () => {
    const { ours: mine, theirs: upstream, freshOurs, freshTheirs } = pair(ours, theirs);
    for (let i = 0; i < 10; i++) await (await mine.limit('r')).pending;
    await upstream.resetUsedTokens('r');
    expect((await freshOurs().getRemaining('r')).remaining).toBe(10);
    for (let i = 0; i < 10; i++) await (await freshTheirs().limit('r')).pending;
    await mine.resetUsedTokens('r');
    expect((await freshTheirs().getRemaining('r')).remaining).toBe(10);
  });
});

describe.each(cases.filter(([name]) => name !== 'cachedFixedWindow'))(
  '%s dynamic limits shared with @upstash/ratelimit',
  (name, ours, theirs) => {
    it('applies a dynamic limit set by either side to both', async () => {
      const { ours: mine, theirs: upstream } = pair(ours, theirs, { dynamicLimits: true });
      await upstream.setDynamicLimit({ limit: 3 });
      expect(await mine.getDynamicLimit()).toEqual({ dynamicLimit: 3 });
      const first = await mine.limit('d');
      expect(first).toMatchObject({ success: true, limit: 3, remaining: 2 });
      await mine.setDynamicLimit({ limit: 5 });
      expect(await upstream.getDynamicLimit()).toEqual({ dynamicLimit: 5 });
      // A bucket keeps the tokens it holds when its size changes; windows count hits.
      expect(await upstream.getRemaining('d')).toMatchObject({
        limit: 5,
        remaining: name === 'tokenBucket' ? 2 : 4,
      });
      await mine.setDynamicLimit({ limit: false });
      expect((await upstream.limit('d')).limit).toBe(10);
    });
  },
);

describe('deny list shared with @upstash/ratelimit enableProtection', () => {
  it('denies in their limiter what we list, and the reverse, with no feed fetched', async () => {
    const prefix = keys(stack.client()).prefix.slice(0, -1);
    const mine = new Ratelimit({
      timeout: 0,
      redis: stack.client(),
      limiter: Ratelimit.slidingWindow(10, '1 d'),
      prefix,
      denyList: true,
    });
    // Marks the IP list valid, so @upstash/ratelimit does not go and fetch its public feed.
    await mine.setIpDenyList(['192.0.2.66']);
    await mine.addToDenyList(['mallory']);
    const upstream = new UpstashRatelimit({
      redis: new UpstashRedis({ url: stack.url, token: stack.token, enableTelemetry: false }),
      limiter: UpstashRatelimit.slidingWindow(10, '1 d'),
      prefix,
      enableProtection: true,
      enableTelemetry: false,
    });
    expect(await upstream.limit('mallory')).toMatchObject({
      success: false,
      reason: 'denyList',
      deniedValue: 'mallory',
    });
    expect(await upstream.limit('alice', { ip: '192.0.2.66' })).toMatchObject({
      success: false,
      reason: 'denyList',
      deniedValue: '192.0.2.66',
    });
    expect((await upstream.limit('alice', { ip: '192.0.2.1' })).success).toBe(true);
    expect(await mine.limit('bob', { ip: '192.0.2.66' })).toMatchObject({
      success: false,
      reason: 'denyList',
    });
    expect(await stack.client().get(`${prefix}:ipDenyListStatus`)).toBe('valid');
  });
});
