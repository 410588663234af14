import { prefix, startServer, useStack } from '@restash/test-harness';
import type { CacheEntry, CacheHandler } from 'next/cache.js';
import { createDefaultCacheHandler } from 'next/dist/server/lib/cache-handlers/default.js';
import { describe, expect, it } from 'vitest';
import { readAll } from '../src/bytes.js';
import envHandler, { createUseCacheHandler } from '../src/cache-handler.js';
import { RestashNextError } from '../src/errors.js';

const stack = useStack();
const encoder = new TextEncoder();

function entry(payload: Uint8Array | string, meta: Partial<Omit<CacheEntry, 'value'>> = {}): CacheEntry {
  const bytes = typeof payload === 'string' ? encoder.encode(payload) : payload;
  return {
    value: new ReadableStream({
      start(controller) {
        // Several chunks, as a render streams them.
        for (let at = 0; at < bytes.byteLength; at += 1000) controller.enqueue(bytes.slice(at, at + 1000));
        controller.close();
      },
    }),
    tags: [],
    stale: 30,
    timestamp: Date.now(),
    expire: 300,
    revalidate: 300,
    ...meta,
  };
}

async function read(result: CacheEntry | undefined) {
  if (!result) return 'miss';
  const { value, ...meta } = result;
  return {
    text: new TextDecoder().decode(await readAll(value)),
    tags: meta.tags,
    revalidate: meta.revalidate,
  };
}

const ours = (options: { localLru?: { maxBytes: number }; keyPrefix?: string } = {}) =>
  createUseCacheHandler({ redis: stack.client(), keyPrefix: options.keyPrefix ?? prefix(), ...options });

describe("the 'use cache' handler, driven like Next's default handler", () => {
  /** One script of calls, run against a handler; returns what each step saw. */
  async function script(handler: CacheHandler, tag: (name: string) => string) {
    const seen: unknown[] = [];
    const a = tag('a');
    const b = tag('b');
    seen.push(['missing', await read(await handler.get('k1', []))]);
    await handler.set('k1', Promise.resolve(entry('one', { tags: [a, b] })));
    seen.push(['after set', await read(await handler.get('k1', []))]);
    seen.push(['expiration before', await handler.getExpiration([a])]);
    // Tags changed in the same millisecond as an entry was made do not expire it (Next's rule).
    await new Promise((resolve) => setTimeout(resolve, 5));
    const before = Date.now();
    await handler.updateTags([a]);
    // The default handler rounds the tag's time to the millisecond, possibly up.
    await new Promise((resolve) => setTimeout(resolve, 2));
    seen.push(['after updateTags', await read(await handler.get('k1', []))]);
    const expiration = await handler.getExpiration([a, tag('never')]);
    seen.push(['expiration after', expiration >= before - 1 && expiration <= Date.now() + 1]);

    await handler.set('k2', Promise.resolve(entry('two', { tags: [b] })));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await handler.updateTags([b], { expire: 60 });
    seen.push(['stale tag', await read(await handler.get('k2', []))]);

    await handler.set(
      'k3',
      Promise.resolve(entry('old', { timestamp: Date.now() - 100_000, revalidate: 10, expire: 50 })),
    );
    seen.push(['past expire', await read(await handler.get('k3', []))]);

    await handler.set('k4', Promise.resolve(entry('dynamic', { expire: 0 })));
    seen.push(['expire 0', await read(await handler.get('k4', []))]);

    let release!: (value: CacheEntry) => void;
    const setting = handler.set('k5', new Promise<CacheEntry>((resolve) => (release = resolve)));
    const getting = handler.get('k5', []);
    release(entry('late'));
    await setting;
    seen.push(['get during a pending set', await read(await getting)]);
    return seen;
  }

  it('gives the same outcomes as the default handler for the same calls', async () => {
    const run = prefix();
    const tag = (name: string) => `${run}${name}`;
    const expected = await script(createDefaultCacheHandler(50e6), tag);
    const handler = ours();
    await handler.refreshTags();
    const actual = await script(handler, tag);
    expect(actual).toEqual(expected);
    expect(actual).toEqual([
      ['missing', 'miss'],
      ['after set', { text: 'one', tags: [tag('a'), tag('b')], revalidate: 300 }],
      ['expiration before', 0],
      ['after updateTags', 'miss'],
      ['expiration after', true],
      ['stale tag', { text: 'two', tags: [tag('b')], revalidate: -1 }],
      ['past expire', 'miss'],
      ['expire 0', 'miss'],
      ['get during a pending set', { text: 'late', tags: [], revalidate: 300 }],
    ]);
  });

  it('returns a new readable stream from every get', async () => {
    const handler = ours();
    await handler.set('k', Promise.resolve(entry('same')));
    const first = await handler.get('k', []);
    const second = await handler.get('k', []);
    expect(first!.value).not.toBe(second!.value);
    expect(await read(first)).toEqual(await read(second));
  });

  it('keeps no reference to the pending entry once set resolves', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, 'tests run with --expose-gc').toBeTypeOf('function');
    const handler = ours();
    let ref: WeakRef<object> | undefined;
    await (async () => {
      const pending = Promise.resolve(entry('x'.repeat(10_000)));
      ref = new WeakRef(pending);
      await handler.set('k', pending);
    })();
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc!();
    expect(ref!.deref()).toBeUndefined();
  });
});

describe("the 'use cache' handler on a Restash server", () => {
  it('returns every byte exactly as stored, including bytes that are not UTF-8', async () => {
    const payload = new Uint8Array(300_000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 8)) & 0xff;
    const handler = ours();
    await handler.set('bin', Promise.resolve(entry(payload)));
    const got = await handler.get('bin', []);
    expect(await readAll(got!.value)).toEqual(payload);
  });

  it('shares entries and tag changes between two instances, each with a local LRU', async () => {
    const keyPrefix = prefix();
    const a = ours({ keyPrefix, localLru: { maxBytes: 1e6 } });
    const b = ours({ keyPrefix, localLru: { maxBytes: 1e6 } });
    await a.refreshTags();
    await b.refreshTags();
    await a.set('list', Promise.resolve(entry('v1', { tags: ['posts'] })));
    expect(await read(await b.get('list', []))).toMatchObject({ text: 'v1' });
    expect(await read(await a.get('list', []))).toMatchObject({ text: 'v1' });

    await new Promise((resolve) => setTimeout(resolve, 5));
    await b.updateTags(['posts']);
    // A's copy in memory is still there; the next request's refresh tells A it is stale.
    await a.refreshTags();
    expect(await read(await a.get('list', []))).toBe('miss');
    expect(await a.getExpiration(['posts'])).toBeGreaterThan(0);

    await b.set('list', Promise.resolve(entry('v2', { tags: ['posts'] })));
    expect(await read(await a.get('list', []))).toMatchObject({ text: 'v2' });
  });

  it('sees tag changes made by another instance after the first load', async () => {
    const keyPrefix = prefix();
    const a = ours({ keyPrefix, localLru: { maxBytes: 1e6 } });
    const b = ours({ keyPrefix });
    await a.refreshTags();
    await a.set('x', Promise.resolve(entry('x', { tags: ['t1'], timestamp: Date.now() - 1000 })));
    for (const tag of ['t1', 't2', 't3']) await b.updateTags([tag]);
    await a.refreshTags();
    expect(await a.getExpiration(['t2'])).toBeGreaterThan(0);
    expect(await a.getExpiration(['t3', 'none'])).toBeGreaterThan(0);
    expect(await read(await a.get('x', []))).toBe('miss');
  });

  it('makes a get wait for the newest of two overlapping sets of a key', async () => {
    const handler = ours();
    let first!: (value: CacheEntry) => void;
    let second!: (value: CacheEntry) => void;
    const setting = [
      handler.set('k', new Promise<CacheEntry>((resolve) => (first = resolve))),
      handler.set('k', new Promise<CacheEntry>((resolve) => (second = resolve))),
    ];
    first(entry('first'));
    await setting[0];
    const getting = handler.get('k', []);
    second(entry('second'));
    await setting[1];
    expect(await read(await getting)).toMatchObject({ text: 'second' });
  });

  it('misses on a key holding something that is not an entry', async () => {
    const keyPrefix = prefix();
    await stack.client().set(`${keyPrefix}uc:garbage`, 'written by something else');
    expect(await ours({ keyPrefix }).get('garbage', [])).toBeUndefined();
  });

  it('does not store a value whose stream failed part way', async () => {
    const handler = ours();
    const broken: CacheEntry = {
      ...entry(''),
      value: new ReadableStream({
        start(controller) {
          controller.enqueue(encoder.encode('part'));
          controller.error(new Error('render failed'));
        },
      }),
    };
    await handler.set('broken', Promise.resolve(broken));
    expect(await handler.get('broken', [])).toBeUndefined();
  });

  it('serves an entry past its revalidate time until it expires, so Next refreshes it in the background', async () => {
    const handler = ours();
    await handler.set(
      'swr',
      Promise.resolve(entry('old', { timestamp: Date.now() - 20_000, revalidate: 10 })),
    );
    expect(await read(await handler.get('swr', []))).toEqual({ text: 'old', tags: [], revalidate: 10 });
  });

  it('keeps an entry larger than the LRU on the server only', async () => {
    const keyPrefix = prefix();
    const handler = ours({ keyPrefix, localLru: { maxBytes: 10 } });
    await handler.set('big', Promise.resolve(entry('more than ten bytes')));
    expect(await read(await ours({ keyPrefix }).get('big', []))).toMatchObject({
      text: 'more than ten bytes',
    });
    expect(await read(await handler.get('big', []))).toMatchObject({ text: 'more than ten bytes' });
  });

  it('is configured from RESTASH_URL and RESTASH_TOKEN when loaded by Next', async () => {
    process.env.RESTASH_URL = stack.url;
    process.env.RESTASH_TOKEN = stack.token;
    process.env.RESTASH_NEXT_PREFIX = prefix();
    try {
      await envHandler.refreshTags();
      await envHandler.set('env', Promise.resolve(entry('from env')));
      expect(await read(await envHandler.get('env', []))).toMatchObject({ text: 'from env' });
      const key = `${process.env.RESTASH_NEXT_PREFIX}uc:env`;
      expect(await stack.client().exists(key)).toBe(1);
    } finally {
      delete process.env.RESTASH_URL;
      delete process.env.RESTASH_TOKEN;
      delete process.env.RESTASH_NEXT_PREFIX;
    }
  });
});

describe("the 'use cache' handler when the server is unreachable", () => {
  it('misses on reads, drops writes, answers "changed now" and throws on tag updates', async () => {
    const server = await startServer({ redisUrl: stack.redis.url });
    const { Redis } = await import('@restash/core');
    const redis = new Redis({ url: server.url, token: stack.token, retry: false, timeout: 1000 });
    const handler = createUseCacheHandler({ redis, keyPrefix: prefix(), localLru: { maxBytes: 1e6 } });
    await handler.refreshTags();
    await handler.set('k', Promise.resolve(entry('cached', { tags: ['t'] })));
    expect(await read(await handler.get('k', []))).toMatchObject({ text: 'cached' });
    await server.stop();

    // Tag changes from other instances cannot be seen now, so the local copy is not served.
    await handler.refreshTags();
    expect(await handler.get('k', [])).toBeUndefined();
    await expect(handler.set('k2', Promise.resolve(entry('dropped')))).resolves.toBeUndefined();
    const before = Date.now();
    expect(await handler.getExpiration(['t'])).toBeGreaterThanOrEqual(before);
    const failure = await handler.updateTags(['t']).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RestashNextError);
    expect(failure).toMatchObject({ code: 'unavailable' });
    expect((failure as Error).message).toMatch(/^\[restash\/next\] could not update the tags t/);
  });
});
