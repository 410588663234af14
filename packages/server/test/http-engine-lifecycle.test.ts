/**
 * Request lifecycles on both HTTP engines, observed without node:http's own
 * objects (the fast engine makes no `IncomingMessage`, fires no `request` event
 * for what it serves): shutdown with requests in flight and idle connections, and
 * clients that leave while their token is being checked.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';
import { ENGINES, engineOption } from './fixtures/http/differential.js';
import {
  heldClients,
  holdWrites,
  post,
  prefix,
  startRedis,
  startServer,
  type TestRedis,
  TOKEN,
  until,
} from './helpers.js';

let redis: TestRedis;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await redis?.stop();
});

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('shutdown', () => {
  it.each(ENGINES)(
    '%s: close() answers the requests in flight before it resolves, and closes idle keep-alive connections',
    async (engine) => {
      const server = await startServer({ redisUrl: redis.url, ...engineOption(engine) });
      cleanups.push(() => server.close());
      const port = Number(new URL(server.baseUrl).port);
      const k = prefix();
      // An idle keep-alive connection, answered once.
      const idle = await connect(port);
      let idleText = '';
      idle.on('data', (chunk: Buffer) => {
        idleText += chunk.toString();
      });
      const idleClosed = new Promise((resolve) => idle.once('close', resolve));
      idle.on('error', () => {});
      idle.write(`GET /ping HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
      await until(() => idleText.includes('PONG'));
      // A write held by Redis: in flight for sure once Redis counts it.
      const release = await holdWrites(redis);
      const slow = post(server.baseUrl, '/', ['SET', `${k}a`, 'v'], { headers: { connection: 'close' } });
      await until(async () => (await heldClients(redis)) >= 1);
      const closing = server.close();
      await new Promise((resolve) => setTimeout(resolve, 200));
      await release();
      await closing;
      expect((await slow).body).toEqual({ result: 'OK' });
      await idleClosed;
      expect(idleText.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    },
  );
});

describe('ACL tokens', () => {
  it.each(ENGINES)(
    '%s: answers, and releases the stream of, clients that leave while their token is being checked',
    async (engine) => {
      const lines: string[] = [];
      const server = await startServer({
        redisUrl: redis.url,
        secret: 'a-shared-secret-for-these-tests',
        aclRecheck: 0,
        logger: createLogger('debug', (line) => lines.push(line)),
        ...engineOption(engine),
      });
      cleanups.push(() => server.close());
      const name = `u${prefix().slice(1, -1)}`;
      const channel = `${name}-ch`;
      await redis.cli('ACL', 'SETUSER', name, 'reset', 'on', '>pw', '~*', '&*', '+@all');
      const minted = await post(server.baseUrl, '/', ['ACL', 'RESTTOKEN', name, 'pw']);
      const token = (minted.body as { result: string }).result;
      const answered = () => lines.filter((line) => line.includes('"msg":"request"')).length;
      const before = answered();
      const connections = () =>
        new Promise<number>((resolve) => server.http.getConnections((_, count) => resolve(count)));
      const idleBefore = await connections();
      // The ACL check waits in Redis while the clients come and go.
      await redis.cli('CLIENT', 'PAUSE', '2500', 'ALL');
      const port = Number(new URL(server.baseUrl).port);
      const sockets = await Promise.all(
        [
          `GET /subscribe/${channel} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`,
          `POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Length: 100\r\n\r\n["PI`,
          `GET /ping HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`,
        ].map(async (request) => {
          const socket = await connect(port);
          socket.on('error', () => {});
          socket.write(request);
          return socket;
        }),
      );
      await until(async () => (await connections()) === idleBefore + 3);
      // No engine-neutral signal says a request has been read: give the bytes time to be (Redis holds on for 2.5 s).
      await new Promise((resolve) => setTimeout(resolve, 1000));
      for (const socket of sockets) socket.destroy();
      // Once Redis answers the check, the three requests are over: answered (to no one), nothing left open.
      await until(() => answered() === before + 3, 10_000);
      expect((await post(server.baseUrl, '/', ['PUBSUB', 'NUMSUB', channel])).body).toEqual({
        result: [channel, 0],
      });
      await until(async () => !(await redis.cli('CLIENT', 'LIST')).includes('name=restash-stream'));
      await redis.cli('ACL', 'DELUSER', name);
    },
  );
});

describe('clients that leave mid-request', () => {
  it.each(ENGINES)(
    '%s: leave nothing in flight or open: connections drop to none and close() does not wait',
    async (engine) => {
      const server = await startServer({
        redisUrl: redis.url,
        shutdownTimeout: 30_000,
        ...engineOption(engine),
      });
      let closed = false;
      cleanups.push(() => (closed ? undefined : server.close()));
      const port = Number(new URL(server.baseUrl).port);
      const auth = `Authorization: Bearer ${TOKEN}\r\n`;
      const slow = JSON.stringify([
        'EVAL',
        "local t = redis.call('TIME') repeat local n = redis.call('TIME') until (n[1] - t[1]) * 1000000 + (n[2] - t[2]) > 30000 return 1",
        '0',
      ]);
      const leaving = [
        `GET /ping HTTP/1.1\r\nHost: x\r\nAuthoriz`,
        `POST / HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 100\r\n\r\n["PI`,
        `POST / HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: ${slow.length}\r\n\r\n${slow}`,
        `GET /echo/a HTTP/1.1\r\nHost: x\r\n${auth}\r\n`.repeat(20),
        `POST / HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\n\r\n8\r\n["PI`,
        `HEAD /ping HTTP/1.1\r\nHost: x\r\n${auth}\r\n`,
        `GET /subscribe/c HTTP/1.1\r\nHost: x\r\n${auth}\r\n`,
      ];
      for (let round = 0; round < 10; round++) {
        const sockets = await Promise.all(
          leaving.map(async (bytes) => {
            const socket = await connect(port);
            socket.on('error', () => {});
            socket.write(bytes);
            return socket;
          }),
        );
        await new Promise((resolve) => setTimeout(resolve, 5 * round));
        for (const socket of sockets) socket.destroy();
      }
      const connections = () =>
        new Promise<number>((resolve) => server.http.getConnections((_, count) => resolve(count)));
      await until(async () => (await connections()) === 0);
      // The slow scripts still run in Redis: give them time, then nothing must be left for close() to wait for.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const started = Date.now();
      await server.close();
      closed = true;
      // With a request left counted in flight, close() would wait the whole 30 s shutdown timeout.
      expect(Date.now() - started).toBeLessThan(10_000);
    },
    60_000,
  );
});
