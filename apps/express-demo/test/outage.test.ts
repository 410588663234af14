import { Redis } from '@restash/core';
import { startRedis, startServer, TOKEN, until } from '@restash/test-harness';
import { expect, it } from 'vitest';
import { Browser, countOf, startDemo, userOf } from './browser.js';

it('answers 503 pages while the REST server is down and picks the sessions up again when it is back', async () => {
  const redis = await startRedis();
  let server = await startServer({ redisUrl: redis.url });
  const port = Number(new URL(server.url).port);
  const client = new Redis({ url: server.url, token: TOKEN, retry: { retries: 1, backoff: () => 10 } });
  const demo = await startDemo(client);
  try {
    let connected = true;
    demo.store.on('disconnect', () => {
      connected = false;
    });
    demo.store.on('connect', () => {
      connected = true;
    });
    const browser = new Browser(demo.url);
    await browser.submit('/signup', { name: 'ada', password: 'correct horse' });
    await browser.submit('/counter');

    await server.stop();
    const failed = await browser.get('/');
    expect(failed.status).toBe(500);
    expect(failed.html).toContain('Something went wrong');
    const degraded = await browser.get('/');
    expect(degraded.status).toBe(503);
    expect(degraded.html).toContain('Sessions are unavailable right now');

    server = await startServer({ redisUrl: redis.url, port });
    await until(() => connected, 10_000);
    const back = await browser.get('/');
    expect(userOf(back)).toBe('ada');
    expect(countOf(back)).toBe(1);
  } finally {
    await demo.stop();
    await server.stop();
    await redis.stop();
  }
});
