import 'reflect-metadata';
import { Controller, Get, type INestApplication } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { Redis } from '@restash/core';
import { freePort, TOKEN, useStack } from '@restash/test-harness';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { RestashThrottlerStorage, type RestashThrottlerStorageOptions } from '../src/index.js';

const stack = useStack();
const apps: INestApplication[] = [];
afterAll(async () => {
  for (const app of apps) await app.close();
});

@Controller()
class PingController {
  @Get('ping')
  ping(): { ok: true } {
    return { ok: true };
  }
}

async function startApp(
  redis: Redis,
  prefix: string,
  limit = 3,
  options: RestashThrottlerStorageOptions = {},
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ThrottlerModule.forRoot({
        throttlers: [{ ttl: 60_000, limit }],
        storage: new RestashThrottlerStorage(redis, { prefix, ...options }),
      }),
    ],
    controllers: [PingController],
    providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  apps.push(app);
  return app;
}

const prefix = () => `th${Math.random().toString(36).slice(2, 10)}`;

describe('RestashThrottlerStorage', () => {
  it('answers 429 with Retry-After once the limit is passed', async () => {
    const app = await startApp(stack.client(), prefix());
    const server = app.getHttpServer();
    for (let i = 0; i < 3; i++) await request(server).get('/ping').expect(200);
    const refused = await request(server).get('/ping').expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('counts hits of two app instances against one limit', async () => {
    const shared = prefix();
    const a = await startApp(stack.client(), shared);
    const b = await startApp(stack.client(), shared);
    await request(a.getHttpServer()).get('/ping').expect(200);
    await request(b.getHttpServer()).get('/ping').expect(200);
    await request(a.getHttpServer()).get('/ping').expect(200);
    await request(b.getHttpServer()).get('/ping').expect(429);
  });

  it('returns the hit count, the window and the block in the record', async () => {
    const storage = new RestashThrottlerStorage(stack.client(), { prefix: prefix() });
    const first = await storage.increment('k', 60_000, 2, 60_000, 'default');
    expect(first).toMatchObject({ totalHits: 1, isBlocked: false, timeToBlockExpire: 0 });
    expect(first.timeToExpire).toBeGreaterThan(0);
    expect(first.timeToExpire).toBeLessThanOrEqual(60);
    expect(await storage.increment('k', 60_000, 2, 60_000, 'default')).toMatchObject({
      totalHits: 2,
      isBlocked: false,
    });
    const third = await storage.increment('k', 60_000, 2, 60_000, 'default');
    expect(third).toMatchObject({ totalHits: 3, isBlocked: true });
    expect(third.timeToBlockExpire).toBe(third.timeToExpire);
    const other = await storage.increment('k', 60_000, 2, 60_000, 'other');
    expect(other.isBlocked).toBe(false);
  });

  it('lets requests through when the server is unreachable, or refuses them with failMode closed', async () => {
    const down = new Redis({ url: `http://127.0.0.1:${await freePort()}`, token: TOKEN, retry: false });
    const open = await startApp(down, prefix());
    await request(open.getHttpServer()).get('/ping').expect(200);
    const strict = await startApp(down, prefix(), 3, { failMode: 'closed' });
    await request(strict.getHttpServer()).get('/ping').expect(429);
  });

  it('keeps a blockDuration longer than the window in a key of its own', async () => {
    const storage = new RestashThrottlerStorage(stack.client(), { prefix: prefix() });
    // A fixed window of 1 s starts at each whole second of the clock: two hits that straddle
    // one are in two windows, and the second is not over the limit. Start early in a window.
    const into = Date.now() % 1000;
    if (into > 500) await new Promise((resolve) => setTimeout(resolve, 1010 - into));
    await storage.increment('k', 1_000, 1, 30_000, 'default');
    const blocked = await storage.increment('k', 1_000, 1, 30_000, 'default');
    expect(blocked).toMatchObject({ isBlocked: true, timeToBlockExpire: 30 });
    expect(blocked.timeToExpire).toBeLessThanOrEqual(1);
  });

  it('refuses bad options', () => {
    expect(() => new RestashThrottlerStorage(null as never)).toThrow(/\[restash\/nestjs\]/);
    expect(() => new RestashThrottlerStorage(stack.client(), { failMode: 'ignore' as never })).toThrow(
      /failMode/,
    );
  });
});
