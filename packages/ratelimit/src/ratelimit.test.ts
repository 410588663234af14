import { Redis } from '@restash/core';
import { describe, expect, it } from 'vitest';
import { RatelimitError } from './errors.js';
import { Ratelimit } from './ratelimit.js';

// Never contacted: every case here fails before anything is sent.
const redis = new Redis({ url: 'http://127.0.0.1:9', token: 'unused', retry: false });

function configError(make: () => unknown, message: RegExp) {
  let caught: unknown;
  try {
    make();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(TypeError);
  expect(caught).toBeInstanceOf(RatelimitError);
  expect((caught as RatelimitError).message).toMatch(/^\[restash\/ratelimit\] /);
  expect((caught as RatelimitError).message).toMatch(message);
}

describe('algorithm construction', () => {
  it('refuses non-positive or fractional limits with a TypeError', () => {
    configError(
      () => Ratelimit.fixedWindow(0, '1 s'),
      /fixedWindow tokens: must be a whole number of at least 1/,
    );
    configError(() => Ratelimit.slidingWindow(-1, '1 s'), /slidingWindow tokens/);
    configError(() => Ratelimit.slidingWindow(2.5, '1 s'), /slidingWindow tokens/);
    configError(() => Ratelimit.tokenBucket(0, '1 s'), /tokenBucket refillRate/);
    configError(() => Ratelimit.tokenBucket(1, '1 s', 0), /tokenBucket maxTokens/);
    configError(() => Ratelimit.cachedFixedWindow(Number.NaN, '1 s'), /cachedFixedWindow tokens/);
  });

  it('refuses non-positive or unparsable windows with a TypeError', () => {
    configError(() => Ratelimit.fixedWindow(1, 0), /fixedWindow window/);
    configError(
      () => Ratelimit.slidingWindow(1, '10 parsecs' as never),
      /slidingWindow window: cannot parse/,
    );
    configError(() => Ratelimit.tokenBucket(1, '-1 s' as never), /tokenBucket interval/);
  });

  it('defaults the bucket size to the refill rate', () => {
    expect(Ratelimit.tokenBucket(5, '1 s').tokens).toBe(5);
    expect(Ratelimit.tokenBucket(5, '1 s', 20)).toMatchObject({ tokens: 20, windowMs: 4000 });
  });
});

describe('new Ratelimit', () => {
  const limiter = Ratelimit.slidingWindow(10, '10 s');

  it('refuses missing or wrong options with a TypeError naming them', () => {
    configError(() => new Ratelimit(undefined as never), /options must be an object/);
    configError(() => new Ratelimit({ limiter } as never), /redis: pass a @restash\/core Redis client/);
    configError(() => new Ratelimit({ redis } as never), /limiter: pass an algorithm/);
    configError(() => new Ratelimit({ redis, limiter, prefix: '' }), /prefix/);
    configError(() => new Ratelimit({ redis, limiter, timeout: -1 }), /timeout/);
    configError(() => new Ratelimit({ redis, limiter, failMode: 'ajar' as never }), /failMode/);
    configError(() => new Ratelimit({ redis, limiter, ephemeralCache: {} as never }), /ephemeralCache/);
    configError(() => new Ratelimit({ redis, limiter, denyList: { cacheTtl: -1 } }), /denyList.cacheTtl/);
  });

  it('refuses cachedFixedWindow without its cache', () => {
    configError(
      () => new Ratelimit({ redis, limiter: Ratelimit.cachedFixedWindow(1, '1 s'), ephemeralCache: false }),
      /cachedFixedWindow needs the ephemeral cache/,
    );
  });

  it('uses @upstash/ratelimit’s prefix by default', () => {
    expect(new Ratelimit({ redis, limiter }).prefix).toBe('@upstash/ratelimit');
  });

  it('rejects an empty or non-string identifier and a fractional rate at the call, never throwing synchronously', async () => {
    const ratelimit = new Ratelimit({ redis, limiter });
    const rejected = async (call: () => Promise<unknown>, message: RegExp) => {
      let promise: Promise<unknown> | undefined;
      expect(() => {
        promise = call();
      }).not.toThrow();
      await expect(promise).rejects.toThrow(RatelimitError);
      await expect(promise).rejects.toThrow(message);
    };
    await rejected(() => ratelimit.limit(''), /limit: the identifier must be a non-empty string, got ''/);
    await rejected(() => ratelimit.limit(42 as never), /got number/);
    await rejected(() => ratelimit.limit('a', { rate: 0.5 }), /rate must be a whole number/);
    await rejected(() => ratelimit.limit('a', { rate: Number.NaN }), /rate must be a whole number/);
    await rejected(() => ratelimit.getRemaining(''), /getRemaining/);
    await rejected(() => ratelimit.blockUntilReady('', 10), /blockUntilReady/);
  });

  it('refuses bad deny-list values', async () => {
    const ratelimit = new Ratelimit({ redis, limiter });
    await expect(ratelimit.addToDenyList('x' as never)).rejects.toThrow(TypeError);
    await expect(ratelimit.addToDenyList([''])).rejects.toThrow(/non-empty strings/);
    await expect(ratelimit.setIpDenyList(['1.2.3.4'], { ttl: 0 })).rejects.toThrow(/ttl/);
    await expect(ratelimit.resetUsedTokens('')).rejects.toThrow(TypeError);
  });
});
