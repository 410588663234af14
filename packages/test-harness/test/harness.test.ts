import { afterAll, describe, expect, it } from 'vitest';
import { keys, READ_ONLY_TOKEN, sharedClient, sharedStack, startRedis, useStack } from '../src/index.js';

describe('useStack', () => {
  const stack = useStack();

  it('serves real Redis commands through our server over HTTP', async () => {
    const redis = stack.client();
    expect(await redis.ping()).toBe('PONG');
    const k = keys(redis);
    await redis.set(k.key('a'), { n: 1 });
    expect(await redis.get(k.key('a'))).toEqual({ n: 1 });
    expect(await k.cleanup()).toBe(1);
    expect(await redis.exists(k.key('a'))).toBe(0);
  });

  it('refuses writes with the read-only token', async () => {
    const ro = stack.client({ token: READ_ONLY_TOKEN, retry: false });
    await expect(ro.set('x', 1)).rejects.toThrow(/NOPERM|read-only|not allowed/i);
  });
});

describe('keys', () => {
  const stack = useStack();

  it('cleans up only its own prefix, across several SCAN pages', async () => {
    const redis = stack.client();
    const mine = keys(redis);
    const other = keys(redis);
    const pipe = redis.pipeline();
    for (let i = 0; i < 2500; i++) pipe.set(mine.key(String(i)), i);
    pipe.set(other.key('kept'), 1);
    await pipe.exec();
    expect(await mine.cleanup()).toBe(2500);
    expect(await redis.get(other.key('kept'))).toBe(1);
  });
});

describe('global setup', () => {
  it('hands the shared stack to tests', async () => {
    const { url, token } = sharedStack();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(token).toBeTruthy();
    expect(await sharedClient().ping()).toBe('PONG');
  });
});

describe('startRedis', () => {
  const held: Array<{ stop(): Promise<void> }> = [];
  afterAll(() => Promise.all(held.map((r) => r.stop())));

  it('starts Redis on a free port other than 6379, and stops it', async () => {
    const redis = await startRedis();
    held.push(redis);
    expect(redis.port).not.toBe(6379);
    expect(await redis.cli('PING')).toBe('PONG');
    await redis.stop();
    expect(await redis.cli('PING')).not.toBe('PONG');
  });
});
