/**
 * RedisConnection's `hold` (Sentinel-found masters) against a real
 * redis-server, and a cluster with no slot map.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BackendFailure } from '../src/backend/backend.js';
import { RedisConnection } from '../src/backend/connection.js';
import { createLogger } from '../src/index.js';
import type { Reply } from '../src/resp/resp.js';
import { freePort, post, startRedis, startServer } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function holdingConnection(port: number, commandTimeout: number): RedisConnection {
  const connection = new RedisConnection({
    endpoint: { host: '127.0.0.1', port, tls: false, db: 0 },
    log: createLogger('silent'),
    name: 'hold-test',
    connectTimeout: 500,
    commandTimeout,
    hold: true,
  });
  cleanups.push(() => connection.close());
  return connection;
}

describe('RedisConnection hold', () => {
  it('lets go of held commands once answered at their deadline, and is not busy after', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const connection = holdingConnection(redis.port, 200);
    await connection.connect();
    await redis.kill();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const value = 'x'.repeat(10_000);
    const answers = Array.from(
      { length: 500 },
      (_, i) =>
        new Promise<Reply[] | BackendFailure>((resolve) =>
          connection.send([['SET', `k${i}`, value]], resolve),
        ),
    );
    const results = await Promise.all(answers);
    for (const result of results) expect(result).toBeInstanceOf(BackendFailure);
    // Every command was answered (unsent, deadline passed); give the sweep one more round.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const parked = (connection as unknown as { offline: unknown[] }).offline.length;
    // Answered commands (with their 10 kB values) should not stay parked until Redis comes back.
    expect({ parked, busy: connection.busy }).toEqual({ parked: 0, busy: false });
  }, 20_000);
});

describe('reconnect() on a master switch', () => {
  it('a switch that comes while an attempt to the old master hangs tries the new one at once', async () => {
    const live = await startRedis();
    cleanups.push(() => live.stop());
    const old = await startRedis();
    cleanups.push(() => old.stop());
    // A master that is unreachable the slow way: takes the TCP connection, never answers (a dead host behind a proxy).
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const refused = await freePort();
    let target = old.port;
    const connection = new RedisConnection({
      endpoint: () => ({ host: '127.0.0.1', port: target, tls: false, db: 0 }),
      log: createLogger('silent'),
      name: 'hold-test',
      connectTimeout: 5000,
      commandTimeout: 5000,
      hold: true,
    });
    cleanups.push(() => connection.close());
    await connection.connect();
    // The master dies; attempts fail (back-off grows to 1 s), then one hangs.
    target = refused;
    await old.kill();
    await new Promise((resolve) => setTimeout(resolve, 1600));
    target = (silent.address() as net.AddressInfo).port;
    await new Promise((resolve) => {
      const wait = setInterval(() => {
        if (sockets.size > 0) {
          clearInterval(wait);
          resolve(undefined);
        }
      }, 10);
    });
    const answer = new Promise<Reply[] | BackendFailure>((resolve) => connection.send([['PING']], resolve));
    // Sentinel names the new master (+switch-master): the database calls reconnect().
    target = live.port;
    const switched = Date.now();
    connection.reconnect('the master moved');
    expect(await answer).toEqual(['PONG']);
    expect(Date.now() - switched).toBeLessThan(300);
  }, 20_000);
});

describe('cluster with no slot map', () => {
  it('answers 503 at once when no seed was ever reachable (nothing to fail over)', async () => {
    const port = await freePort();
    const server = await startServer({
      redisCluster: [`redis://127.0.0.1:${port}`],
      commandTimeout: 3000,
      connectTimeout: 500,
    });
    cleanups.push(() => server.close());
    const started = Date.now();
    const res = await post(server.baseUrl, '/', ['SET', 'k', 'v']);
    expect(res.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(1000);
  }, 20_000);
});
