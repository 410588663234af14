import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis, RestashError } from '@restash/core';
import { freePort, prefix, READ_ONLY_TOKEN, TOKEN, useStack } from '@restash/test-harness';
import { beforeAll, describe, expect, it } from 'vitest';

const stack = useStack();
const p = prefix();
let redis: Redis;
beforeAll(() => {
  redis = stack.client();
});

describe('pipelines and transactions', () => {
  it('returns a typed tuple in command order', async () => {
    const [set, incr, value, members] = await redis
      .pipeline()
      .set(`${p}p`, 5)
      .incr(`${p}p`)
      .get<number>(`${p}p`)
      .zrange(`${p}none`, 0, -1, { withScores: true })
      .exec();
    expect([set, incr, value, members]).toEqual(['OK', 6, 6, []]);
  });

  it('rejects with the first failed command, or keeps every error with keepErrors', async () => {
    await redis.set(`${p}str`, 'x');
    const pipeline = () => redis.pipeline().get(`${p}str`).incr(`${p}str`).strlen(`${p}str`);
    await expect(pipeline().exec()).rejects.toMatchObject({
      code: 'redis',
      command: 'INCR',
      message: 'ERR value is not an integer or out of range',
    });
    const entries = await pipeline().exec({ keepErrors: true });
    expect(entries[0]).toEqual({ result: 'x' });
    expect(entries[1].error).toBe('ERR value is not an integer or out of range');
    expect(entries[1].result).toBeUndefined();
    expect(entries[2]).toEqual({ result: 1 });
  });

  it('runs multi() atomically over /multi-exec, with runtime errors as entries', async () => {
    const multi = redis.multi().set(`${p}m`, 'a').incr(`${p}m`).append(`${p}m`, 'b');
    expect(multi.length).toBe(3);
    const entries = await multi.exec({ keepErrors: true });
    expect(entries.map((e) => e.error ?? e.result)).toEqual([
      'OK',
      'ERR value is not an integer or out of range',
      2,
    ]);
    await expect(redis.multi().incr(`${p}m2`).sendCommand(['GET']).exec()).rejects.toMatchObject({
      code: 'redis',
      command: 'MULTI-EXEC',
    });
    expect(await redis.exists(`${p}m2`)).toBe(0);
  });

  it('refuses bytes that are not UTF-8 inside a pipeline, before sending', async () => {
    await expect(
      redis
        .pipeline()
        .set(`${p}b`, new Uint8Array([0xff]))
        .exec(),
    ).rejects.toThrow(/a pipeline cannot carry bytes that are not valid UTF-8/);
    const bytes = new TextEncoder().encode('valid ✓');
    expect(await redis.pipeline().set(`${p}b`, bytes).get(`${p}b`).exec()).toEqual(['OK', 'valid ✓']);
  });
});

describe('auto-pipelining', () => {
  it('sends concurrent commands as few requests and gives each caller its own result', async () => {
    const client = stack.client();
    const results = await Promise.all(
      Array.from({ length: 250 }, (_, i) =>
        client.set(`${p}auto:${i}`, i).then(() => client.get(`${p}auto:${i}`)),
      ),
    );
    expect(results).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(client.pipelineCounter).toBe(2);
    const mixed = await Promise.allSettled([
      client.incr(`${p}auto:1`),
      client.hget(`${p}auto:1`, 'f'),
      client.incr(`${p}auto:1`),
    ]);
    expect(
      mixed.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as RestashError).message)),
    ).toEqual([2, 'WRONGTYPE Operation against a key holding the wrong kind of value', 3]);
  });

  it('can be turned off', async () => {
    const client = stack.client({ enableAutoPipelining: false });
    await Promise.all([client.ping(), client.ping()]);
    expect(client.pipelineCounter).toBe(0);
  });
});

describe('values', () => {
  it('returns exact strings in raw mode', async () => {
    const raw = stack.client<string>({ automaticDeserialization: false });
    await raw.set(`${p}raw`, '{"a":1}');
    await raw.set(`${p}num`, '007');
    await raw.hset(`${p}rawh`, { f: 'true' });
    expect(await raw.get(`${p}raw`)).toBe('{"a":1}');
    expect(await raw.get(`${p}num`)).toBe('007');
    expect(await raw.hgetall(`${p}rawh`)).toEqual({ f: 'true' });
    expect(await raw.mget(`${p}raw`, `${p}num`)).toEqual(['{"a":1}', '007']);
  });

  it('carries Unicode and binary keys and values with and without base64 responses', async () => {
    for (const client of [redis, stack.client({ responseEncoding: false })]) {
      const text = 'héllo ✓ 🚀 "quoted" \\ \n';
      await client.set(`${p}ü`, text);
      expect(await client.get(`${p}ü`)).toBe(text);
      const key = new Uint8Array([0xfe, 0x00, 0x2f]);
      await client.set(key, 'binary key');
      expect(await client.get(key)).toBe('binary key');
      expect(await client.sendCommand(['GET', key], { bytes: true })).toEqual(
        new TextEncoder().encode('binary key'),
      );
    }
  });

  it('decodes base64 at every depth: only a top-level OK status arrives raw', async () => {
    for (const client of [
      stack.client<string>({ automaticDeserialization: false }),
      stack.client<string>({ automaticDeserialization: false, responseEncoding: false }),
    ]) {
      // Values that are themselves valid base64 ('OK' is not, 'T0s=' and 'PONG' are) must not be decoded twice.
      await client.del(`${p}b64`);
      await client.rpush(`${p}b64`, 'OK', 'T0s=', 'PONG', 'test');
      expect(await client.lrange(`${p}b64`, 0, -1)).toEqual(['OK', 'T0s=', 'PONG', 'test']);
      expect(await client.lindex(`${p}b64`, 0)).toBe('OK');
      expect(await client.echo('T0s=')).toBe('T0s=');
      // A status reply nested in an array is base64 on the wire like any other string.
      expect(await client.eval("return {redis.status_reply('OK'), 'OK', 1}")).toEqual(['OK', 'OK', 1]);
      const [set, nested] = await client
        .pipeline()
        .set(`${p}b64s`, 'OK')
        .sendCommand(['EVAL', "return {redis.status_reply('OK')}", 0])
        .exec();
      expect([set, nested]).toEqual(['OK', ['OK']]);
      expect(
        await client.sendCommand(['EVAL', "return {redis.status_reply('OK')}", 0], { bytes: true }),
      ).toEqual([new TextEncoder().encode('OK')]);
    }
  });

  it('sends raw commands with sendCommand and returns replies untouched', async () => {
    expect(await redis.sendCommand(['SET', `${p}sc`, '{"a":1}'])).toBe('OK');
    expect(await redis.sendCommand(['GET', `${p}sc`])).toBe('{"a":1}');
    expect(await redis.sendCommand(['ZADD', `${p}scz`, 1.5, 'm'])).toBe(1);
    expect(await redis.sendCommand(['ZSCORE', `${p}scz`, 'm'])).toBe('1.5');
  });
});

describe('read-your-writes', () => {
  it('tracks a new sync token per response, and none when turned off', async () => {
    const client = stack.client();
    expect(client.readYourWritesSyncToken).toBe('');
    await client.set(`${p}ryw`, 1);
    const first = client.readYourWritesSyncToken;
    expect(first).not.toBe('');
    await client.set(`${p}ryw`, 1);
    expect(client.readYourWritesSyncToken).not.toBe(first);
    client.readYourWritesSyncToken = 'my-own-token';
    expect(await client.get(`${p}ryw`)).toBe(1);
    const off = stack.client({ readYourWrites: false });
    await off.set(`${p}ryw`, 2);
    expect(off.readYourWritesSyncToken).toBe('');
  });
});

describe('errors', () => {
  it('reports a wrong token as an HTTP error without the token or arguments', async () => {
    const client = new Redis({ url: stack.server.url, token: 'wrong-token' });
    const error = await client.get(`${p}secret-key`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RestashError);
    expect(error).toMatchObject({ code: 'http', status: 401, command: 'GET' });
    expect((error as Error).message).toBe('[restash/core] HTTP 401: WRONGPASS invalid or missing auth token');
    expect((error as Error).message).not.toContain('wrong-token');
    expect((error as Error).message).not.toContain('secret-key');
  });

  it('passes NOPERM through for a read-only token', async () => {
    const ro = new Redis({ url: stack.server.url, token: READ_ONLY_TOKEN });
    expect(await ro.get(`${p}x`)).toBeNull();
    await expect(ro.set(`${p}x`, 1)).rejects.toThrow(/^NOPERM /);
  });

  it('fails with a network error after retrying a refused connection', async () => {
    const port = await freePort();
    let attempts = 0;
    const client = new Redis({
      url: `http://127.0.0.1:${port}`,
      token: TOKEN,
      retry: {
        retries: 2,
        backoff: () => {
          attempts++;
          return 1;
        },
      },
    });
    const error = await client.get('k').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'network', command: 'GET' });
    expect((error as Error).message).toMatch(/^\[restash\/core\] GET failed: fetch failed/);
    expect(attempts).toBe(2);
    const once = new Redis({
      url: `http://127.0.0.1:${port}`,
      token: TOKEN,
      retry: {
        idempotentOnly: true,
        backoff: () => {
          attempts++;
          return 1;
        },
      },
    });
    attempts = 0;
    await expect(once.incr('k')).rejects.toMatchObject({ code: 'network' });
    expect(attempts).toBe(0);
    await expect(once.get('k')).rejects.toMatchObject({ code: 'network' });
    expect(attempts).toBe(5);
  });

  it('times out or aborts a call that takes too long', async () => {
    const silent = http.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const client = new Redis({ url, token: TOKEN, retry: false });
      await expect(client.with({ timeout: 50 }).get('k')).rejects.toMatchObject({
        code: 'timeout',
        command: 'GET',
      });
      const controller = new AbortController();
      const pending = client.with({ signal: controller.signal }).get('k');
      setTimeout(() => controller.abort(), 20);
      await expect(pending).rejects.toMatchObject({ code: 'aborted' });
      await expect(new Redis({ url, token: TOKEN, timeout: 30 }).ping()).rejects.toMatchObject({
        code: 'timeout',
      });
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('times out a call whose answer starts but never ends', async () => {
    const stalled = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      res.write('{"result":');
    });
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(stalled.address() as AddressInfo).port}`;
      const client = new Redis({ url, token: TOKEN, retry: false });
      const timedOut = await client
        .with({ timeout: 100 })
        .get('k')
        .catch((e: unknown) => e);
      expect(timedOut).toMatchObject({
        code: 'timeout',
        command: 'GET',
        message: '[restash/core] GET timed out',
      });
      expect(typeof (timedOut as Error).cause).not.toBe('symbol');
      const controller = new AbortController();
      const pending = client.with({ signal: controller.signal, timeout: 10_000 }).get('k');
      setTimeout(() => controller.abort(), 50);
      await expect(pending).rejects.toMatchObject({ code: 'aborted' });
    } finally {
      stalled.closeAllConnections();
      stalled.close();
    }
  });

  it('rejects bad options with an error that names them', () => {
    expect(() => new Redis({ url: 'ftp://x', token: 't' })).toThrow(
      '[restash/core] url: must start with http:// or https://, got ftp://',
    );
    expect(() => new Redis({ token: 't' })).toThrow(/missing url/);
    expect(() => new Redis({ url: 'http://x' })).toThrow(/missing token/);
    expect(() => new Redis({ url: 'http://x', token: 't', maxPipelineSize: 0 })).toThrow(/maxPipelineSize/);
    expect(() => redis.with({ timeout: -1 })).toThrow(/timeout/);
  });
});

describe('fromEnv', () => {
  it('reads RESTASH_* first, then UPSTASH_REDIS_REST_*', async () => {
    const restash = Redis.fromEnv({
      env: { RESTASH_URL: stack.server.url, RESTASH_TOKEN: TOKEN, UPSTASH_REDIS_REST_URL: 'http://wrong' },
    });
    expect(await restash.ping()).toBe('PONG');
    const upstash = Redis.fromEnv({
      env: { UPSTASH_REDIS_REST_URL: stack.server.url, UPSTASH_REDIS_REST_TOKEN: TOKEN },
    });
    expect(await upstash.ping()).toBe('PONG');
    expect(() => Redis.fromEnv({ env: {} })).toThrow(/set RESTASH_URL and RESTASH_TOKEN/);
    expect(() => Redis.fromEnv({ env: { RESTASH_URL: stack.server.url } })).toThrow(
      '[restash/core] fromEnv: RESTASH_TOKEN is not set',
    );
  });
});
