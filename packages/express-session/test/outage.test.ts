import { Redis } from '@restash/core';
import {
  startRedis,
  startServer,
  type TestRedis,
  type TestServer,
  TOKEN,
  until,
} from '@restash/test-harness';
import { Redis as UpstashRedis } from '@upstash/redis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestashStore, type RestashStoreClient } from '../src/index.js';
import { appWith } from './app.js';

let redis: TestRedis;
let server: TestServer;
let port: number;

beforeAll(async () => {
  redis = await startRedis();
  server = await startServer({ redisUrl: redis.url });
  port = Number(new URL(server.url).port);
});

afterAll(async () => {
  await server.stop();
  await redis.stop();
});

const clients: Record<string, (url: string) => RestashStoreClient> = {
  // Few, short retries, so the request that finds the server gone fails quickly.
  '@restash/core': (url) => new Redis({ url, token: TOKEN, retry: { retries: 1, backoff: () => 10 } }),
  '@upstash/redis': (url) =>
    new UpstashRedis({ url, token: TOKEN, retry: { retries: 1, backoff: () => 10 } }),
};

describe.each(Object.entries(clients))('while the server is down, with %s', (_name, makeClient) => {
  it('serves requests without a session, then recovers the sessions on its own once it is back', async () => {
    const store = new RestashStore({
      client: makeClient(server.url),
      prefix: `outage:${_name}:`,
      healthCheckInterval: 50,
    });
    const events: string[] = [];
    store.on('disconnect', () => events.push('disconnect'));
    store.on('connect', () => events.push('connect'));
    const agent = request.agent(appWith(store));
    await agent.post('/login/ada').expect(200);
    expect((await agent.post('/count').expect(200)).body.count).toBe(1);

    await server.stop();
    // The request that finds the server gone fails (its session cannot be read)…
    expect((await agent.post('/count')).status).toBe(500);
    expect(events).toEqual(['disconnect']);
    // …and the next ones are served without a session instead of failing.
    for (let i = 0; i < 3; i++) {
      expect((await agent.post('/count')).body).toEqual({ error: 'sessions unavailable' });
    }

    server = await startServer({ redisUrl: redis.url, port });
    await until(() => events.length === 2, 10_000);
    expect(events).toEqual(['disconnect', 'connect']);
    // The session survived, and the same cookie finds it.
    expect((await agent.post('/count').expect(200)).body.count).toBe(2);
    expect((await agent.get('/me').expect(200)).body.user).toBe('ada');
    store.close();
  });
});

it('emits disconnect when the Redis behind the server is down (503) and connect when it is back', async () => {
  const store = new RestashStore({ client: clients['@restash/core']!(server.url), healthCheckInterval: 50 });
  const events: string[] = [];
  store.on('disconnect', () => events.push('disconnect'));
  store.on('connect', () => events.push('connect'));
  await redis.kill();
  await expect(store.get('sid')).rejects.toMatchObject({ status: 503 });
  expect(events).toEqual(['disconnect']);
  await redis.start();
  await until(() => events.length === 2, 15_000);
  expect(await store.get('sid')).toBeNull();
  store.close();
});
