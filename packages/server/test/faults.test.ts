/**
 * Faults of the Redis behind the server: every request is answered, with a
 * JSON error that says whether it may be retried.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createServer } from '../src/index.js';
import {
  freePort,
  post,
  prefix,
  startRedis,
  startServer,
  type TestRedis,
  TOKEN,
  tempDir,
  until,
} from './helpers.js';

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

/** Every answer a writer got: its status and body, and the keys Redis acknowledged. */
interface Tally {
  statuses: number[];
  acknowledged: string[];
  problems: string[];
}

/**
 * `writers` clients each SET fresh keys one after another until `stop()`;
 * every request must be answered (10 s at most: no hang) with a 200, or a JSON
 * 503/504 error (Redis away, nothing or maybe something written).
 */
function writeLoad(base: string, k: string, writers: number) {
  const tally: Tally = { statuses: [], acknowledged: [], problems: [] };
  let stopped = false;
  const done = Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; !stopped; i++) {
        const key = `${k}w${w}:${i}`;
        try {
          const res = await fetch(`${base}/`, {
            method: 'POST',
            headers: { authorization: `Bearer ${TOKEN}` },
            body: JSON.stringify(['SET', key, 'v']),
            signal: AbortSignal.timeout(10_000),
          });
          const body = (await res.json()) as { result?: unknown; error?: unknown };
          tally.statuses.push(res.status);
          if (res.status === 200 && body.result === 'OK') tally.acknowledged.push(key);
          else if (![503, 504].includes(res.status) || typeof body.error !== 'string') {
            tally.problems.push(`${res.status} ${JSON.stringify(body)}`);
          }
        } catch (error) {
          tally.problems.push(`${key}: ${(error as Error).message}`);
        }
      }
    }),
  );
  return {
    tally,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

/** Keys of `keys` that `exists` says are missing, asked in batches. */
async function missing(base: string, keys: string[]): Promise<string[]> {
  const lost: string[] = [];
  for (let i = 0; i < keys.length; i += 500) {
    const batch = keys.slice(i, i + 500);
    const res = await post(
      base,
      '/pipeline',
      batch.map((key) => ['EXISTS', key]),
    );
    (res.body as { result: number }[]).forEach((entry, j) => {
      if (entry.result !== 1) lost.push(batch[j]!);
    });
  }
  return lost;
}

describe('Redis killed under concurrent writes', () => {
  it('answers every request (200, or a JSON 503/504), recovers, and loses no acknowledged write with appendfsync always', async () => {
    const durable = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
    const server = await startServer({ redisUrl: durable.url });
    try {
      const k = prefix();
      const load = writeLoad(server.baseUrl, k, 32);
      await until(() => load.tally.acknowledged.length > 200);
      await durable.kill();
      await until(() => load.tally.statuses.includes(503));
      await durable.start();
      const before = load.tally.acknowledged.length;
      // Recovery: writes are acknowledged again (no timing asserted, only that it happens).
      await until(() => load.tally.acknowledged.length > before + 200);
      await load.stop();
      expect(load.tally.problems).toEqual([]);
      expect(await missing(server.baseUrl, load.tally.acknowledged)).toEqual([]);
    } finally {
      await server.close();
      await durable.stop();
    }
  });

  it('rides out the embedded Redis being killed, with no acknowledged write lost under --appendfsync always', async () => {
    const { dir, remove } = tempDir();
    const server = createServer({
      token: TOKEN,
      port: 0,
      dataDir: dir,
      appendfsync: 'always',
      logger: createLogger('silent'),
    });
    try {
      const base = await server.listen();
      const k = prefix();
      const load = writeLoad(base, k, 16);
      await until(() => load.tally.acknowledged.length > 200);
      const pid = Number(readFileSync(join(dir, 'redis.pid'), 'utf8'));
      process.kill(pid, 'SIGKILL');
      await until(() => load.tally.statuses.includes(503));
      const before = load.tally.acknowledged.length;
      await until(() => load.tally.acknowledged.length > before + 200);
      await load.stop();
      expect(load.tally.problems).toEqual([]);
      expect(await missing(base, load.tally.acknowledged)).toEqual([]);
    } finally {
      await server.close();
      remove();
    }
  });
});

/** A TCP proxy to Redis that can stop forwarding (both ways) without closing anything: a network stall. */
async function stallingProxy(target: number) {
  const port = await freePort();
  const pairs: [net.Socket, net.Socket][] = [];
  let stalled = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    client.on('error', () => {});
    upstream.on('error', () => {});
    client.pipe(upstream);
    upstream.pipe(client);
    if (stalled) {
      client.pause();
      upstream.pause();
    }
    pairs.push([client, upstream]);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${port}`,
    stall() {
      stalled = true;
      for (const [a, b] of pairs) {
        a.unpipe();
        b.unpipe();
        a.pause();
        b.pause();
      }
    },
    resume() {
      stalled = false;
      for (const [a, b] of pairs) {
        a.pipe(b);
        b.pipe(a);
        a.resume();
        b.resume();
      }
    },
    close() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      server.close();
    },
  };
}

describe('a network stall between the server and Redis', () => {
  it('answers 504 within the command timeout instead of hanging, and serves again once the network flows', async () => {
    const target = await startRedis();
    const proxy = await stallingProxy(target.port);
    const server = await startServer({ redisUrl: proxy.url, commandTimeout: 300 });
    try {
      const k = prefix();
      expect((await post(server.baseUrl, '/', ['SET', `${k}a`, '1'])).status).toBe(200);
      proxy.stall();
      const answers = await Promise.all([
        post(server.baseUrl, '/', ['GET', `${k}a`]),
        post(server.baseUrl, '/pipeline', [['GET', `${k}a`]]),
        post(server.baseUrl, '/multi-exec', [['INCR', `${k}n`]]),
      ]);
      for (const answer of answers) {
        expect(answer.status).toBe(504);
        expect(answer.body).toEqual({ error: expect.stringContaining('did not answer within 300 ms') });
      }
      proxy.resume();
      await until(async () => (await post(server.baseUrl, '/', ['GET', `${k}a`])).status === 200);
      expect((await post(server.baseUrl, '/', ['GET', `${k}a`])).body).toEqual({ result: '1' });
    } finally {
      await server.close();
      proxy.close();
      await target.stop();
    }
  });
});
