import { Redis } from '@restash/core';
import { keys, useStack } from '@restash/test-harness';
import { Redis as UpstashRedis } from '@upstash/redis';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { RestashStore, type RestashStoreOptions } from '../src/index.js';
import { appWith, type Gate, gate } from './app.js';

const stack = useStack();
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

const clients = {
  '@restash/core': () => stack.client(),
  '@upstash/redis': () => new UpstashRedis({ url: stack.url, token: stack.token }),
};

describe.each(Object.entries(clients))('express-session with the store on %s', (_name, makeClient) => {
  const setup = (options: Partial<RestashStoreOptions> = {}, maxAge = 60_000) => {
    const raw = stack.client<string>({ automaticDeserialization: false });
    const k = keys(raw);
    cleanups.push(k.cleanup);
    const store = new RestashStore({ client: makeClient(), prefix: k.prefix, ...options });
    let current: Gate | undefined;
    const app = appWith(store, { cookie: { maxAge } }, () => current as Gate);
    return {
      store,
      raw,
      key: k.key,
      agent: request.agent(app),
      app,
      slow: () => {
        current = gate();
        return current;
      },
    };
  };

  it('creates no session for a visitor who stores nothing', async () => {
    const { agent, store } = setup();
    const response = await agent.get('/me').expect(200);
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(await store.length()).toBe(0);
  });

  it('creates a session and keeps it across requests', async () => {
    const { agent, store } = setup();
    const first = await agent.post('/count').expect(200);
    expect(first.headers['set-cookie']?.[0]).toMatch(/^connect\.sid=s%3A/);
    expect((await agent.post('/count').expect(200)).body.count).toBe(2);
    expect((await agent.get('/me').expect(200)).body).toMatchObject({ count: 2, sid: first.body.sid });
    expect(await store.ids()).toEqual([first.body.sid]);
  });

  it('stores the session with the cookie maxAge as its TTL, in milliseconds', async () => {
    const { agent, raw, key } = setup({}, 45_000);
    const { sid } = (await agent.post('/count').expect(200)).body;
    const pttl = await raw.pttl(key(sid));
    expect(pttl).toBeGreaterThan(40_000);
    expect(pttl).toBeLessThanOrEqual(45_000);
  });

  it('touches the session on a request that does not change it', async () => {
    const { agent, raw, key } = setup();
    const { sid } = (await agent.post('/count').expect(200)).body;
    await raw.pexpire(key(sid), 5000);
    await agent.get('/me').expect(200);
    expect(await raw.pttl(key(sid))).toBeGreaterThan(50_000);
  });

  it('does not touch on a read within touchAfter of the last write', async () => {
    const { agent, raw, key } = setup({ touchAfter: 30 });
    const { sid } = (await agent.post('/count').expect(200)).body;
    await raw.pexpire(key(sid), 50_000); // as if written 10 s ago
    await agent.get('/me').expect(200);
    expect(await raw.pttl(key(sid))).toBeLessThanOrEqual(50_000);
    await raw.pexpire(key(sid), 20_000); // as if written 40 s ago
    await agent.get('/me').expect(200);
    expect(await raw.pttl(key(sid))).toBeGreaterThan(50_000);
  });

  it('forgets a session once a sub-second maxAge has passed', async () => {
    const { agent, raw, key } = setup({}, 250);
    const { sid } = (await agent.post('/count').expect(200)).body;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await raw.exists(key(sid))).toBe(0);
    const after = await agent.post('/count').expect(200);
    expect(after.body.count).toBe(1);
    expect(after.body.sid).not.toBe(sid);
  });

  it('regenerates the session on sign-in: a new id, and the old one is gone', async () => {
    const { agent, store } = setup();
    const before = (await agent.post('/count').expect(200)).body.sid;
    const after = (await agent.post('/login/ada').expect(200)).body.sid;
    expect(after).not.toBe(before);
    expect(await store.get(before)).toBeNull();
    expect((await agent.get('/me').expect(200)).body).toMatchObject({ user: 'ada', sid: after });
  });

  it('destroys the session on sign-out', async () => {
    const { agent, store } = setup();
    const { sid } = (await agent.post('/login/ada').expect(200)).body;
    await agent.post('/logout').expect(200);
    expect(await store.get(sid)).toBeNull();
    expect((await agent.get('/me').expect(200)).body.user).toBeNull();
    expect(await store.length()).toBe(0);
  });

  it('keeps a sign-out when a request that started before it finishes after it', async () => {
    const { agent, store, slow } = setup();
    const { sid } = (await agent.post('/login/ada').expect(200)).body;
    const held = slow();
    const inFlight = agent.post('/slow').then((response) => response);
    await held.entered;
    await agent.post('/logout').expect(200);
    held.open();
    expect((await inFlight).status).toBe(200);
    expect(await store.get(sid)).toBeNull();
    expect((await agent.get('/me').expect(200)).body.user).toBeNull();
  });

  it('serves concurrent requests on one session without errors', async () => {
    const { agent, store } = setup();
    const { sid } = (await agent.post('/login/ada').expect(200)).body;
    const responses = await Promise.all(Array.from({ length: 20 }, () => agent.post('/count')));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    const counts = responses.map((r) => r.body.count as number);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);
    const stored = await store.get(sid);
    expect(stored).toMatchObject({ user: 'ada' });
    expect(counts).toContain(stored?.count);
  });

  it('reads its sessions with all() and can end one of them', async () => {
    const { app, store } = setup();
    const ada = request.agent(app);
    const adaPhone = request.agent(app);
    const bob = request.agent(app);
    await ada.post('/login/ada').expect(200);
    const phone = (await adaPhone.post('/login/ada').expect(200)).body.sid;
    await bob.post('/login/bob').expect(200);
    const all = await store.all();
    expect(all.filter((s) => s.user === 'ada')).toHaveLength(2);
    await store.destroy(phone);
    expect((await adaPhone.get('/me').expect(200)).body.user).toBeNull();
    expect((await ada.get('/me').expect(200)).body.user).toBe('ada');
  });

  it('starts a new session when the cookie points at a corrupt value', async () => {
    const warnings: string[] = [];
    const { agent, raw, key } = setup({ logger: { warn: (m) => warnings.push(m) } });
    const { sid } = (await agent.post('/count').expect(200)).body;
    await raw.set(key(sid), 'not json', { px: 60_000 });
    const response = await agent.post('/count').expect(200);
    expect(response.body.count).toBe(1);
    expect(response.body.sid).not.toBe(sid);
    expect(warnings).toHaveLength(1);
  });
});

it('works with a @restash/core client in raw mode and without auto-pipelining', async () => {
  const raw = stack.client<string>({ automaticDeserialization: false });
  const k = keys(raw);
  cleanups.push(k.cleanup);
  const client = new Redis({
    url: stack.url,
    token: stack.token,
    automaticDeserialization: false,
    enableAutoPipelining: false,
  });
  const agent = request.agent(appWith(new RestashStore({ client, prefix: k.prefix })));
  await agent.post('/login/ada').expect(200);
  await agent.post('/count').expect(200);
  expect((await agent.get('/me').expect(200)).body).toMatchObject({ user: 'ada', count: 1 });
});
