/**
 * Requests Node's HTTP layer sees before our handler does, or bodies we cannot
 * read: every one answered with a JSON error, never an empty body or a silent close.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, startServer, type TestRedis, TOKEN, until } from './helpers.js';

let redis: TestRedis;
let port: number;
let close: () => Promise<void>;
let connections: () => Promise<number>;

beforeAll(async () => {
  redis = await startRedis();
  const server = await startServer({ redisUrl: redis.url });
  port = Number(new URL(server.baseUrl).port);
  close = () => server.close();
  connections = () =>
    new Promise((resolve, reject) =>
      server.http.getConnections((error, count) => (error ? reject(error) : resolve(count))),
    );
});

afterAll(async () => {
  await close?.();
  await redis?.stop();
});

/** Sends raw bytes and collects what comes back until the server closes, or `ms` pass. */
function raw(request: string, ms = 2000): Promise<{ text: string; status: number; body: unknown }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk;
    });
    socket.on('error', () => {});
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on('close', () => {
      clearTimeout(timer);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      const bodyText = text.slice(text.indexOf('\r\n\r\n') + 4);
      let body: unknown;
      try {
        body = JSON.parse(bodyText);
      } catch {
        body = undefined;
      }
      resolve({ text, status, body });
    });
    socket.write(request);
  });
}

const auth = `Authorization: Bearer ${TOKEN}\r\n`;

describe("requests Node's HTTP parser handles", () => {
  it('serves a request without a Host header (HTTP/1.0 style) instead of an empty 400', async () => {
    const res = await raw(`GET /ping HTTP/1.1\r\n${auth}Connection: close\r\n\r\n`);
    expect(res).toMatchObject({ status: 200, body: { result: 'PONG' } });
  });

  it('answers an Expect header other than 100-continue with a JSON 417', async () => {
    const res = await raw(
      `POST / HTTP/1.1\r\nHost: x\r\n${auth}Expect: something\r\nContent-Length: 8\r\n\r\n["PING"]`,
    );
    expect(res.status).toBe(417);
    expect(res.body).toEqual({ error: expect.stringMatching(/^ERR unsupported Expect header/) });
  });

  it('answers CONNECT with a JSON 405 instead of closing without a byte', async () => {
    const res = await raw('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    expect(res.status).toBe(405);
    expect(res.body).toEqual({ error: expect.stringMatching(/^ERR method CONNECT is not allowed/) });
  });

  it('destroys a refused connection whose client never closes its side', async () => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    socket.on('error', () => {});
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk;
    });
    await new Promise((resolve) => socket.once('connect', resolve));
    await until(async () => (await connections()) === 1);
    socket.write('NOT HTTP AT ALL\r\n\r\n');
    await new Promise((resolve) => socket.once('end', resolve));
    expect(text).toContain('ERR malformed HTTP request');
    // Without the grace timer the server half-closes and keeps the socket (FIN-WAIT-2) for good.
    await until(async () => (await connections()) === 0, 20_000);
    socket.destroy();
  });
});

describe('content codings', () => {
  it.each([
    ['Transfer-Encoding: gzip, chunked', '8\r\n["PING"]\r\n0\r\n\r\n'],
    ['Transfer-Encoding: deflate, chunked', '8\r\n["PING"]\r\n0\r\n\r\n'],
    ['Content-Encoding: gzip\r\nContent-Length: 8', '["PING"]'],
    ['Content-Encoding: br\r\nContent-Length: 8', '["PING"]'],
  ])('refuses a body sent with %s (415), not read as text', async (header, body) => {
    const res = await raw(`POST / HTTP/1.1\r\nHost: x\r\n${auth}${header}\r\n\r\n${body}`);
    expect(res.status).toBe(415);
    expect(res.body).toEqual({
      error: expect.stringMatching(/^ERR (Transfer|Content)-Encoding .* not supported/),
    });
  });

  it('reads chunked and identity bodies', async () => {
    const chunked = await raw(
      `POST / HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n8\r\n["PING"]\r\n0\r\n\r\n`,
    );
    expect(chunked).toMatchObject({ status: 200, body: { result: 'PONG' } });
    const identity = await raw(
      `POST / HTTP/1.1\r\nHost: x\r\n${auth}Content-Encoding: identity\r\nContent-Length: 8\r\nConnection: close\r\n\r\n["PING"]`,
    );
    expect(identity).toMatchObject({ status: 200, body: { result: 'PONG' } });
  });
});
