import { Redis } from '@restash/core';
import { describe, expect, it, vi } from 'vitest';
import { createActionKit } from './actions.js';
import { createUseCacheHandler } from './cache-handler.js';
import { createIncrementalCacheHandler } from './incremental-cache.js';

vi.mock('next/headers.js', () => ({ headers: async () => new Headers() }));
vi.mock('next/cache.js', () => ({ updateTag: vi.fn(), revalidateTag: vi.fn() }));
vi.mock('next/server.js', () => ({ after: vi.fn() }));

// Never contacted: every case here fails before a request is made.
const redis = new Redis({ url: 'http://127.0.0.1:9', token: 't', retry: false });
const kit = createActionKit({ redis });
const action = async () => 'ran';

describe('bad options fail at once, naming the option', () => {
  it('rejects a local LRU without a positive size', () => {
    for (const maxBytes of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createUseCacheHandler({ redis, localLru: { maxBytes } })).toThrow(
        /^\[restash\/next\] localLru\.maxBytes must be a number above 0/,
      );
    }
  });

  it('rejects an ISR maxTtlSeconds that is not positive', () => {
    expect(() => createIncrementalCacheHandler({ redis: redis as never, maxTtlSeconds: 0 })).toThrow(
      /maxTtlSeconds/,
    );
  });

  it('rejects idempotent and cached without a positive ttl, and a lease of zero', () => {
    expect(() => kit.idempotent(action, { key: () => 'k', ttl: 0 })).toThrow(/idempotent: ttl \(seconds\)/);
    expect(() => kit.idempotent(action, { key: () => 'k', ttl: 10, leaseMs: -5 })).toThrow(/leaseMs/);
    expect(() => kit.cached(action, { key: () => 'k', ttl: Number.NaN })).toThrow(/cached: ttl/);
  });

  it('rejects a limiter without a limit method', () => {
    expect(() => kit.rateLimit(action, { limiter: {} as never })).toThrow(/limiter must have a limit/);
  });

  it('rejects a lock lease of zero', async () => {
    await expect(kit.lock('x', action, { leaseMs: 0 })).rejects.toMatchObject({ code: 'config' });
  });
});
