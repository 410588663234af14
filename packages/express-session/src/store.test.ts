import { Redis } from '@restash/core';
import { describe, expect, it } from 'vitest';
import { isTransportError } from './client.js';
import { RestashSessionError } from './errors.js';
import { RestashStore } from './store.js';

// Constructing a client sends nothing, so these tests need no server.
const client = new Redis({ url: 'http://127.0.0.1:1', token: 't' });

describe('new RestashStore', () => {
  it('names what is missing when the client is not a Redis client', () => {
    expect(() => new RestashStore({ client: {} as never })).toThrow(
      '[restash/express-session] client: pass a @restash/core or @upstash/redis Redis (missing get, set, pexpire, pttl, del, mget, scan, ping)',
    );
    expect(() => new RestashStore(undefined as never)).toThrow(RestashSessionError);
  });

  it.each([
    [{ ttl: 0 }, /ttl: must be a number of seconds > 0/],
    [{ ttl: Number.NaN }, /ttl: must be/],
    [{ touchAfter: -1 }, /touchAfter: must be a number of seconds ≥ 0, got -1/],
    [{ scanCount: 0 }, /scanCount: must be an integer > 0, got 0/],
    [{ healthCheckInterval: 0 }, /healthCheckInterval/],
    [{ serializer: { parse: JSON.parse } }, /serializer: must have parse and stringify/],
    [{ prefix: 1 }, /prefix: must be a string/],
  ])('refuses %o with a config error', (options, message) => {
    const attempt = () => new RestashStore({ client, ...(options as object) });
    expect(attempt).toThrow(message);
    expect(attempt).toThrow(expect.objectContaining({ code: 'config' }));
  });

  it('has connect-redis defaults', () => {
    expect(new RestashStore({ client }).prefix).toBe('sess:');
  });
});

describe('isTransportError', () => {
  const restash = (code: string, status?: number, message = 'x') =>
    Object.assign(new Error(message), { name: 'RestashError', code, status });

  it('counts unreachable servers, timeouts and 5xx answers, not refused commands', () => {
    expect(isTransportError(restash('network'))).toBe(true);
    expect(isTransportError(restash('timeout'))).toBe(true);
    expect(isTransportError(restash('http', 503))).toBe(true);
    expect(isTransportError(restash('http', 401))).toBe(false);
    expect(
      isTransportError(restash('redis', undefined, 'ERR Redis is unreachable: connect ECONNREFUSED')),
    ).toBe(true);
    expect(isTransportError(restash('redis', undefined, 'WRONGTYPE Operation'))).toBe(false);
    expect(isTransportError(new TypeError('fetch failed'))).toBe(true);
    expect(isTransportError(Object.assign(new Error('WRONGTYPE x'), { name: 'UpstashError' }))).toBe(false);
    expect(isTransportError('nope')).toBe(false);
  });
});
