import { Redis } from '@restash/core';
import { freePort, TOKEN, until, useStack } from '@restash/test-harness';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RestashCache, RestashCacheModule, RestashNestError } from '../src/index.js';
import { StockController, startApp } from './fixtures.js';

const stack = useStack();
const apps: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const app of apps) await app.close();
});

function namespace(): string {
  return `n${Math.random().toString(36).slice(2, 10)}`;
}

async function app(ns: string, instance = 'a', options: Parameters<typeof startApp>[1] = {}) {
  const started = await startApp(
    { url: stack.url, token: stack.token },
    { namespace: ns, ...options },
    instance,
  );
  apps.push(started.app);
  return started;
}

describe('RestashCacheModule with CACHE_MANAGER', () => {
  it('injects a cache manager that stores in Redis under namespace::key', async () => {
    const ns = namespace();
    const { cacheManager } = await app(ns);
    await cacheManager.set('greeting', { hello: 'world' }, 30_000);
    expect(await cacheManager.get('greeting')).toEqual({ hello: 'world' });
    const pttl = await stack.client().pttl(`${ns}::greeting`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(30_000);
  });

  it('puts the stores given in front of Redis, as an in-process first tier', async () => {
    const ns = namespace();
    const { default: Keyv } = await import('keyv');
    const memory = new Keyv();
    const { cacheManager } = await app(ns, 'a', { stores: [memory] });
    await cacheManager.set('tiered', 'both');
    expect(await memory.get('tiered')).toBe('both');
    expect(await stack.client().exists(`${ns}::tiered`)).toBe(1);
    await stack.client().del(`${ns}::tiered`);
    expect(await cacheManager.get('tiered')).toBe('both');
  });

  it('uses the module ttl as the cache manager default', async () => {
    const ns = namespace();
    const { cacheManager } = await app(ns, 'a', { ttl: 45_000 });
    await cacheManager.set('k', 1);
    const pttl = await stack.client().pttl(`${ns}::k`);
    expect(pttl).toBeGreaterThan(40_000);
  });
});

describe('@Cacheable on a service method', () => {
  it('runs the method on the first call and serves the stored result afterwards', async () => {
    const { catalog } = await app(namespace());
    const first = await catalog.find('1');
    const second = await catalog.find('1');
    expect(second).toEqual(first);
    expect(catalog.runs.find).toBe(1);
    await catalog.find('2');
    expect(catalog.runs.find).toBe(2);
  });

  it('stores entries that CACHE_MANAGER reads too', async () => {
    const { catalog, cacheManager } = await app(namespace());
    const product = await catalog.find('7');
    expect(await cacheManager.get('product:7')).toEqual(product);
  });

  it('recomputes once the entry TTL has passed in Redis', async () => {
    const ns = namespace();
    const { catalog } = await app(ns);
    expect(await catalog.short(2)).toBe(4);
    expect(await catalog.short(2)).toBe(4);
    expect(catalog.runs.short).toBe(1);
    const pttl = await stack.client().pttl(`${ns}::short:2`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(400);
    await until(async () => (await stack.client().exists(`${ns}::short:2`)) === 0, 5_000);
    expect(await catalog.short(2)).toBe(4);
    expect(catalog.runs.short).toBe(2);
  });

  it('skips the cache when condition is false and does not store results matched by unless', async () => {
    const { catalog } = await app(namespace());
    await catalog.maybe(-1);
    await catalog.maybe(-1);
    expect(catalog.runs.maybe).toBe(2);
    expect(await catalog.maybe(0)).toBeNull();
    expect(await catalog.maybe(0)).toBeNull();
    expect(catalog.runs.maybe).toBe(4);
    await catalog.maybe(5);
    await catalog.maybe(5);
    expect(catalog.runs.maybe).toBe(5);
  });

  it('does not store a result when the method throws, and rethrows to every caller', async () => {
    const { catalog } = await app(namespace());
    const results = await Promise.allSettled([catalog.failing(), catalog.failing()]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(catalog.failing()).rejects.toThrow('the database is down');
    expect(catalog.runs.failing).toBe(2);
  });

  it('rejects with an invalid-argument error when the key function returns an empty string', async () => {
    const { catalog } = await app(namespace());
    await expect(catalog.badKey()).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(catalog.badKey()).rejects.toThrow(RestashNestError);
  });

  it('derives a key from the class, the method and the arguments when none is given', async () => {
    const ns = namespace();
    const { catalog } = await app(ns);
    expect(await catalog.defaultKey(1, 'x')).toBe('1x');
    expect(await stack.client().exists(`${ns}::CatalogService.defaultKey:[1,"x"]`)).toBe(1);
  });
});

describe('@CachePut and @CacheEvict', () => {
  it('stores the result of a @CachePut method for later @Cacheable reads', async () => {
    const { catalog } = await app(namespace());
    await catalog.find('1');
    const renamed = await catalog.rename('1', 'Renamed');
    expect(await catalog.find('1')).toEqual(renamed);
    expect(catalog.runs.find).toBe(1);
  });

  it('evicts the keys a @CacheEvict method names, after it succeeds', async () => {
    const { catalog } = await app(namespace());
    await catalog.find('1');
    await catalog.forget('1');
    await catalog.find('1');
    expect(catalog.runs.find).toBe(2);
  });

  it('invalidates every entry under a tag in one request, however many there are', async () => {
    const ns = namespace();
    let requests = 0;
    const client = new Redis({
      url: stack.url,
      token: stack.token,
      fetch: (input, init) => {
        requests++;
        return fetch(input, init);
      },
    });
    const started = await startApp({ client }, { namespace: ns });
    apps.push(started.app);
    const { catalog } = started;
    await Promise.all(Array.from({ length: 30 }, (_, i) => catalog.find(String(i))));
    await catalog.list();
    expect(catalog.runs.find).toBe(30);
    requests = 0;
    await catalog.reindex();
    expect(requests).toBe(1);
    await Promise.all(Array.from({ length: 30 }, (_, i) => catalog.find(String(i))));
    await catalog.list();
    expect(catalog.runs.find).toBe(60);
    expect(catalog.runs.list).toBe(2);
  });

  it('evicts before the method with beforeInvocation, even when the method throws', async () => {
    const { catalog } = await app(namespace());
    await catalog.list();
    await expect(catalog.reindexThenFail()).rejects.toThrow('reindex failed');
    await catalog.list();
    expect(catalog.runs.list).toBe(2);
  });

  it('invalidates through RestashCache.invalidateTags as well', async () => {
    const started = await app(namespace());
    const cache = started.app.get<RestashCache>((await import('../src/index.js')).RestashCache);
    await started.catalog.find('1');
    await cache.invalidateTags(['product:1']);
    await started.catalog.find('1');
    expect(started.catalog.runs.find).toBe(2);
  });
});

describe('two app instances sharing one cache', () => {
  it('serves one instance the entry the other computed, and sees the other instance evict it', async () => {
    const ns = namespace();
    const a = await app(ns, 'a');
    const b = await app(ns, 'b');
    expect((await a.catalog.find('1')).computedBy).toBe('a');
    expect((await b.catalog.find('1')).computedBy).toBe('a');
    expect(b.catalog.runs.find).toBe(0);
    await b.catalog.forget('1');
    expect((await a.catalog.find('1')).computedBy).toBe('a');
    expect(a.catalog.runs.find).toBe(2);
    await a.catalog.reindex();
    expect((await b.catalog.find('1')).computedBy).toBe('b');
  });
});

describe('stampede protection', () => {
  it('runs the method once for 100 concurrent misses of one key', async () => {
    const { catalog } = await app(namespace());
    let open: () => void = () => {};
    catalog.gate = new Promise((resolve) => {
      open = resolve;
    });
    const calls = Array.from({ length: 100 }, () => catalog.find('hot'));
    setTimeout(() => open(), 50);
    const results = await Promise.all(calls);
    expect(catalog.runs.find).toBe(1);
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
  });

  it('runs the method once for concurrent misses spread over two instances', async () => {
    const ns = namespace();
    const a = await app(ns, 'a');
    const b = await app(ns, 'b');
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    a.catalog.gate = gate;
    b.catalog.gate = gate;
    const calls = Array.from({ length: 100 }, (_, i) => (i % 2 ? b : a).catalog.find('hot'));
    // Release once one instance holds the lock and the other is waiting on it.
    await until(async () => (await stack.client().exists(`${ns}::__lock__:product:hot`)) === 1, 5_000);
    open();
    const results = await Promise.all(calls);
    expect(a.catalog.runs.find + b.catalog.runs.find).toBe(1);
    expect(new Set(results.map((r) => r.computedBy)).size).toBe(1);
  });

  it('lets a caller compute once the lease of a crashed lock holder has passed', async () => {
    const ns = namespace();
    const { catalog } = await app(ns, 'a', { lock: { lease: 300, wait: 30_000 } });
    await stack.client().set(`${ns}::__lock__:product:9`, 'crashed-holder', { px: 300 });
    expect((await catalog.find('9')).id).toBe('9');
    expect(catalog.runs.find).toBe(1);
    expect(await stack.client().exists(`${ns}::__lock__:product:9`)).toBe(0);
  });
});

describe('RestashCacheInterceptor', () => {
  it('answers X-Cache MISS then HIT and runs the handler once', async () => {
    const { app: nest, controller } = await app(namespace());
    const server = nest.getHttpServer();
    const first = await request(server).get('/page').expect(200);
    const second = await request(server).get('/page').expect(200);
    expect(first.headers['x-cache']).toBe('MISS');
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.body).toEqual(first.body);
    expect(controller.runs.page).toBe(1);
  });

  it('keeps @CacheKey and @CacheTTL working', async () => {
    const ns = namespace();
    const { app: nest } = await app(ns);
    await request(nest.getHttpServer()).get('/keyed').expect(200);
    const pttl = await stack.client().pttl(`${ns}::keyed-route`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(400);
  });

  it('keeps one entry per user with @CacheVaryBy, without subclassing', async () => {
    const { app: nest, controller } = await app(namespace());
    const server = nest.getHttpServer();
    const ada = await request(server).get('/me').set('x-user', 'ada');
    const bob = await request(server).get('/me').set('x-user', 'bob');
    const adaAgain = await request(server).get('/me').set('x-user', 'ada');
    expect(ada.body).not.toEqual(bob.body);
    expect(adaAgain.body).toEqual(ada.body);
    expect(adaAgain.headers['x-cache']).toBe('HIT');
    expect(controller.runs.me).toBe(2);
  });

  it('serves a decorated service through a route, cached', async () => {
    const { app: nest, catalog } = await app(namespace());
    const server = nest.getHttpServer();
    await request(server).get('/products/3').expect(200);
    const again = await request(server).get('/products/3').expect(200);
    expect(again.body.id).toBe('3');
    expect(catalog.runs.find).toBe(1);
  });
});

describe("@nestjs/cache-manager's own CacheInterceptor on the module", () => {
  it('caches GET responses with the X-Cache header, @CacheKey and @CacheTTL, unchanged', async () => {
    const ns = namespace();
    const { app: nest } = await app(ns);
    const server = nest.getHttpServer();
    const controller = nest.get(StockController);
    expect((await request(server).get('/stock')).headers['x-cache']).toBe('MISS');
    expect((await request(server).get('/stock')).headers['x-cache']).toBe('HIT');
    expect(controller.runs).toBe(1);
    await request(server).get('/stock/keyed').expect(200);
    const pttl = await stack.client().pttl(`${ns}::stock-keyed`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(700);
  });
});

describe('when the cache is unreachable', () => {
  let port: number;
  beforeAll(async () => {
    port = await freePort();
  });

  it('still answers every request: reads are misses and writes are only logged', async () => {
    const client = new Redis({ url: `http://127.0.0.1:${port}`, token: TOKEN, retry: false });
    const started = await startApp({ client }, { namespace: namespace() });
    apps.push(started.app);
    expect((await started.catalog.find('1')).id).toBe('1');
    expect((await started.catalog.find('1')).id).toBe('1');
    expect(started.catalog.runs.find).toBe(2);
    await started.catalog.reindex();
    const response = await request(started.app.getHttpServer()).get('/page').expect(200);
    expect(response.body).toEqual({ page: 1 });
  });
});

describe('module configuration', () => {
  it('builds the module from forRootAsync with injected configuration', async () => {
    const { Module } = await import('@nestjs/common');
    const { Test } = await import('@nestjs/testing');
    const CONFIG = 'CONFIG';
    @Module({
      providers: [{ provide: CONFIG, useValue: { url: stack.url, token: stack.token } }],
      exports: [CONFIG],
    })
    class ConfigModule {}
    const ns = namespace();
    const moduleRef = await Test.createTestingModule({
      imports: [
        RestashCacheModule.forRootAsync({
          imports: [ConfigModule],
          inject: [CONFIG],
          useFactory: (config: { url: string; token: string }) => ({
            connection: config,
            namespace: ns,
            ttl: 5_000,
          }),
        }),
      ],
    }).compile();
    const nest = moduleRef.createNestApplication({ logger: false });
    await nest.init();
    apps.push(nest);
    const { CACHE_MANAGER } = await import('@nestjs/cache-manager');
    await nest.get(CACHE_MANAGER).set('k', 'v');
    expect(await stack.client().get(`${ns}::k`)).toBeTruthy();
  });

  it('fails at start-up when the connection has no token', async () => {
    const { Test } = await import('@nestjs/testing');
    await expect(
      Test.createTestingModule({
        imports: [RestashCacheModule.forRoot({ url: stack.url, token: '' })],
      }).compile(),
    ).rejects.toThrow(/connection\.token is missing/);
  });

  it('fails at start-up on a negative ttl', async () => {
    const { Test } = await import('@nestjs/testing');
    await expect(
      Test.createTestingModule({
        imports: [RestashCacheModule.forRoot({ url: stack.url, token: stack.token }, { ttl: -1 })],
      }).compile(),
    ).rejects.toThrow(/ttl must be milliseconds/);
  });

  it('refuses forRootAsync without a factory', () => {
    expect(() => RestashCacheModule.forRootAsync({} as never)).toThrow(RestashNestError);
  });
});
