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
    const first = await storage.increment('k', 10_000, 1, 5_000, 'default');
    expect(first).toEqual({ totalHits: 1, timeToExpire: 10, isBlocked: false, timeToBlockExpire: 0 });
    const second = await storage.increment('k', 10_000, 1, 5_000, 'default');
    expect(second).toMatchObject({ totalHits: 2, isBlocked: true, timeToBlockExpire: 5 });
    const third = await storage.increment('k', 10_000, 1, 5_000, 'default');
    expect(third.isBlocked).toBe(true);
    const other = await storage.increment('k', 10_000, 1, 5_000, 'other');
    expect(other.isBlocked).toBe(false);
  });

  it('lets requests through when the server is unreachable, unless told to throw', async () => {
    const down = new Redis({ url: `http://127.0.0.1:${await freePort()}`, token: TOKEN, retry: false });
    const open = await startApp(down, prefix());
    await request(open.getHttpServer()).get('/ping').expect(200);
    const strict = await startApp(down, prefix(), 3, { onError: 'throw' });
    await request(strict.getHttpServer()).get('/ping').expect(500);
  });

  it('refuses bad options', () => {
    expect(() => new RestashThrottlerStorage(null as never)).toThrow(/\[restash\/nestjs\]/);
    expect(() => new RestashThrottlerStorage(stack.client(), { onError: 'ignore' as never })).toThrow(
      /onError/,
    );
  });
});
