import { Redis } from '@restash/core';
import { prefix, startServer, useStack } from '@restash/test-harness';
import type { CacheHandlerContext } from 'next/dist/server/lib/incremental-cache/index.js';
import { describe, expect, it } from 'vitest';
import { RestashNextError } from '../src/errors.js';
import EnvHandler, { createIncrementalCacheHandler } from '../src/incremental-cache.js';

const stack = useStack();
const context = (revalidatedTags: string[] = []) =>
  ({ revalidatedTags, _requestHeaders: {} }) as CacheHandlerContext;
const raw = () => stack.client<string>({ automaticDeserialization: false });

/** Two app instances sharing one server: each `request()` is a new handler, as Next makes one per request. */
function instances() {
  const keyPrefix = prefix();
  const a = createIncrementalCacheHandler({ redis: raw(), keyPrefix });
  const b = createIncrementalCacheHandler({ redis: raw(), keyPrefix });
  return { a: () => new a(context()), b: () => new b(context()), keyPrefix };
}

const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i));
const appPage = (tags: string) =>
  ({
    kind: 'APP_PAGE',
    html: '<html><body>posts</body></html>',
    rscData: bytes,
    headers: { 'x-next-cache-tags': tags },
    postponed: undefined,
    status: 200,
    segmentData: new Map([
      ['/_tree', Buffer.from('tree')],
      ['/_full', bytes],
    ]),
  }) as const;
const pageContext = { kind: 'APP_PAGE', isFallback: false } as never;
const cacheControl = { revalidate: 60, expire: 3600 };

describe('the ISR cache handler on a Restash server', () => {
  it('serves an App Router page written by one instance on another, segmentData map and bytes intact', async () => {
    const { a, b } = instances();
    await a().set('/posts', appPage('_N_T_/posts') as never, { cacheControl } as never);
    const got = await b().get('/posts', pageContext);
    expect(got?.cacheControl).toEqual(cacheControl);
    expect(got?.lastModified).toBeGreaterThan(0);
    const value = got?.value as unknown as ReturnType<typeof appPage>;
    expect(value.html).toBe('<html><body>posts</body></html>');
    expect(Buffer.isBuffer(value.rscData)).toBe(true);
    expect(value.rscData.equals(bytes)).toBe(true);
    expect(value.segmentData).toBeInstanceOf(Map);
    expect(value.segmentData.get('/_full')?.equals(bytes)).toBe(true);
    expect(value.segmentData.get('/_tree')?.toString()).toBe('tree');
  });

  it('misses a page on every instance once one of its tags is revalidated', async () => {
    const { a, b } = instances();
    await a().set('/posts', appPage('_N_T_/layout,posts') as never, { cacheControl } as never);
    expect(await b().get('/posts', pageContext)).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await b().revalidateTag('posts');
    expect(await a().get('/posts', pageContext)).toBeNull();
    expect(await b().get('/posts', pageContext)).toBeNull();
  });

  it('asks Next to re-render a page whose tag went stale (revalidateTag with a profile)', async () => {
    const { a, b } = instances();
    await a().set('/posts', appPage('posts') as never, { cacheControl } as never);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await b().revalidateTag(['posts'], { expire: 600 });
    expect((await a().get('/posts', pageContext))?.lastModified).toBe(-1);
  });

  it('checks fetch entries against their tags, the soft tags of the read and the tags revalidated in this request', async () => {
    const { a, b, keyPrefix } = instances();
    const fetchValue = {
      kind: 'FETCH',
      data: { headers: {}, body: 'eyJvayI6dHJ1ZX0=', status: 200, url: 'https://api/x' },
      revalidate: 30,
      tags: ['api'],
    };
    await a().set('fetch-1', fetchValue as never, { fetchCache: true, tags: ['api', 'extra'] } as never);
    const read = (handler: ReturnType<typeof a>, softTags: string[] = []) =>
      handler.get('fetch-1', { kind: 'FETCH', tags: ['api'], softTags } as never);
    expect((await read(b()))?.value).toEqual({ ...fetchValue, tags: ['api'] });

    const again = createIncrementalCacheHandler({ redis: raw(), keyPrefix });
    expect(await new again(context(['extra'])).get('fetch-1', { kind: 'FETCH' } as never)).toBeNull();

    await new Promise((resolve) => setTimeout(resolve, 5));
    await a().revalidateTag('_N_T_/page');
    expect(await read(b(), ['_N_T_/page'])).toBeNull();
    expect(await read(b())).not.toBeNull();
  });

  it('returns null for a key never stored and stores nothing for a null value', async () => {
    const { a } = instances();
    expect(await a().get('/nothing', pageContext)).toBeNull();
    await a().set('/null', null, {} as never);
    expect(await a().get('/null', pageContext)).toBeNull();
  });

  it('keeps an entry no longer than its expire, capped by maxTtlSeconds', async () => {
    const keyPrefix = prefix();
    const Handler = createIncrementalCacheHandler({ redis: raw(), keyPrefix, maxTtlSeconds: 100 });
    await new Handler(context()).set(
      '/short',
      appPage('') as never,
      { cacheControl: { expire: 50 } } as never,
    );
    await new Handler(context()).set(
      '/long',
      appPage('') as never,
      { cacheControl: { expire: 5000 } } as never,
    );
    const client = raw();
    const short = await client.ttl(`${keyPrefix}isr:/short`);
    const long = await client.ttl(`${keyPrefix}isr:/long`);
    expect(short).toBeGreaterThan(40);
    expect(short).toBeLessThanOrEqual(50);
    expect(long).toBeGreaterThan(90);
    expect(long).toBeLessThanOrEqual(100);
  });

  it('is configured from the environment when Next loads it by path', async () => {
    process.env.RESTASH_URL = stack.url;
    process.env.RESTASH_TOKEN = stack.token;
    process.env.RESTASH_NEXT_PREFIX = prefix();
    try {
      await new EnvHandler(context()).set('/env', appPage('') as never, { cacheControl } as never);
      expect((await new EnvHandler(context()).get('/env', pageContext))?.value).toMatchObject({
        status: 200,
      });
    } finally {
      delete process.env.RESTASH_URL;
      delete process.env.RESTASH_TOKEN;
      delete process.env.RESTASH_NEXT_PREFIX;
    }
  });

  it('misses, drops writes and throws on revalidateTag when the server is unreachable', async () => {
    const server = await startServer({ redisUrl: stack.redis.url });
    const redis = new Redis<string>({
      url: server.url,
      token: stack.token,
      automaticDeserialization: false,
      retry: false,
    });
    const Handler = createIncrementalCacheHandler({ redis, keyPrefix: prefix() });
    await new Handler(context()).set('/p', appPage('t') as never, { cacheControl } as never);
    expect(await new Handler(context()).get('/p', pageContext)).not.toBeNull();
    await server.stop();
    expect(await new Handler(context()).get('/p', pageContext)).toBeNull();
    await expect(
      new Handler(context()).set('/q', appPage('t') as never, {} as never),
    ).resolves.toBeUndefined();
    const failure = await new Handler(context()).revalidateTag('t').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RestashNextError);
    expect(failure).toMatchObject({ code: 'unavailable' });
  });
});
