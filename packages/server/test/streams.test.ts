import { once } from 'node:events';
import net from 'node:net';
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  post,
  prefix,
  READ_ONLY_TOKEN,
  startRedis,
  startServer,
  type TestRedis,
  TOKEN,
  until,
} from './helpers.js';

let redis: TestRedis;
let server: Awaited<ReturnType<typeof startServer>>;
let base: string;

beforeAll(async () => {
  redis = await startRedis();
  server = await startServer({ redisUrl: redis.url, sseHeartbeat: 100, sseMaxBuffer: 64 * 1024 });
  base = server.baseUrl;
});

afterAll(async () => {
  await server.close();
  await redis.stop();
});

/** Opens an SSE stream with fetch and collects its text. */
async function openStream(path: string, token = TOKEN, init: RequestInit = {}) {
  const controller = new AbortController();
  const res = await fetch(base + path, {
    method: 'POST',
    body: '[]',
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', 'upstash-encoding': 'base64' },
    signal: controller.signal,
    ...init,
  });
  let text = '';
  let ended = false;
  const reading = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true });
      }
    } catch {
      // aborted
    }
    ended = true;
  })();
  return {
    res,
    text: () => text,
    ended: () => ended,
    dataLines: () =>
      text
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6)),
    close: async () => {
      controller.abort();
      await reading;
    },
  };
}

/** The server's stream connections on the file's Redis (CLIENT SETNAME restash-stream). */
async function streamClients(): Promise<number> {
  const list = await redis.cli('CLIENT', 'LIST');
  return list.split('\n').filter((line) => / name=restash-stream /.test(line)).length;
}

describe('SSE /subscribe and /psubscribe', () => {
  it('streams the subscribe confirmation and raw messages as data lines, ignoring the request body', async () => {
    const channel = `${prefix()}chat`;
    const stream = await openStream(`/subscribe/${channel}`);
    expect(stream.res.status).toBe(200);
    expect(stream.res.headers.get('content-type')).toBe('text/event-stream');
    expect(stream.res.headers.get('upstash-sync-token')).toBeTruthy();
    await until(() => stream.dataLines().length === 1);
    expect(stream.dataLines()).toEqual([`subscribe,${channel},1`]);
    expect(
      (
        await post(base, '/', ['PUBLISH', channel, 'hello, world'], {
          headers: { 'upstash-encoding': 'base64' },
        })
      ).body,
    ).toEqual({
      result: 1,
    });
    await until(() => stream.dataLines().length === 2);
    expect(stream.dataLines()[1]).toBe(`message,${channel},hello, world`);
    await stream.close();
  });

  it('subscribes to every channel in the path and to patterns', async () => {
    const p = prefix();
    const many = await openStream(`/subscribe/${p}a/${p}b%2Fc`);
    await until(() => many.dataLines().length === 2);
    expect(many.dataLines()).toEqual([`subscribe,${p}a,1`, `subscribe,${p}b/c,2`]);
    const pattern = await openStream(`/psubscribe/${p}*`);
    await until(() => pattern.dataLines().length === 1);
    expect(pattern.dataLines()).toEqual([`psubscribe,${p}*,1`]);
    await post(base, '/', ['PUBLISH', `${p}b/c`, 'x']);
    await until(() => many.dataLines().length === 3 && pattern.dataLines().length === 2);
    expect(many.dataLines()[2]).toBe(`message,${p}b/c,x`);
    expect(pattern.dataLines()[1]).toBe(`pmessage,${p}*,${p}b/c,x`);
    await many.close();
    await pattern.close();
  });

  it('sends a payload with line breaks as one JSON string literal line', async () => {
    const channel = `${prefix()}lines`;
    const stream = await openStream(`/subscribe/${channel}`);
    await until(() => stream.dataLines().length === 1);
    await post(base, '/', ['PUBLISH', channel, 'line one\nline two\r\nthree']);
    await until(() => stream.dataLines().length === 2);
    expect(stream.dataLines()[1]).toBe(`message,${channel},"line one\\nline two\\r\\nthree"`);
    await stream.close();
  });

  it('releases the Redis connection as soon as the client goes away', async () => {
    // The streams of earlier tests are released first (that takes a moment after their clients leave).
    await until(async () => (await streamClients()) === 0);
    const streams = await Promise.all([1, 2, 3].map(() => openStream(`/subscribe/${prefix()}gone`)));
    await until(async () => (await streamClients()) === 3);
    await Promise.all(streams.map((stream) => stream.close()));
    await until(async () => (await streamClients()) === 0);
  });

  it('releases the Redis connection when the client leaves before Redis confirmed the subscription', async () => {
    const own = await startRedis();
    const local = await startServer({ redisUrl: own.url });
    try {
      const count = async () => (await own.cli('CLIENT', 'LIST')).split('\n').filter((l) => l.trim()).length;
      const before = await count();
      // Redis holds every command, the stream's SUBSCRIBE too, for a while: the confirmation cannot come first.
      await own.cli('CLIENT', 'PAUSE', '1500', 'ALL');
      const controller = new AbortController();
      const arrived = once(local.http, 'request');
      const opening = fetch(`${local.baseUrl}/subscribe/early`, {
        headers: { authorization: `Bearer ${TOKEN}` },
        signal: controller.signal,
      }).catch(() => undefined);
      await arrived;
      controller.abort();
      await opening;
      // redis-cli's own connection is gone too, so the count goes back to where it was.
      await until(async () => (await count()) === before);
      expect((await post(local.baseUrl, '/', ['PUBSUB', 'NUMSUB', 'early'])).body).toEqual({
        result: ['early', 0],
      });
    } finally {
      await local.close();
      await own.stop();
    }
  });

  it('sends comment heartbeats', async () => {
    const stream = await openStream(`/subscribe/${prefix()}beat`);
    await until(() => (stream.text().match(/^: keep-alive$/gm) ?? []).length >= 2);
    await stream.close();
  });

  it('closes the stream of a reader that stops reading, with a final error event, and keeps serving others', async () => {
    const channel = `${prefix()}slow`;
    const socket = net.connect({ host: '127.0.0.1', port: Number(new URL(base).port) });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`GET /subscribe/${channel} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    await until(() => received.includes(`subscribe,${channel},1`));
    socket.pause();
    const payload = 'p'.repeat(64 * 1024);
    // Far more than the socket buffers and the 64 KiB stream buffer can hold.
    for (let i = 0; i < 400; i++) await post(base, '/', ['PUBLISH', channel, payload]);
    // Its Redis connection is gone (counting all clients would race with other tests' streams closing).
    const subscribers = async () =>
      ((await post(base, '/', ['PUBSUB', 'NUMSUB', channel])).body as { result: [string, number] }).result[1];
    await until(async () => (await subscribers()) === 0, 15_000);
    expect((await post(base, '/', ['PUBLISH', channel, 'after'])).body).toEqual({ result: 0 });
    socket.resume();
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await closed;
    expect(received).toContain(
      'event: error\ndata: ERR stream closed: more than 65536 bytes waited for a slow reader',
    );
    expect(received.length).toBeLessThan(400 * payload.length);
  });

  it('ends the stream with an error event when Redis goes away', async () => {
    const own = await startRedis();
    const local = await startServer({ redisUrl: own.url });
    try {
      const controllerStream = await fetch(`${local.baseUrl}/subscribe/x`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      const reader = controllerStream.body!.getReader();
      let text = '';
      const decoder = new TextDecoder();
      const read = (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          text += decoder.decode(value);
        }
      })();
      await until(() => text.includes('subscribe,x,1'));
      await own.kill();
      await read;
      expect(text).toMatch(/event: error\ndata: ERR /);
    } finally {
      await local.close();
      await own.stop();
    }
  });

  it('answers 401 as JSON before streaming, and 400 for a path without channels', async () => {
    const unauthorized = await call(base, '/subscribe/x', { method: 'POST', token: 'nope' });
    expect(unauthorized).toMatchObject({
      status: 401,
      body: { error: 'WRONGPASS invalid or missing auth token' },
    });
    const empty = await call(base, '/subscribe', { method: 'POST' });
    expect(empty.status).toBe(400);
    expect((empty.body as { error: string }).error).toContain('needs at least one channel');
    const put = await call(base, '/subscribe/x', { method: 'PUT' });
    expect(put.status).toBe(405);
  });

  it('lets a read-only token subscribe but not monitor', async () => {
    const channel = `${prefix()}ro`;
    const stream = await openStream(`/subscribe/${channel}`, READ_ONLY_TOKEN);
    await until(() => stream.dataLines().length === 1);
    expect(stream.dataLines()).toEqual([`subscribe,${channel},1`]);
    await stream.close();
    const monitor = await call(base, '/monitor', { method: 'POST', token: READ_ONLY_TOKEN });
    expect(monitor.status).toBe(400);
    expect((monitor.body as { error: string }).error).toMatch(/^NOPERM .*'monitor'/);
  });
});

describe('SSE /monitor', () => {
  it('streams "OK" and then every command with the client address masked', async () => {
    const stream = await openStream('/monitor');
    await until(() => stream.dataLines().length >= 1);
    expect(stream.dataLines()[0]).toBe('"OK"');
    const k = `${prefix()}watched`;
    await post(base, '/', ['SET', k, 'v']);
    await until(() => stream.dataLines().some((line) => line.includes(`"SET" "${k}" "v"`)));
    const line = stream.dataLines().find((l) => l.includes(`"SET" "${k}"`))!;
    expect(line).toMatch(/^\d+\.\d+ \[0 0\.0\.0\.0:0\] "SET" /);
    expect(stream.text()).not.toContain('127.0.0.1:');
    await stream.close();
  });
});

describe('@upstash/redis subscribe and psubscribe', () => {
  const client = () => new Redis({ url: base, token: TOKEN, enableTelemetry: false });

  it('receives messages with commas and line breaks intact through subscribe', async () => {
    const redis = client();
    const channel = `${prefix()}sdk`;
    const subscriber = redis.subscribe<unknown>([channel]);
    const messages: unknown[] = [];
    const counts: number[] = [];
    subscriber.on('message', ({ message }) => messages.push(message));
    subscriber.on('subscribe', (count) => counts.push(count));
    await until(() => counts.length === 1);
    expect(counts).toEqual([1]);
    await redis.publish(channel, 'a, b, c');
    await redis.publish(channel, 'first line\nsecond line');
    await redis.publish(channel, { text: 'json, with\nnewline', n: 1 });
    await until(() => messages.length === 3);
    expect(messages).toEqual(['a, b, c', 'first line\nsecond line', { text: 'json, with\nnewline', n: 1 }]);
    await subscriber.unsubscribe();
  });

  it('receives pattern messages through psubscribe', async () => {
    const redis = client();
    const p = prefix();
    const subscriber = redis.psubscribe<unknown>([`${p}*`]);
    const messages: { pattern: string; channel: string; message: unknown }[] = [];
    let subscribed = false;
    subscriber.on('psubscribe', () => {
      subscribed = true;
    });
    subscriber.on('pmessage', (event) => messages.push(event));
    await until(() => subscribed);
    await redis.publish(`${p}one`, { greeting: 'hi, there\nfriend' });
    await redis.publish(`${p}two`, [1, 2]);
    await until(() => messages.length === 2);
    expect(messages).toEqual([
      { pattern: `${p}*`, channel: `${p}one`, message: { greeting: 'hi, there\nfriend' } },
      { pattern: `${p}*`, channel: `${p}two`, message: [1, 2] },
    ]);
    await subscriber.unsubscribe();
  });
});
