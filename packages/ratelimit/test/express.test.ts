import { keys, useStack } from '@restash/test-harness';
import express from 'express';
import { rateLimit as expressRateLimit } from 'express-rate-limit';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { rateLimit } from '../src/express/index.js';
import { RestashStore } from '../src/express-rate-limit/index.js';
import { Ratelimit } from '../src/index.js';

const stack = useStack();

function app(
  limiter: Ratelimit,
  options: Partial<Parameters<typeof rateLimit>[0]> = {},
  trustProxy?: number,
) {
  const server = express();
  if (trustProxy !== undefined) server.set('trust proxy', trustProxy);
  server.use(rateLimit({ limiter, ...options }));
  server.get('/', (req, res) => {
    res.json({ ok: true, ip: req.ip });
  });
  return server;
}

describe('@restash/ratelimit/express', () => {
  it('answers 429 with Retry-After, draft-8 headers and a JSON body once the limit is spent', async () => {
    const limiter = new Ratelimit({
      timeout: 0,
      redis: stack.client(),
      limiter: Ratelimit.fixedWindow(3, '1 d'),
      prefix: keys(stack.client()).prefix,
    });
    const server = app(limiter);
    for (let i = 2; i >= 0; i--) {
      const ok = await request(server).get('/').expect(200);
      expect(ok.headers['ratelimit-policy']).toBe('"default";q=3;w=86400');
      expect(ok.headers.ratelimit).toMatch(new RegExp(`^"default";r=${i};t=\\d+$`));
    }
    const limited = await request(server).get('/').expect(429);
    expect(limited.headers['content-type']).toMatch(/application\/json/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(86_400);
    expect(limited.headers.ratelimit).toMatch(/^"default";r=0;t=\d+$/);
    expect(limited.body).toEqual({
      error: 'Too Many Requests',
      retryAfter: Number(limited.headers['retry-after']),
    });
  });

  it('never trusts X-Forwarded-For unless the app trusts a proxy', async () => {
    const prefix = keys(stack.client()).prefix;
    const limiter = new Ratelimit({
      timeout: 0,
      redis: stack.client(),
      limiter: Ratelimit.fixedWindow(1, '1 d'),
      prefix,
    });
    const direct = app(limiter);
    await request(direct).get('/').set('X-Forwarded-For', '198.51.100.1').expect(200);
    // A forged header does not buy a fresh allowance: the socket address is the key.
    await request(direct).get('/').set('X-Forwarded-For', '198.51.100.2').expect(429);

    const behindProxy = app(
      new Ratelimit({
        timeout: 0,
        redis: stack.client(),
        limiter: Ratelimit.fixedWindow(1, '1 d'),
        prefix: `${prefix}p`,
      }),
      {},
      1,
    );
    const first = await request(behindProxy).get('/').set('X-Forwarded-For', '198.51.100.1').expect(200);
    expect(first.body.ip).toBe('198.51.100.1');
    await request(behindProxy).get('/').set('X-Forwarded-For', '198.51.100.2').expect(200);
    await request(behindProxy).get('/').set('X-Forwarded-For', '198.51.100.1').expect(429);
  });

  it('keys by a function of the request, skips, and weighs requests', async () => {
    const prefix = keys(stack.client()).prefix;
    const limiter = new Ratelimit({
      timeout: 0,
      redis: stack.client(),
      limiter: Ratelimit.tokenBucket(1, '1 d', 10),
      prefix,
    });
    const server = app(limiter, {
      key: (req) => String(req.headers['x-user']),
      skip: (req) => req.headers['x-internal'] === 'yes',
      rate: (req) => (req.headers['x-heavy'] ? 5 : 1),
    });
    await request(server).get('/').set('x-user', 'a').set('x-heavy', '1').expect(200);
    await request(server).get('/').set('x-user', 'a').set('x-heavy', '1').expect(200);
    await request(server).get('/').set('x-user', 'a').expect(429);
    await request(server).get('/').set('x-user', 'a').set('x-internal', 'yes').expect(200);
    await request(server).get('/').set('x-user', 'b').expect(200);
    expect((await limiter.getRemaining('a')).remaining).toBe(0);
    expect((await limiter.getRemaining('b')).remaining).toBe(9);
  });

  it('denies listed user agents with the reason in the body', async () => {
    const limiter = new Ratelimit({
      timeout: 0,
      redis: stack.client(),
      limiter: Ratelimit.slidingWindow(100, '1 d'),
      prefix: keys(stack.client()).prefix,
      denyList: { values: ['BadBot/1.0'], shared: false },
    });
    const server = app(limiter);
    await request(server).get('/').set('User-Agent', 'Good/1.0').expect(200);
    const denied = await request(server).get('/').set('User-Agent', 'BadBot/1.0').expect(429);
    expect(denied.body.reason).toBe('denyList');
  });

  it('hands a bad key to the error handler instead of letting the request through', async () => {
    const limiter = new Ratelimit({
      timeout: 0,
      redis: stack.client(),
      limiter: Ratelimit.fixedWindow(1, '1 d'),
    });
    await request(app(limiter, { key: () => '' }))
      .get('/')
      .expect(500);
  });

  it('refuses a missing limiter at construction', () => {
    expect(() => rateLimit({} as never)).toThrow(TypeError);
  });
});

describe('@restash/ratelimit/express-rate-limit', () => {
  function erlApp(store: RestashStore, limit = 3) {
    const server = express();
    server.use(
      expressRateLimit({ windowMs: 60_000, limit, standardHeaders: 'draft-8', legacyHeaders: false, store }),
    );
    server.get('/', (_req, res) => {
      res.send('ok');
    });
    return server;
  }

  it('lets express-rate-limit answer 429 after the limit, with its headers', async () => {
    const store = new RestashStore({ redis: stack.client(), prefix: keys(stack.client()).prefix });
    const server = erlApp(store);
    for (let i = 2; i >= 0; i--) {
      const ok = await request(server).get('/').expect(200);
      expect(ok.headers['ratelimit-policy']).toMatch(/^"3-in-1min"; q=3; w=60; pk=:[A-Za-z0-9+/=]+:$/);
      expect(ok.headers.ratelimit).toMatch(new RegExp(`^"3-in-1min"; r=${i}; t=(59|60)`));
    }
    const limited = await request(server).get('/').expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('shares counts between two apps on the same store prefix, and reads, decrements and resets them', async () => {
    const prefix = keys(stack.client()).prefix;
    const a = new RestashStore({ redis: stack.client(), prefix });
    const b = new RestashStore({ redis: stack.client(), prefix });
    const appA = erlApp(a, 2);
    const appB = erlApp(b, 2);
    await request(appA).get('/').expect(200);
    await request(appB).get('/').expect(200);
    await request(appA).get('/').expect(429);

    b.init({ windowMs: 60_000 });
    const key = (await stack.client().keys(`${prefix}*`))[0]!.slice(prefix.length);
    const info = await b.get(key);
    expect(info?.totalHits).toBe(3);
    expect(info!.resetTime!.getTime()).toBeGreaterThan(Date.now());
    await b.decrement(key);
    expect((await b.get(key))?.totalHits).toBe(2);
    await b.resetKey(key);
    expect(await b.get(key)).toBeUndefined();
    // Decrementing a missing key creates nothing (no counter without a TTL).
    await b.decrement(key);
    expect(await b.get(key)).toBeUndefined();
  });
});
