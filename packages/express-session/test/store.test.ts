import { Redis as CoreRedis } from '@restash/core';
import { keys, useStack } from '@restash/test-harness';
import { Redis as UpstashRedis } from '@upstash/redis';
import type { SessionData } from 'express-session';
import { afterAll, describe, expect, it } from 'vitest';
import DefaultExport, { RestashStore, type RestashStoreOptions } from '../src/index.js';

const stack = useStack();

/** A session as express-session stores it. */
function sessionOf(data: Record<string, unknown> = {}, maxAge?: number): SessionData {
  const expires = maxAge === undefined ? null : new Date(Date.now() + maxAge).toISOString();
  return {
    cookie: { originalMaxAge: maxAge ?? null, expires, httpOnly: true, path: '/' },
    ...data,
  } as unknown as SessionData;
}

const clients = {
  '@restash/core (automatic deserialization)': () => stack.client(),
  '@restash/core (raw mode)': () => stack.client({ automaticDeserialization: false }),
  '@restash/core (no auto-pipelining)': () => stack.client({ enableAutoPipelining: false }),
  '@upstash/redis (automatic deserialization)': () =>
    new UpstashRedis({ url: stack.url, token: stack.token }),
  '@upstash/redis (raw mode)': () =>
    new UpstashRedis({ url: stack.url, token: stack.token, automaticDeserialization: false }),
};

describe.each(Object.entries(clients))('with %s', (_name, makeClient) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });
  const storeOf = (options: Partial<RestashStoreOptions> = {}) => {
    const raw = stack.client<string>({ automaticDeserialization: false });
    const k = keys(raw);
    cleanups.push(k.cleanup);
    const store = new RestashStore({ client: makeClient(), prefix: k.prefix, ...options });
    return { store, raw, key: (sid: string) => k.key(sid) };
  };

  it('round-trips a session and stores it as the JSON text connect-redis writes', async () => {
    const { store, raw, key } = storeOf();
    const session = sessionOf({ user: { name: 'Ada', roles: ['admin'] }, visits: 3, note: '123' });
    await store.set('sid-1', session);
    expect(await store.get('sid-1')).toEqual(session);
    expect(await raw.get(key('sid-1'))).toBe(JSON.stringify(session));
  });

  it('returns null for a session that does not exist', async () => {
    const { store } = storeOf();
    expect(await store.get('missing')).toBeNull();
  });

  it('keeps a session without cookie expiry for the default 86400 seconds', async () => {
    const { store, raw, key } = storeOf();
    await store.set('sid', sessionOf());
    const pttl = await raw.pttl(key('sid'));
    expect(pttl).toBeGreaterThan(86_399_000);
    expect(pttl).toBeLessThanOrEqual(86_400_000);
  });

  it('takes the TTL from cookie.expires in milliseconds', async () => {
    const { store, raw, key } = storeOf();
    await store.set('sid', sessionOf({}, 1500));
    const pttl = await raw.pttl(key('sid'));
    expect(pttl).toBeGreaterThan(1000);
    expect(pttl).toBeLessThanOrEqual(1500);
  });

  it('lets a ttl function decide the TTL, in seconds', async () => {
    const { store, raw, key } = storeOf({
      ttl: (session) => ((session as { long?: boolean }).long ? 600 : 60),
    });
    await store.set('long', sessionOf({ long: true }, 1000));
    await store.set('short', sessionOf({}, 1000));
    expect(await raw.pttl(key('long'))).toBeGreaterThan(599_000);
    expect(await raw.pttl(key('short'))).toBeLessThanOrEqual(60_000);
  });

  it('destroys a session set with an expires in the past instead of storing it', async () => {
    const { store, raw, key } = storeOf();
    await store.set('sid', sessionOf({ a: 1 }));
    await store.set('sid', sessionOf({ a: 2 }, -1000));
    expect(await store.get('sid')).toBeNull();
    expect(await raw.exists(key('sid'))).toBe(0);
  });

  it('stores without expiry with disableTTL, and a read after cookie.expires finds nothing', async () => {
    const { store, raw, key } = storeOf({ disableTTL: true });
    await store.set('sid', sessionOf({}, 60_000));
    expect(await raw.pttl(key('sid'))).toBe(-1);
    await raw.set(key('old'), JSON.stringify(sessionOf({}, -5)));
    expect(await store.get('old')).toBeNull();
    expect(await raw.exists(key('old'))).toBe(0);
  });

  it('extends the TTL on touch without rewriting the value (connect-redis semantics)', async () => {
    const { store, raw, key } = storeOf();
    const session = sessionOf({ n: 1 }, 1000);
    await store.set('sid', session);
    const stored = await raw.get(key('sid'));
    await store.touch('sid', sessionOf({ n: 1 }, 60_000));
    expect(await raw.pttl(key('sid'))).toBeGreaterThan(59_000);
    expect(await raw.get(key('sid'))).toBe(stored);
  });

  it('rewrites the stored cookie.expires on touch with rewriteCookieOnTouch', async () => {
    const { store } = storeOf({ rewriteCookieOnTouch: true });
    await store.set('sid', sessionOf({ n: 1 }, 1000));
    const touched = sessionOf({ n: 1 }, 60_000);
    await store.touch('sid', touched);
    expect((await store.get('sid'))?.cookie).toEqual(touched.cookie);
  });

  it('does not bring back a destroyed session on touch, rewriting or not', async () => {
    const { store } = storeOf({ rewriteCookieOnTouch: true });
    await store.touch('never-set', sessionOf({}, 60_000));
    expect(await store.get('never-set')).toBeNull();
    await store.set('sid', sessionOf({}, 60_000));
    await store.destroy('sid');
    await store.touch('sid', sessionOf({}, 60_000));
    expect(await store.get('sid')).toBeNull();
  });

  it('does nothing on touch with disableTouch', async () => {
    const { store, raw, key } = storeOf({ disableTouch: true });
    await store.set('sid', sessionOf({}, 2000));
    await store.touch('sid', sessionOf({}, 60_000));
    expect(await raw.pttl(key('sid'))).toBeLessThanOrEqual(2000);
  });

  it('skips a touch that would move the expiry by less than touchAfter, and makes one that would move it more', async () => {
    const { store, raw, key } = storeOf({ touchAfter: 10 });
    await store.set('sid', sessionOf({}, 60_000));
    await store.get('sid');
    await store.touch('sid', sessionOf({}, 65_000)); // 5 s later than stored: skipped
    expect(await raw.pttl(key('sid'))).toBeLessThanOrEqual(60_000);
    await store.get('sid');
    await store.touch('sid', sessionOf({}, 120_000)); // 60 s later: written
    expect(await raw.pttl(key('sid'))).toBeGreaterThan(110_000);
    await store.touch('sid', sessionOf({}, 121_000)); // no get before it: written
    expect(await raw.pttl(key('sid'))).toBeGreaterThan(120_000);
  });

  it('does not write back a loaded session that was destroyed meanwhile (a logout stays final)', async () => {
    const { store, raw, key } = storeOf();
    await store.set('sid', sessionOf({ user: 'ada' }, 60_000));
    await store.get('sid'); // request A loads it…
    await store.get('sid'); // …and so does request B
    await store.destroy('sid'); // a third request signs out
    await store.set('sid', sessionOf({ user: 'ada', late: true }, 60_000)); // A ends
    await store.touch('sid', sessionOf({ user: 'ada' }, 60_000)); // B ends
    expect(await raw.exists(key('sid'))).toBe(0);
  });

  it('does not re-create a loaded session that expired while its request ran', async () => {
    const { store, raw, key } = storeOf();
    await store.set('sid', sessionOf({ n: 1 }, 60_000));
    await store.get('sid');
    await raw.del(key('sid')); // as Redis does when the TTL ends
    await store.set('sid', sessionOf({ n: 2 }, 60_000));
    expect(await store.get('sid')).toBeNull();
  });

  it('creates a session it never loaded, and updates one it loaded', async () => {
    const { store } = storeOf();
    await store.set('new', sessionOf({ n: 1 }, 60_000));
    expect(await store.get('new')).toMatchObject({ n: 1 });
    await store.set('new', sessionOf({ n: 2 }, 60_000));
    expect(await store.get('new')).toMatchObject({ n: 2 });
  });

  it('counts, lists and returns every session, then clears them', async () => {
    const { store, raw, key } = storeOf();
    await store.set('a', sessionOf({ n: 1 }));
    await store.set('b', sessionOf({ n: 2 }));
    await store.set('gone', sessionOf({ n: 3 }));
    await store.destroy('gone');
    await raw.hset(key('a-hash'), { not: 'a session' }); // only strings are sessions
    expect(await store.length()).toBe(2);
    expect((await store.ids()).sort()).toEqual(['a', 'b']);
    const all = await store.all();
    expect(all.sort((x, y) => x.id.localeCompare(y.id))).toEqual([
      { id: 'a', ...sessionOf({ n: 1 }), cookie: expect.any(Object) },
      { id: 'b', ...sessionOf({ n: 2 }), cookie: expect.any(Object) },
    ]);
    await store.clear();
    expect(await store.length()).toBe(0);
    expect(await raw.exists(key('a-hash'))).toBe(0);
  });

  it('handles 1000 sessions', async () => {
    const { store } = storeOf({ scanCount: 250 });
    await Promise.all(Array.from({ length: 1000 }, (_, i) => store.set(`s${i}`, sessionOf({ i }))));
    expect(await store.length()).toBe(1000);
    expect(new Set(await store.ids()).size).toBe(1000);
    const all = await store.all();
    expect(all).toHaveLength(1000);
    expect(all.find((s) => s.id === 's999')).toMatchObject({ i: 999 });
    await store.clear();
    expect(await store.length()).toBe(0);
  });

  it('answers callbacks as well as Promises, for every method', async () => {
    const { store } = storeOf();
    const call = <T>(run: (cb: (error: unknown, value?: T) => void) => unknown) =>
      new Promise<T | undefined>((resolve, reject) =>
        run((error, value) => (error ? reject(error) : resolve(value))),
      );
    await call((cb) => store.set('cb', sessionOf({ x: 1 }), cb));
    expect(await call((cb) => store.get('cb', cb))).toMatchObject({ x: 1 });
    await call((cb) => store.touch('cb', sessionOf({ x: 1 }, 5000), cb));
    expect(await call((cb) => store.length(cb))).toBe(1);
    expect(await call((cb) => store.ids(cb))).toEqual(['cb']);
    expect(await call((cb) => store.all(cb))).toHaveLength(1);
    await call((cb) => store.destroy('cb', cb));
    expect(await call((cb) => store.get('cb', cb))).toBeNull();
    await call((cb) => store.clear(cb));
  });

  it('treats a corrupt or foreign value as no session and warns once', async () => {
    const warnings: string[] = [];
    const { store, raw, key } = storeOf({ logger: { warn: (message) => warnings.push(message) } });
    await raw.set(key('not-json'), '{"cookie":');
    await raw.set(key('no-cookie'), '{"user":"ada"}');
    await raw.set(key('number'), '42');
    await raw.lpush(key('a-list'), 'x');
    for (const sid of ['not-json', 'no-cookie', 'number', 'a-list']) expect(await store.get(sid)).toBeNull();
    await store.set('good', sessionOf({ ok: true }));
    expect(await store.all()).toEqual([expect.objectContaining({ id: 'good', ok: true })]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^\[restash\/express-session\] .*not-json does not hold a session/);
  });
});

describe('RestashStore', () => {
  it('is the default export too', () => {
    expect(DefaultExport).toBe(RestashStore);
  });

  it('uses the sess: prefix by default, like connect-redis', async () => {
    const raw = stack.client<string>({ automaticDeserialization: false });
    const sid = `default-prefix-${Date.now()}`;
    const store = new RestashStore({ client: stack.client() });
    await store.set(sid, sessionOf({ a: 1 }));
    expect(await raw.get(`sess:${sid}`)).toBe(JSON.stringify(sessionOf({ a: 1 })));
    await raw.del(`sess:${sid}`);
  });

  it('sends the commands of calls made in one event-loop turn in one HTTP request', async () => {
    const client = stack.client();
    const k = keys(client);
    const store = new RestashStore({ client, prefix: k.prefix });
    await store.set('warm-up', sessionOf());
    const before = client.pipelineCounter;
    // Twenty separate callbacks of one turn, as Node runs the requests that arrived together.
    const reads = await Promise.all(
      Array.from(
        { length: 20 },
        (_, i) => new Promise((resolve) => setImmediate(() => resolve(store.get(`sid-${i}`)))),
      ),
    );
    expect(reads).toEqual(Array(20).fill(null));
    expect(client.pipelineCounter - before).toBe(1);
    await k.cleanup();
  });

  it('stores with a custom serializer, including an async parse', async () => {
    const raw = stack.client<string>({ automaticDeserialization: false });
    const k = keys(raw);
    const store = new RestashStore({
      client: new UpstashRedis({ url: stack.url, token: stack.token }),
      prefix: k.prefix,
      serializer: {
        stringify: (session) => `b64:${Buffer.from(JSON.stringify(session)).toString('base64')}`,
        parse: async (text) => JSON.parse(Buffer.from(text.slice(4), 'base64').toString()),
      },
    });
    await store.set('sid', sessionOf({ secret: 'x' }));
    expect(await raw.get(k.key('sid'))).toMatch(/^b64:/);
    expect(await store.get('sid')).toMatchObject({ secret: 'x' });
    await k.cleanup();
  });

  it('rejects bad session ids and sessions with a clear error', async () => {
    const store = new RestashStore({ client: stack.client() });
    await expect(store.get('')).rejects.toThrow(
      /^\[restash\/express-session\] session id: must be a non-empty string/,
    );
    await expect(store.set('sid', null as unknown as SessionData)).rejects.toMatchObject({
      code: 'invalid-session',
    });
    const bad = new RestashStore({ client: stack.client(), ttl: () => Number.NaN });
    await expect(bad.set('sid', sessionOf())).rejects.toMatchObject({ code: 'invalid-ttl' });
  });

  it('passes a Redis error to the callback and rejects the Promise without a callback', async () => {
    const readOnly = new CoreRedis({ url: stack.url, token: stack.readOnlyToken });
    const store = new RestashStore({ client: readOnly });
    await expect(store.set('sid', sessionOf())).rejects.toThrow();
    const error = await new Promise((resolve) => store.set('sid', sessionOf(), resolve));
    expect(error).toBeInstanceOf(Error);
  });
});
