import { keys, useStack } from '@restash/test-harness';
import { afterAll, describe, expect, it } from 'vitest';
import { readConfig } from '../src/config.js';
import { Browser, countOf, startDemo, userOf } from './browser.js';

const stack = useStack();
const running: { stop(): Promise<void> }[] = [];
afterAll(async () => {
  for (const demo of running) await demo.stop();
});

async function demo(options: Parameters<typeof startDemo>[1] = {}) {
  const redis = stack.client();
  const prefix = options.prefix ?? keys(redis).prefix;
  const started = await startDemo(redis, { prefix, ...options });
  running.push(started);
  return { ...started, prefix };
}

describe('the express demo', () => {
  it('explains itself and offers sign-in and sign-up forms to a visitor', async () => {
    const { url } = await demo();
    const page = await new Browser(url).get('/');
    expect(page.status).toBe(200);
    expect(page.html).toContain('Restash express-session demo');
    expect(page.html).toContain('action="/signin"');
    expect(page.html).toContain('action="/signup"');
  });

  it('signs up, counts in the session, and keeps the count across requests', async () => {
    const { url } = await demo();
    const browser = new Browser(url);
    const home = await browser.submit('/signup', { name: 'ada', password: 'correct horse' });
    expect(userOf(home)).toBe('ada');
    expect(countOf(home)).toBe(0);
    await browser.submit('/counter');
    expect(countOf(await browser.submit('/counter'))).toBe(2);
    expect(countOf(await browser.get('/'))).toBe(2);
  });

  it('keeps the session across an app restart', async () => {
    const first = await demo();
    const browser = new Browser(first.url);
    await browser.submit('/signup', { name: 'grace', password: 'correct horse' });
    await browser.submit('/counter');
    await first.stop();
    const second = await demo({ prefix: first.prefix });
    browser.base = second.url;
    const page = await browser.get('/');
    expect(userOf(page)).toBe('grace');
    expect(countOf(page)).toBe(1);
  });

  it('destroys the session on sign-out, so even the old cookie is signed out', async () => {
    const { url, store } = await demo();
    const browser = new Browser(url);
    await browser.submit('/signup', { name: 'alan', password: 'correct horse' });
    const sid = browser.sessionId as string;
    const oldCookies = new Map(browser.cookies);
    const page = await browser.submit('/signout');
    expect(userOf(page)).toBeUndefined();
    expect(browser.cookies.has('connect.sid')).toBe(false);
    expect(await store.get(sid)).toBeNull();
    const replay = new Browser(url);
    replay.cookies = oldCookies;
    expect(userOf(await replay.get('/'))).toBeUndefined();
  });

  it('signs in with the right password only', async () => {
    const { url } = await demo();
    await new Browser(url).submit('/signup', { name: 'edsger', password: 'correct horse' });
    const wrong = await new Browser(url).submit('/signin', { name: 'edsger', password: 'wrong password' });
    expect(wrong.status).toBe(401);
    expect(wrong.html).toContain('Wrong user name or password.');
    expect((await new Browser(url).submit('/signin', { name: 'nobody', password: 'whatever1' })).status).toBe(
      401,
    );
    expect(
      userOf(await new Browser(url).submit('/signin', { name: 'edsger', password: 'correct horse' })),
    ).toBe('edsger');
  });

  it('rate limits sign-in attempts with a 429', async () => {
    // A sliding window forgets part of the previous minute as soon as a new one
    // starts: keep the attempts inside one minute of the clock.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 50_000) await new Promise((resolve) => setTimeout(resolve, 60_500 - intoMinute));
    const { url } = await demo({ signInAttempts: 3, signInWindow: '1 m' });
    const browser = new Browser(url);
    for (let i = 0; i < 3; i++) {
      expect(
        (await browser.submit('/signin', { name: 'mallory', password: `guess-${i}-guess` })).status,
      ).toBe(401);
    }
    const limited = await browser.submit('/signin', { name: 'mallory', password: 'guess-4-guess' });
    expect(limited.status).toBe(429);
    expect(limited.html).toMatch(/Too many sign-in attempts\. Try again in \d+ s\./);
  });

  it('refuses a taken name and a bad form without a session', async () => {
    const { url } = await demo();
    await new Browser(url).submit('/signup', { name: 'linus', password: 'correct horse' });
    expect(
      (await new Browser(url).submit('/signup', { name: 'linus', password: 'another one' })).status,
    ).toBe(409);
    const bad = new Browser(url);
    expect((await bad.submit('/signup', { name: 'x', password: 'short' })).status).toBe(400);
    expect((await bad.submit('/signup')).status).toBe(400);
    expect(bad.cookies.size).toBe(0);
  });

  it('lists the user’s sessions and ends another one', async () => {
    const { url } = await demo();
    const laptop = new Browser(url, 'Laptop/1.0');
    const phone = new Browser(url, 'Phone/2.0');
    const stranger = new Browser(url, 'Stranger/3.0');
    await laptop.submit('/signup', { name: 'barbara', password: 'correct horse' });
    await phone.submit('/signin', { name: 'barbara', password: 'correct horse' });
    await stranger.submit('/signup', { name: 'mallory', password: 'correct horse' });
    const list = await laptop.get('/sessions');
    expect(list.html).toContain('Laptop/1.0');
    expect(list.html).toContain('Phone/2.0');
    expect(list.html).not.toContain('Stranger/3.0');
    expect(list.html).toContain('<b>this browser</b>');
    // A stranger cannot end someone else's session.
    await stranger.submit(`/sessions/${phone.sessionId}/end`);
    expect(userOf(await phone.get('/'))).toBe('barbara');
    const after = await laptop.submit(`/sessions/${phone.sessionId}/end`);
    expect(after.html).not.toContain('Phone/2.0');
    expect(userOf(await phone.get('/'))).toBeUndefined();
    expect(userOf(await laptop.get('/'))).toBe('barbara');
  });
});

describe('readConfig', () => {
  it('fails with one message naming every missing variable', () => {
    expect(() => readConfig({})).toThrow(
      '[express-demo] RESTASH_URL is not set (the REST server, e.g. http://127.0.0.1:8079); RESTASH_TOKEN is not set (the server token)',
    );
    expect(() => readConfig({ RESTASH_URL: 'redis://x', RESTASH_TOKEN: 't', PORT: 'abc' })).toThrow(
      /RESTASH_URL must start with http:\/\/ or https:\/\/, got redis:\/\/x; PORT must be a port number, got abc/,
    );
  });

  it('reads the demo environment, with a cookie secret stable for a token', () => {
    const env = { RESTASH_URL: 'http://127.0.0.1:8079', RESTASH_TOKEN: 'tok', PORT: '3001', HOST: '0.0.0.0' };
    const config = readConfig(env);
    expect(config).toMatchObject({ url: 'http://127.0.0.1:8079', token: 'tok', port: 3001, host: '0.0.0.0' });
    expect(readConfig(env).secret).toBe(config.secret);
    expect(readConfig({ ...env, RESTASH_TOKEN: 'other' }).secret).not.toBe(config.secret);
  });
});
