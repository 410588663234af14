/**
 * The documented connection limits on both HTTP engines (`httpEngine: 'node'` and
 * `'fast'`), side by side: slowloris clients, slow bodies, idle keep-alive
 * connections and hundreds of idle connections over `--max-clients`.
 *
 * The documented limits (README, "Limits that hold for every client") are 16 KiB
 * of request head received within 30 s, a whole request within 120 s, and idle
 * keep-alive connections closed after 65 s. Both engines take those from the
 * node:http server, `RestashServer.http` (`headersTimeout`, `requestTimeout`,
 * `keepAliveTimeout`): these tests check the defaults there and shorten them, so
 * that each limit is seen acting within seconds.
 */
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createServer, type RestashServer, type ServerOptions } from '../src/index.js';
import { ENGINES, type Engine, engineOption } from './fixtures/http/differential.js';
import { parseResponses } from './fixtures/http/wire.js';
import { READ_ONLY_TOKEN, startRedis, type TestRedis, TOKEN, until } from './helpers.js';

const HEADERS_TIMEOUT = 1500;
const REQUEST_TIMEOUT = 3000;
const KEEP_ALIVE_TIMEOUT = 1500;
/** Beyond a limit, how long the server may take to act on it: its timers are coarse, the machine busy. */
const SLACK = 6000;

let redis: TestRedis;
const closers: (() => Promise<void>)[] = [];

interface Started {
  server: RestashServer;
  port: number;
  connections: () => Promise<number>;
}

/** A server on `engine` with the timeouts shortened on `server.http` before it listens. */
async function start(engine: Engine, options: Partial<ServerOptions> = {}): Promise<Started> {
  const server = createServer({
    port: 0,
    logger: createLogger('silent'),
    token: TOKEN,
    readOnlyToken: READ_ONLY_TOKEN,
    redisUrl: redis.url,
    ...options,
    ...engineOption(engine),
  });
  // The documented defaults, before they are shortened for the test.
  expect([server.http.headersTimeout, server.http.requestTimeout, server.http.keepAliveTimeout]).toEqual([
    30_000, 120_000, 65_000,
  ]);
  server.http.headersTimeout = HEADERS_TIMEOUT;
  server.http.requestTimeout = REQUEST_TIMEOUT;
  server.http.keepAliveTimeout = KEEP_ALIVE_TIMEOUT;
  // node:http looks for expired requests this often (read when it starts listening).
  // (A constructor option that @types/node does not declare as a property; node:http reads the property.)
  (server.http as { connectionsCheckingInterval?: number }).connectionsCheckingInterval = 200;
  const url = await server.listen();
  closers.push(() => server.close());
  const connections = () =>
    new Promise<number>((resolve, reject) =>
      server.http.getConnections((error, count) => (error ? reject(error) : resolve(count))),
    );
  return { server, port: Number(new URL(url).port), connections };
}

/** A raw connection: what it received, and when the server closed it. */
interface Raw {
  socket: net.Socket;
  text: () => string;
  closed: Promise<number>;
  isClosed: () => boolean;
}

function connect(port: number): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    let text = '';
    let isClosed = false;
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
    });
    const closed = new Promise<number>((done) => {
      const end = () => {
        isClosed = true;
        done(Date.now());
      };
      socket.once('end', end);
      socket.once('close', end);
    });
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, text: () => text, closed, isClosed: () => isClosed }));
    socket.once('error', reject);
  });
}

const ping = `GET /ping HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`;
const pingAndClose = `GET /ping HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`;

/** One request on a new connection; resolves with everything the server sent before closing. */
async function once(port: number, request = pingAndClose): Promise<string> {
  const raw = await connect(port);
  raw.socket.write(request);
  await Promise.race([raw.closed, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  raw.socket.destroy();
  return raw.text();
}

/** Heap and buffer bytes still held after full garbage collections. */
function retained(): number {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

function jsonBody(text: string): unknown {
  return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
}

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await redis?.stop();
});

// Each test has connections of its own: the engines and the tests run side by side.
describe.concurrent('timeouts', () => {
  const servers = {} as Record<Engine, Started>;
  beforeAll(async () => {
    for (const engine of ENGINES) servers[engine] = await start(engine);
  });

  it.each(ENGINES)(
    '%s: cuts off slowloris clients (headers one byte every 100 ms) with a JSON 408 within the header timeout, serving others meanwhile',
    async (engine) => {
      const { port } = servers[engine];
      const started = Date.now();
      const slow = await Promise.all(Array.from({ length: 20 }, () => connect(port)));
      const drips = slow.map((raw) => {
        raw.socket.write('GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: ');
        return setInterval(() => {
          if (!raw.isClosed()) raw.socket.write('a');
        }, 100);
      });
      try {
        // Others are served while the slow ones drip.
        const served = await once(port);
        expect(served).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
        expect(jsonBody(served)).toEqual({ result: 'PONG' });
        const closedAt = await Promise.all(slow.map((raw) => raw.closed));
        for (const at of closedAt) expect(at - started).toBeLessThan(HEADERS_TIMEOUT + SLACK);
        for (const raw of slow) {
          expect(raw.text()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
          expect(jsonBody(raw.text())).toEqual({ error: 'ERR request timeout' });
        }
      } finally {
        for (const drip of drips) clearInterval(drip);
        for (const raw of slow) raw.socket.destroy();
      }
    },
    30_000,
  );

  it.each(ENGINES)(
    '%s: cuts off a second request on a keep-alive connection whose headers come one byte every 100 ms',
    async (engine) => {
      const { port } = servers[engine];
      const raw = await connect(port);
      raw.socket.write(ping);
      await until(() => raw.text().includes('PONG'));
      const answer = raw.text();
      const started = Date.now();
      raw.socket.write('GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      const drip = setInterval(() => {
        if (!raw.isClosed()) raw.socket.write('a');
      }, 100);
      try {
        const closedAt = await raw.closed;
        expect(closedAt - started).toBeLessThan(HEADERS_TIMEOUT + SLACK);
        const after = raw.text().slice(answer.length);
        expect(after).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
        expect(jsonBody(after)).toEqual({ error: 'ERR request timeout' });
      } finally {
        clearInterval(drip);
        raw.socket.destroy();
      }
    },
    30_000,
  );

  it.each(ENGINES)(
    '%s: cuts off a body sent one byte every 100 ms with a JSON 408 within the request timeout',
    async (engine) => {
      const { port } = servers[engine];
      const started = Date.now();
      const raw = await connect(port);
      raw.socket.write(
        `POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 1000\r\n\r\n["ECHO","`,
      );
      const drip = setInterval(() => {
        if (!raw.isClosed()) raw.socket.write('a');
      }, 100);
      try {
        const closedAt = await raw.closed;
        expect(closedAt - started).toBeLessThan(REQUEST_TIMEOUT + SLACK);
        expect(raw.text()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
        expect(jsonBody(raw.text())).toEqual({ error: 'ERR request timeout' });
      } finally {
        clearInterval(drip);
        raw.socket.destroy();
      }
    },
    30_000,
  );

  it.each(ENGINES)(
    '%s: closes a keep-alive connection idle after its answer within the keep-alive timeout, sending nothing more',
    async (engine) => {
      const { port } = servers[engine];
      const raw = await connect(port);
      raw.socket.write(ping);
      await until(() => raw.text().includes('PONG'));
      const answered = Date.now();
      const answer = raw.text();
      expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      const closedAt = await raw.closed;
      expect(closedAt - answered).toBeLessThan(KEEP_ALIVE_TIMEOUT + SLACK);
      expect(raw.text()).toBe(answer);
      raw.socket.destroy();
    },
    30_000,
  );

  it.each(ENGINES)(
    '%s: closes a connection that never sends a byte with a JSON 408 within the header timeout',
    async (engine) => {
      const { port } = servers[engine];
      const started = Date.now();
      const raw = await connect(port);
      const closedAt = await raw.closed;
      expect(closedAt - started).toBeLessThan(HEADERS_TIMEOUT + SLACK);
      expect(raw.text()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      raw.socket.destroy();
    },
    30_000,
  );
});

describe.concurrent('many idle connections', () => {
  const MAX_CLIENTS = 100;
  const servers = {} as Record<Engine, Started>;
  beforeAll(async () => {
    for (const engine of ENGINES) {
      servers[engine] = await start(engine, { maxClients: MAX_CLIENTS });
    }
  });

  it.each(ENGINES)(
    '%s: holds --max-clients of 300 idle connections, answers the others a JSON 503 and closes them, then frees them at the header timeout and serves again',
    async (engine) => {
      const { port, connections, server } = servers[engine];
      // Long enough for 300 connections to be opened on a busy machine before the first is cut.
      server.http.headersTimeout = 8000;
      server.http.requestTimeout = 8000;
      const idle: Raw[] = [];
      try {
        for (let batch = 0; batch < 3; batch++) {
          idle.push(...(await Promise.all(Array.from({ length: 100 }, () => connect(port)))));
        }
        const refused = () => idle.filter((raw) => raw.isClosed() && raw.text().startsWith('HTTP/1.1 503 '));
        await until(
          async () => refused().length === 300 - MAX_CLIENTS && (await connections()) === MAX_CLIENTS,
        );
        for (const raw of refused()) {
          expect(jsonBody(raw.text())).toEqual({ error: expect.stringContaining('--max-clients') });
        }
        // Full: one more, even with a request ready, is refused the same way.
        const extra = await once(port);
        expect(extra).toMatch(/^HTTP\/1\.1 503 /);
        expect(jsonBody(extra)).toEqual({ error: expect.stringContaining('--max-clients') });
        // The header timeout frees the idle ones (a JSON 408 each), and the server serves again.
        await until(async () => (await connections()) === 0, 8000 + SLACK + 10_000);
        for (const raw of idle.filter((r) => !refused().includes(r))) {
          expect(raw.text()).toMatch(/^HTTP\/1\.1 408 /);
        }
        expect(jsonBody(await once(port))).toEqual({ result: 'PONG' });
      } finally {
        for (const raw of idle) raw.socket.destroy();
      }
    },
    60_000,
  );
});

describe('a client that pipelines requests and does not read', () => {
  const BUDGET = 8 * 1024 * 1024;
  const VALUE = 100 * 1024;
  const COUNT = 2000;

  it.each(ENGINES)(
    '%s: holds no more than --max-buffered-responses for it (not 2000 big answers), and answers every request in order once it reads',
    async (engine) => {
      const { port, server } = await start(engine, { maxBufferedResponses: BUDGET });
      // The documented timeouts: none of them is what this is about.
      server.http.headersTimeout = 30_000;
      server.http.requestTimeout = 120_000;
      server.http.keepAliveTimeout = 65_000;
      const key = `hl${Math.random().toString(36).slice(2, 8)}`;
      await redis.cli('SET', key, 'x'.repeat(VALUE));
      const before = retained();
      const socket = net.connect({ port, host: '127.0.0.1' });
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.pause();
      socket.write(
        `GET /get/${key} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`.repeat(COUNT),
      );
      // Time for the server to read, run and answer as much as it will.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const held = retained() - before;
      const statuses: string[] = [];
      let tail = '';
      socket.on('data', (chunk: Buffer) => {
        const text = tail + chunk.toString('latin1');
        let end = 0;
        for (const match of text.matchAll(/HTTP\/1\.1 (\d{3}) /g)) {
          statuses.push(match[1]!);
          end = match.index + match[0].length;
        }
        tail = text.slice(Math.max(end, text.length - 16));
      });
      let closed = false;
      socket.once('close', () => {
        closed = true;
      });
      socket.on('error', () => {});
      socket.resume();
      try {
        await until(() => statuses.length === COUNT || closed, 30_000);
        expect(
          statuses.length,
          `answers before the connection closed (${Math.round(held / 1e6)} MB held)`,
        ).toBe(COUNT);
        // 200 for the answers that fit the budget; 503 (node:http) for the others, or none if the engine
        // stopped reading the requests until the client read the answers.
        expect(
          statuses.every((status) => status === '200' || status === '503'),
          statuses.join(),
        ).toBe(true);
        expect(statuses[0]).toBe('200');
        // Without a bound this holds all 2000 answers (200 MB).
        expect(held, `${Math.round(held / 1e6)} MB held`).toBeLessThan(BUDGET + 48 * 1024 * 1024);
      } finally {
        socket.destroy();
      }
    },
    60_000,
  );
});

describe('a client that does not read while others are served', () => {
  it.each(ENGINES)(
    '%s: gets every answer intact once it reads, though the answers of others were made meanwhile',
    async (engine) => {
      // Over 100 MB of budget: every answer is a 200 here, the slow client is not cut off.
      const { port, server } = await start(engine, { maxBufferedResponses: 128 * 1024 * 1024 });
      server.http.headersTimeout = 30_000;
      server.http.requestTimeout = 120_000;
      server.http.keepAliveTimeout = 65_000;
      const id = Math.random().toString(36).slice(2, 8);
      // Answers of about 4 KB: what the fast engine encodes in its scratch buffer.
      const slowValue = 'a'.repeat(4000);
      const otherValue = 'b'.repeat(4000);
      await redis.cli('SET', `slow${id}`, slowValue);
      await redis.cli('SET', `other${id}`, otherValue);
      const COUNT = 5000; // about 20 MB of answers: more than loopback's socket buffers hold
      const slow = net.connect({ port, host: '127.0.0.1' });
      await new Promise((resolve) => slow.once('connect', resolve));
      slow.pause();
      slow.write(
        `GET /get/slow${id} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`.repeat(COUNT),
      );
      // The server writes until the client's socket takes no more; then another client is served.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const others = await Promise.all(
        Array.from({ length: 200 }, () =>
          fetch(`http://127.0.0.1:${port}/get/other${id}`, {
            headers: { authorization: `Bearer ${TOKEN}` },
          }).then((response) => response.json()),
        ),
      );
      expect(others.every((body) => body.result === otherValue)).toBe(true);
      const chunks: Buffer[] = [];
      // Status lines seen so far (counted as they come; the bodies are only a's).
      let seen = 0;
      let tail = '';
      slow.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        const text = tail + chunk.toString('latin1');
        seen += text.match(/HTTP\/1\.1 /g)?.length ?? 0;
        tail = text.slice(-8);
      });
      slow.resume();
      const expected = `{"result":"${slowValue}"}`;
      try {
        await until(() => seen >= COUNT, 30_000);
        const { responses } = parseResponses(Buffer.concat(chunks), new Array(COUNT).fill(false));
        expect(responses).toHaveLength(COUNT);
        const wrong = responses.findIndex((r) => r.status !== 200 || r.body.toString('latin1') !== expected);
        expect(wrong, `answer ${wrong}`).toBe(-1);
      } finally {
        slow.destroy();
      }
    },
    60_000,
  );
});
