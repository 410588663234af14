/**
 * Resource bounds under floods: connections, pipeline sizes, and responses to
 * clients that do not read. Each bound answers with a JSON error and frees what it held.
 */
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultMaxClients } from '../src/server.js';
import { call, post, prefix, startRedis, startServer, type TestRedis, TOKEN, until } from './helpers.js';

let redis: TestRedis;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await redis?.stop();
});

async function server(options: Parameters<typeof startServer>[0]) {
  const started = await startServer({ redisUrl: redis.url, ...options });
  closers.push(() => started.close());
  return started;
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('HTTP connections', () => {
  it('answers a connection over --max-clients with a JSON 503 and closes it, and serves again once one closes', async () => {
    const { baseUrl, http } = await server({ maxClients: 3 });
    const port = Number(new URL(baseUrl).port);
    const idle = await Promise.all([connect(port), connect(port), connect(port)]);
    const count = () => new Promise<number>((resolve) => http.getConnections((_, n) => resolve(n)));
    await until(async () => (await count()) === 3);
    const extra = await connect(port);
    let text = '';
    extra.on('data', (chunk) => {
      text += chunk;
    });
    extra.write(`GET /ping HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
    await new Promise((resolve) => extra.once('close', resolve));
    expect(text).toMatch(/^HTTP\/1\.1 503 /);
    // About the server's own limit, not about Redis (clients must not read it as "Redis is down").
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toEqual({
      error: expect.stringMatching(/^ERR server busy: .*--max-clients/),
    });
    idle[0]!.destroy();
    await until(async () => (await count()) === 2);
    expect((await call(baseUrl, '/ping', { headers: { connection: 'close' } })).body).toEqual({
      result: 'PONG',
    });
    for (const socket of idle) socket.destroy();
  });

  it('answers a connection over --max-clients-per-address with a JSON 503, and counts addresses apart', async () => {
    const { baseUrl, http } = await server({ maxClientsPerAddress: 2 });
    const port = Number(new URL(baseUrl).port);
    const count = () => new Promise<number>((resolve) => http.getConnections((_, n) => resolve(n)));
    const held = [await connect(port), await connect(port)];
    await until(async () => (await count()) === 2);
    const extra = await connect(port);
    let text = '';
    extra.on('data', (chunk) => {
      text += chunk;
    });
    await new Promise((resolve) => extra.once('close', resolve));
    expect(text).toMatch(/^HTTP\/1\.1 503 /);
    expect(text).toContain('--max-clients-per-address');
    // Another address (127.0.0.2 is loopback too) has its own count.
    const other = await new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' }, () =>
        resolve(socket),
      );
      socket.once('error', reject);
    });
    await until(async () => (await count()) === 3);
    other.destroy();
    for (const socket of held) socket.destroy();
  });

  it('sizes the default cap from the open-file limit', () => {
    const limits =
      'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 4096                 files\n';
    expect(defaultMaxClients(limits)).toBe(824);
    expect(
      defaultMaxClients('Max open files            200                 4096                 files'),
    ).toBe(100);
    expect(defaultMaxClients('')).toBe(10_000);
  });
});

describe('pipeline size', () => {
  it('refuses a /pipeline or /multi-exec over --max-pipeline-commands with a 413, before running any of it', async () => {
    const { baseUrl } = await server({ maxPipelineCommands: 100 });
    const k = prefix();
    const over = Array.from({ length: 101 }, () => ['INCR', `${k}n`]);
    for (const path of ['/pipeline', '/multi-exec']) {
      const res = await post(baseUrl, path, over);
      expect(res.status).toBe(413);
      expect(res.body).toEqual({
        error: expect.stringMatching(/^ERR too many commands in one request: the limit is 100/),
      });
    }
    expect(await redis.cli('EXISTS', `${k}n`)).toBe('0');
    expect((await post(baseUrl, '/pipeline', over.slice(1))).status).toBe(200);
    expect(await redis.cli('GET', `${k}n`)).toBe('100');
  });

  it('refuses the 1.1 M PING pipeline of the report by default, answering at once', async () => {
    const { baseUrl } = await server({});
    const body = `[${Array.from({ length: 1_100_000 }, () => '["PING"]').join(',')}]`;
    const res = await call(baseUrl, '/pipeline', { method: 'POST', body });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ error: expect.stringContaining('the limit is 10000') });
  });
});

describe('responses to clients that do not read', () => {
  it('holds at most the budget for them, answers 503 beyond it, and frees it after the response timeout', async () => {
    const { baseUrl } = await server({ maxBufferedResponses: 1024 * 1024, responseTimeout: 1000 });
    const port = Number(new URL(baseUrl).port);
    const k = prefix();
    // Bigger than what the kernel's socket buffers take from a reader that does not read.
    const value = 'x'.repeat(8 * 1024 * 1024);
    expect((await post(baseUrl, '/', ['SET', `${k}big`, value])).status).toBe(200);
    // With nothing held, one big answer goes, whatever the budget.
    expect((await post(baseUrl, '/', ['STRLEN', `${k}big`])).body).toEqual({ result: value.length });
    expect((await call(baseUrl, `/get/${encodeURIComponent(`${k}big`)}`)).status).toBe(200);
    const stalled: net.Socket[] = [];
    for (let i = 0; i < 3; i++) {
      const socket = await connect(port);
      socket.pause();
      socket.write(
        `GET /get/${encodeURIComponent(`${k}big`)} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`,
      );
      stalled.push(socket);
    }
    // While they hold the budget, a big answer to anyone is a 503 (small ones still flow).
    let refused: unknown;
    await until(async () => {
      const res = await post(baseUrl, '/', ['GET', `${k}big`]);
      refused = res.body;
      return res.status === 503;
    });
    // About the server's own budget, not about Redis.
    expect(refused).toEqual({ error: expect.stringMatching(/^ERR server busy: .*read slowly/) });
    expect((await post(baseUrl, '/', ['PING'])).body).toEqual({ result: 'PONG' });
    // Without the response timeout they would hold it as long as they stay connected: this would never pass.
    await until(async () => (await post(baseUrl, '/', ['GET', `${k}big`])).status === 200, 10_000);
    const after = await post(baseUrl, '/', ['GET', `${k}big`]);
    expect(after.status).toBe(200);
    for (const socket of stalled) socket.destroy();
  });
});

/** File descriptors this process holds (Linux). */
function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

describe('floods', () => {
  it('holds its descriptors within --max-clients under idle, slowloris and half-open floods, answering the rest with JSON', async () => {
    const { baseUrl, http } = await server({ maxClients: 300 });
    const port = Number(new URL(baseUrl).port);
    const fdsBefore = openFds();
    const flood: net.Socket[] = [];
    let refused = 0;
    const open = (write?: string) =>
      new Promise<void>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          if (write) socket.write(write);
          resolve();
        });
        let text = '';
        socket.on('error', () => resolve());
        socket.on('data', (chunk) => {
          text += chunk;
          if (text.startsWith('HTTP/1.1 503 ') && text.includes('--max-clients')) refused++;
        });
        flood.push(socket);
      });
    const batches = [
      // idle: connect and say nothing
      Array.from({ length: 250 }, () => open()),
      // slowloris: a request line and one header, never finished
      Array.from({ length: 100 }, () => open(`GET /ping HTTP/1.1\r\nHost: x\r\nX-a: `)),
      // half-open: a body announced and never sent
      Array.from({ length: 100 }, () =>
        open(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n["PI`),
      ),
    ];
    for (const batch of batches) await Promise.all(batch);
    const count = () => new Promise<number>((resolve) => http.getConnections((_, n) => resolve(n)));
    // 450 connections tried: the server keeps 300 of them, and each of the other 150 got a JSON 503.
    await until(async () => refused === 150 && (await count()) === 300);
    // This process holds both ends: the test's 450 client sockets and the server's 300.
    expect(openFds() - fdsBefore).toBeLessThan(450 + 300 + 50);
    const extra = await call(baseUrl, '/ping');
    expect(extra).toMatchObject({ status: 503, body: { error: expect.stringContaining('--max-clients') } });
    for (const socket of flood) socket.destroy();
    await until(async () => (await count()) === 0);
    expect((await call(baseUrl, '/ping')).body).toEqual({ result: 'PONG' });
  });

  it('keeps serving others, and memory bounded, while 16 clients send 9.9 MB pipelines of PINGs', async () => {
    const { baseUrl } = await server({});
    const body = `[${Array.from({ length: 1_100_000 }, () => '["PING"]').join(',')}]`.slice(0, 9_900_000);
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const floods = Array.from({ length: 16 }, () => call(baseUrl, '/pipeline', { method: 'POST', body }));
    const ping = await call(baseUrl, '/ping');
    const answers = await Promise.all(floods);
    clearInterval(sampler);
    expect(ping.body).toEqual({ result: 'PONG' });
    for (const answer of answers) expect(answer.status).toBe(413);
    // Before the command limit this reached 3.1 GB (every PING parsed, sent and answered).
    expect(peak - rssBefore).toBeLessThan(1024 * 1024 * 1024);
  });
});
