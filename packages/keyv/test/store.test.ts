import { Redis } from '@restash/core';
import { freePort, TOKEN, useStack } from '@restash/test-harness';
import { createCache } from 'cache-manager';
import Keyv from 'keyv';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeyv, KeyvRestash, KeyvRestashError } from '../src/index.js';

const stack = useStack();
const namespaces: string[] = [];

/** A fresh namespace, cleared after the test. */
function ns(): string {
  const name = `t${Math.random().toString(36).slice(2, 10)}`;
  namespaces.push(name);
  return name;
}

afterEach(async () => {
  const redis = stack.client();
  for (const name of namespaces.splice(0)) {
    for await (const key of redis.scanIterator({ match: `${name}*` })) await redis.del(key);
  }
});

/** A client that counts the HTTP requests it sends. */
function countingClient(
  options: { automaticDeserialization?: boolean; enableAutoPipelining?: boolean } = {},
) {
  const counter = { requests: 0 };
  const client = new Redis({
    url: stack.url,
    token: stack.token,
    ...options,
    fetch: (input, init) => {
      counter.requests++;
      return fetch(input, init);
    },
  });
  return { client, counter };
}

describe('KeyvRestash', () => {
  it('stores the exact string Keyv serialized, under namespace::key', async () => {
    const namespace = ns();
    const keyv = createKeyv(stack.client(), { namespace });
    await keyv.set('user:1', { name: 'Ada', n: 1 });
    const raw = await stack.client({ automaticDeserialization: false }).get(`${namespace}::user:1`);
    expect(raw).toBe('{"value":{"name":"Ada","n":1}}');
    expect(await keyv.get('user:1')).toEqual({ name: 'Ada', n: 1 });
  });

  it('passes millisecond TTLs to Redis as PX, so Redis expires the key itself', async () => {
    const namespace = ns();
    const keyv = createKeyv(stack.client(), { namespace });
    await keyv.set('short', 'v', 1500);
    const pttl = await stack.client().pttl(`${namespace}::short`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(1500);
    await keyv.set('forever', 'v');
    expect(await stack.client().pttl(`${namespace}::forever`)).toBe(-1);
  });

  it('applies the default ttl of createKeyv when set has none', async () => {
    const namespace = ns();
    const keyv = createKeyv(stack.client(), { namespace, ttl: 60_000 });
    await keyv.set('k', 'v');
    const pttl = await stack.client().pttl(`${namespace}::k`);
    expect(pttl).toBeGreaterThan(50_000);
  });

  it('sends getMany, setMany, hasMany and deleteMany as one request each', async () => {
    const namespace = ns();
    const { client, counter } = countingClient();
    const store = new KeyvRestash(client, { namespace });
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);

    counter.requests = 0;
    expect(
      await store.setMany(keys.map((key, i) => ({ key, value: `v${i}`, ttl: i % 2 ? 60_000 : undefined }))),
    ).toEqual(keys.map(() => true));
    expect(counter.requests).toBe(1);

    counter.requests = 0;
    const values = await store.getMany([...keys, 'missing']);
    expect(counter.requests).toBe(1);
    expect(values).toEqual([...keys.map((_, i) => `v${i}`), undefined]);

    counter.requests = 0;
    expect(await store.hasMany(['k0', 'missing', 'k49'])).toEqual([true, false, true]);
    expect(counter.requests).toBe(1);

    counter.requests = 0;
    expect(await store.deleteMany(keys)).toBe(true);
    expect(counter.requests).toBe(1);
    expect(await store.deleteMany(keys)).toBe(false);
    expect(await stack.client().pttl(`${namespace}::k1`)).toBe(-2);
  });

  it('keeps getMany, setMany, hasMany and deleteMany working through Keyv with many keys', async () => {
    const keyv = createKeyv(stack.client(), { namespace: ns() });
    await keyv.setMany([
      { key: 'a', value: 1 },
      { key: 'b', value: [2], ttl: 60_000 },
    ]);
    expect(await keyv.getMany(['a', 'b', 'c'])).toEqual([1, [2], undefined]);
    expect(await keyv.hasMany(['a', 'c'])).toEqual([true, false]);
    expect(await keyv.deleteMany(['a', 'b'])).toBe(true);
    expect(await keyv.get('a')).toBeUndefined();
  });

  it('clears only its own namespace, in batches, and leaves other keys alone', async () => {
    const mine = ns();
    const theirs = ns();
    const a = new KeyvRestash(stack.client(), { namespace: mine, clearBatchSize: 7 });
    const b = new KeyvRestash(stack.client(), { namespace: theirs });
    await a.setMany(Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: 'x' })));
    await b.set('k0', 'y');
    await stack.client().set(`${mine}-lookalike`, 'z');
    await a.clear();
    expect(await a.getMany(['k0', 'k39'])).toEqual([undefined, undefined]);
    expect(await b.get('k0')).toBe('y');
    expect(await stack.client().get(`${mine}-lookalike`)).toBe('z');
    await stack.client().del(`${mine}-lookalike`);
  });

  it('treats glob characters in a namespace literally when clearing', async () => {
    const base = ns();
    const star = new KeyvRestash(stack.client(), { namespace: `${base}*` });
    const plain = new KeyvRestash(stack.client(), { namespace: `${base}x` });
    await star.set('k', '1');
    await plain.set('k', '2');
    await star.clear();
    expect(await star.get('k')).toBeUndefined();
    expect(await plain.get('k')).toBe('2');
  });

  it('iterates over the namespace with keys unprefixed, through keyv.iterator()', async () => {
    const keyv = createKeyv(stack.client(), { namespace: ns(), clearBatchSize: 3 });
    const other = createKeyv(stack.client(), { namespace: ns() });
    await other.set('x', 'not mine');
    const expected = new Map(Array.from({ length: 10 }, (_, i) => [`k${i}`, { i }]));
    for (const [key, value] of expected) await keyv.set(key, value);
    const seen = new Map<string, unknown>();
    for await (const [key, value] of keyv.iterator!(keyv.namespace)) seen.set(key, value);
    expect(seen).toEqual(expected);
  });

  it('reads values set by @keyv/redis conventions: a raw JSON string under namespace::key', async () => {
    const namespace = ns();
    await stack
      .client({ automaticDeserialization: false })
      .set(`${namespace}::legacy`, '{"value":"v","expires":null}');
    expect(await createKeyv(stack.client(), { namespace }).get('legacy')).toBe('v');
  });

  it('works as a cache-manager store: set with ttl, get, mget, del, wrap', async () => {
    const namespace = ns();
    const cache = createCache({ stores: [createKeyv(stack.client(), { namespace })], ttl: 30_000 });
    await cache.set('a', { n: 1 });
    await cache.set('b', 'two', 5_000);
    expect(await cache.get('a')).toEqual({ n: 1 });
    expect(await cache.mget(['a', 'b', 'c'])).toEqual([{ n: 1 }, 'two', undefined]);
    expect(await stack.client().pttl(`${namespace}::b`)).toBeLessThanOrEqual(5_000);
    let calls = 0;
    const compute = async () => ++calls;
    expect(await cache.wrap('w', compute)).toBe(1);
    expect(await cache.wrap('w', compute)).toBe(1);
    await cache.del('a');
    expect(await cache.get('a')).toBeUndefined();
  });

  it('does not prefix keys twice when Keyv wraps it with a namespace of its own', async () => {
    const namespace = ns();
    const keyv = createKeyv(stack.client(), { namespace });
    await keyv.set('k', 1);
    const keys: string[] = [];
    for await (const key of stack.client().scanIterator({ match: `${namespace}*` })) keys.push(key);
    expect(keys).toEqual([`${namespace}::k`]);
  });

  it('builds its own raw-mode client from { url, token }', async () => {
    const namespace = ns();
    const keyv = createKeyv({ url: stack.url, token: stack.token }, { namespace });
    await keyv.set('n', '007');
    expect(await keyv.get('n')).toBe('007');
    expect((keyv.store as KeyvRestash).opts.url).toBe(stack.url);
  });

  it('emits a KeyvRestashError and answers a miss when the server is unreachable', async () => {
    const port = await freePort();
    const keyv = createKeyv(new Redis({ url: `http://127.0.0.1:${port}`, token: TOKEN, retry: false }));
    const errors: unknown[] = [];
    keyv.on('error', (error) => errors.push(error));
    expect(await keyv.get('k')).toBeUndefined();
    expect(await keyv.set('k', 'v')).toBe(false);
    expect(await keyv.has('k')).toBe(false);
    expect(errors.length).toBeGreaterThanOrEqual(3);
    const first = errors[0] as KeyvRestashError;
    expect(first).toBeInstanceOf(KeyvRestashError);
    expect(first.code).toBe('command');
    expect(first.message).toMatch(/^\[restash\/keyv\] GET failed: /);
  });

  it('throws as well as emits with throwOnErrors', async () => {
    const port = await freePort();
    const keyv = createKeyv(new Redis({ url: `http://127.0.0.1:${port}`, token: TOKEN, retry: false }), {
      throwOnErrors: true,
    });
    keyv.on('error', () => {});
    await expect(keyv.get('k')).rejects.toThrow(KeyvRestashError);
  });

  it('emits the Redis error when a key holds another type', async () => {
    const namespace = ns();
    await stack.client().lpush(`${namespace}::list`, 'a');
    const store = new KeyvRestash(stack.client(), { namespace });
    const errors: KeyvRestashError[] = [];
    store.on('error', (error) => errors.push(error as KeyvRestashError));
    expect(await store.get('list')).toBeUndefined();
    expect(errors[0]?.message).toMatch(/GET failed: WRONGTYPE/);
  });

  it('refuses a negative TTL without sending anything', async () => {
    const { client, counter } = countingClient();
    const store = new KeyvRestash(client, { namespace: ns() });
    const errors: KeyvRestashError[] = [];
    store.on('error', (error) => errors.push(error as KeyvRestashError));
    expect(await store.set('k', 'v', -5)).toBe(false);
    expect(counter.requests).toBe(0);
    expect(errors[0]?.code).toBe('invalid-argument');
  });

  it('is used by Keyv as is when passed bare, prefixing keyv:key inside its namespace', async () => {
    const store = new KeyvRestash(stack.client());
    const keyv = new Keyv({ store, namespace: ns() });
    await keyv.set('k', 'v');
    expect(await keyv.get('k')).toBe('v');
    expect(await stack.client().get(`${keyv.namespace}::${keyv.namespace}:k`)).toBeTruthy();
  });
});

describe('KeyvRestash batching', () => {
  it('sends the reads of concurrent callers issued in different ticks as one request', async () => {
    const namespace = ns();
    const { client, counter } = countingClient();
    const store = new KeyvRestash(client, { namespace });
    await store.setMany([
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ]);
    counter.requests = 0;
    const values = await Promise.all([
      store.get('a'),
      new Promise((resolve) => setTimeout(resolve, 0)).then(() => store.get('b')),
      Promise.resolve().then(() => store.get('missing')),
    ]);
    expect(values).toEqual(['1', '2', undefined]);
    expect(counter.requests).toBeLessThanOrEqual(2);
  });

  it('sends each command at once with batch: false', async () => {
    const { client, counter } = countingClient({ enableAutoPipelining: false });
    const store = new KeyvRestash(client, { namespace: ns(), batch: false });
    counter.requests = 0;
    await Promise.all([store.get('a'), store.get('b')]);
    expect(counter.requests).toBe(2);
  });
});
