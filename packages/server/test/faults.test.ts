/**
 * Faults of the Redis behind the server: every request is answered, with a
 * JSON error that says whether it may be retried.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, prefix, startRedis, startServer, type TestRedis, until } from './helpers.js';

let redis: TestRedis;
let base: string;
let close: () => Promise<void>;

beforeAll(async () => {
  redis = await startRedis(['--enable-debug-command', 'yes']);
  const server = await startServer({ redisUrl: redis.url });
  base = server.baseUrl;
  close = () => server.close();
});

afterAll(async () => {
  await close?.();
  await redis?.stop();
});

describe('Redis loading its data (LOADING)', () => {
  it('answers 503 with Redis text on every route while Redis loads, then serves again', async () => {
    const k = prefix();
    await redis.cli('SET', `${k}a`, 'v');
    await redis.cli('DEBUG', 'POPULATE', '1500', `${k}fill`);
    // Loading takes ~1.5 s (1 ms a key) and lets clients in between (LOADING) every 1 KiB.
    await redis.cli('CONFIG', 'SET', 'loading-process-events-interval-bytes', '1024');
    await redis.cli('CONFIG', 'SET', 'key-load-delay', '1000');
    const reload = redis.cli('DEBUG', 'RELOAD');
    await until(async () => (await redis.cli('GET', `${k}a`)).startsWith('LOADING'), 5000);
    const loading = { status: 503, body: { error: expect.stringMatching(/^LOADING /) } };
    expect(await post(base, '/', ['GET', `${k}a`])).toMatchObject(loading);
    expect(await post(base, '/pipeline', [['PING'], ['SET', `${k}b`, '1']])).toMatchObject(loading);
    expect(await post(base, '/multi-exec', [['SET', `${k}b`, '1']])).toMatchObject(loading);
    await reload;
    await redis.cli('CONFIG', 'SET', 'key-load-delay', '0');
    expect((await post(base, '/', ['GET', `${k}a`])).body).toEqual({ result: 'v' });
    expect(await redis.cli('EXISTS', `${k}b`)).toBe('0');
  });
});
