import { describe, expect, it } from 'vitest';
import { RestashError } from './errors.js';
import { HttpRequester } from './http.js';

interface Call {
  url: string;
  init: RequestInit;
}

/** A fetch that records calls and answers from a script (no network, no Redis). */
function scriptedFetch(...answers: (Response | Error | ((call: Call) => Promise<Response>))[]) {
  const calls: Call[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    const call = { url, init };
    calls.push(call);
    const next = answers.shift();
    if (next === undefined) throw new Error('no more answers');
    if (next instanceof Error) throw next;
    if (typeof next === 'function') return next(call);
    return next;
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const requester = (fetch: typeof globalThis.fetch, extra: object = {}) =>
  new HttpRequester({
    url: 'http://127.0.0.1:1/base/',
    token: 'tok',
    fetch,
    retry: { retries: 2, backoff: () => 1 },
    ...extra,
  });

describe('HttpRequester', () => {
  it('posts one command as JSON with the token, base64 encoding and the sync token', async () => {
    const { fetch, calls } = scriptedFetch(
      json({ result: 'YmFy' }, 200, { 'upstash-sync-token': 's1' }),
      json({ result: 'OK' }),
    );
    const r = requester(fetch);
    expect(await r.request({ kind: 'command', commands: [{ args: ['GET', 'foo'] }] })).toEqual([
      { result: 'bar' },
    ]);
    expect(calls[0]!.url).toBe('http://127.0.0.1:1/base');
    expect(calls[0]!.init.body).toBe('["GET","foo"]');
    const sent = calls[0]!.init.headers as Record<string, string>;
    expect(sent.authorization).toBe('Bearer tok');
    expect(sent['upstash-encoding']).toBe('base64');
    expect(sent['upstash-sync-token']).toBe('');
    await r.request({ kind: 'command', commands: [{ args: ['SET', 'a', 'b'] }] });
    expect((calls[1]!.init.headers as Record<string, string>)['upstash-sync-token']).toBe('s1');
    expect(r.syncToken).toBe('s1');
  });

  it('decodes pipelines per entry, as text or exact bytes', async () => {
    const { fetch, calls } = scriptedFetch(
      json([{ result: '/w==' }, { error: 'ERR boom' }, { result: ['T0s=', 3] }]),
    );
    const replies = await requester(fetch).request({
      kind: 'pipeline',
      commands: [{ args: ['GET', 'a'], bytes: true }, { args: ['X'] }, { args: ['Y'] }],
    });
    expect(calls[0]!.url).toBe('http://127.0.0.1:1/base/pipeline');
    expect(replies).toEqual([
      { result: new Uint8Array([0xff]) },
      { error: 'ERR boom' },
      { result: ['OK', 3] },
    ]);
  });

  it('sends bytes that are not UTF-8 as a path command with the raw body', async () => {
    const { fetch, calls } = scriptedFetch(json({ result: 'OK' }), json({ result: 'OK' }));
    const r = requester(fetch);
    const bytes = new Uint8Array([0xff, 0x00]);
    await r.request({ kind: 'command', commands: [{ args: ['SET', 'k/ey', bytes, 'PX', 10] }] });
    expect(calls[0]!.url).toBe('http://127.0.0.1:1/base/SET/k%2Fey?PX&10');
    expect(calls[0]!.init.body).toBe(bytes);
    await r.request({ kind: 'command', commands: [{ args: ['HSET', 'h', new Uint8Array([0xfe]), ''] }] });
    expect(calls[1]!.url).toBe('http://127.0.0.1:1/base/HSET/h/%FE//');
    await expect(
      r.request({ kind: 'pipeline', commands: [{ args: ['SET', 'k', bytes] }, { args: ['GET', 'k'] }] }),
    ).rejects.toThrow(/cannot carry bytes that are not valid UTF-8 \(command 1, SET\)/);
  });

  it('returns a 400 on one command as an error entry, and throws other statuses with the command name', async () => {
    const { fetch } = scriptedFetch(
      json({ error: 'WRONGTYPE Operation against a key holding the wrong kind of value' }, 400),
      json({ error: 'WRONGPASS invalid or missing auth token' }, 401),
      json({ error: 'EXECABORT Transaction discarded' }, 400),
      new Response('<html>bad gateway</html>', { status: 502 }),
    );
    const r = requester(fetch);
    expect(await r.request({ kind: 'command', commands: [{ args: ['INCR', 'k'] }] })).toEqual([
      { error: 'WRONGTYPE Operation against a key holding the wrong kind of value' },
    ]);
    const unauthorized = await r
      .request({ kind: 'command', commands: [{ args: ['GET', 'secret-key'] }] })
      .catch((e) => e);
    expect(unauthorized).toBeInstanceOf(RestashError);
    expect(unauthorized).toMatchObject({ code: 'http', status: 401, command: 'GET' });
    expect(unauthorized.message).toBe('[restash/core] HTTP 401: WRONGPASS invalid or missing auth token');
    expect(unauthorized.message).not.toContain('secret-key');
    await expect(
      r.request({ kind: 'transaction', commands: [{ args: ['GET', 'k'] }] }),
    ).rejects.toMatchObject({
      code: 'redis',
      message: 'EXECABORT Transaction discarded',
      command: 'MULTI-EXEC',
    });
    await expect(r.request({ kind: 'command', commands: [{ args: ['GET', 'k'] }] })).rejects.toMatchObject({
      code: 'invalid-response',
      status: 502,
    });
  });

  it('retries network errors with backoff, then fails with the cause', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), {
      cause: new Error('connect ECONNREFUSED'),
    });
    const ok = scriptedFetch(refused, refused, json({ result: 1 }));
    expect(
      await requester(ok.fetch).request({ kind: 'command', commands: [{ args: ['INCR', 'k'] }] }),
    ).toEqual([{ result: 1 }]);
    expect(ok.calls).toHaveLength(3);

    const down = scriptedFetch(refused, refused, refused, refused);
    const error = await requester(down.fetch)
      .request({ kind: 'command', commands: [{ args: ['GET', 'k'] }] })
      .catch((e) => e);
    expect(down.calls).toHaveLength(3);
    expect(error).toMatchObject({ code: 'network', command: 'GET', cause: refused });
    expect(error.message).toBe('[restash/core] GET failed: fetch failed (connect ECONNREFUSED)');

    const once = scriptedFetch(refused, json({ result: 1 }));
    await expect(
      requester(once.fetch).request({ kind: 'command', commands: [{ args: ['INCR', 'k'] }], retry: false }),
    ).rejects.toMatchObject({ code: 'network' });
    expect(once.calls).toHaveLength(1);
  });

  it('fails with timeout or aborted when the call takes too long or is cancelled', async () => {
    const hang = (call: Call) =>
      new Promise<Response>((_, reject) => {
        call.init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      });
    const slow = scriptedFetch(hang);
    await expect(
      requester(slow.fetch).request({ kind: 'command', commands: [{ args: ['GET', 'k'] }], timeout: 20 }),
    ).rejects.toMatchObject({ code: 'timeout', message: '[restash/core] GET timed out' });
    const controller = new AbortController();
    const cancelled = scriptedFetch(hang);
    const pending = requester(cancelled.fetch).request({
      kind: 'command',
      commands: [{ args: ['GET', 'k'] }],
      signal: controller.signal,
      timeout: 5000,
    });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'aborted' });
  });

  it('keeps the timeout and the signal armed while the body is read', async () => {
    // Headers arrive at once; the body never ends and only fails when fetch's signal fires, as in undici.
    const stalledBody = (call: Call) =>
      Promise.resolve(
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode('{"result":'));
              call.init.signal?.addEventListener('abort', () =>
                controller.error(new DOMException('aborted', 'AbortError')),
              );
            },
          }),
          { status: 200 },
        ),
      );
    const slow = scriptedFetch(stalledBody);
    await expect(
      requester(slow.fetch).request({ kind: 'command', commands: [{ args: ['GET', 'k'] }], timeout: 30 }),
    ).rejects.toMatchObject({ code: 'timeout', command: 'GET' });
    const controller = new AbortController();
    const cancelled = scriptedFetch(stalledBody);
    const pending = requester(cancelled.fetch).request({
      kind: 'command',
      commands: [{ args: ['GET', 'k'] }],
      signal: controller.signal,
      timeout: 5000,
    });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ code: 'aborted' });
  });

  it('never quotes a 2xx body that is not JSON, since it may hold stored values', async () => {
    const { fetch } = scriptedFetch(new Response('{"result":"secret-val', { status: 200 }));
    const error = await requester(fetch)
      .request({ kind: 'command', commands: [{ args: ['GET', 'k'] }] })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid-response', status: 200 });
    expect((error as Error).message).toBe(
      '[restash/core] the server answered HTTP 200 with a body that is not JSON',
    );
    expect(String((error as Error).cause ?? '')).not.toContain('secret');
  });

  it('asks for keepalive only when the body is under 32 KiB in UTF-8 bytes', async () => {
    const { fetch, calls } = scriptedFetch(json({ result: 'OK' }), json({ result: 'OK' }));
    const r = requester(fetch, { responseEncoding: false });
    await r.request({ kind: 'command', commands: [{ args: ['SET', 'k', 'v'] }] });
    // 12,000 euro signs are 36,000 bytes: over the limit although the string has 12,000 code units.
    await r.request({ kind: 'command', commands: [{ args: ['SET', 'k', '€'.repeat(12_000)] }] });
    expect(calls.map((call) => call.init.keepalive)).toEqual([true, undefined]);
  });

  it('streams events, keeps the caller signal armed after the timeout, and fails on an error event', async () => {
    const encoder = new TextEncoder();
    let signal: AbortSignal | undefined;
    const { fetch } = scriptedFetch((call) => {
      signal = call.init.signal ?? undefined;
      return Promise.resolve(
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(encoder.encode(': keep-alive\n\ndata: subscribe,ch,1\n\n'));
              setTimeout(() => {
                controller.enqueue(encoder.encode('event: error\ndata: ERR Redis went away\n\n'));
              }, 60);
            },
          }),
          { status: 200, headers: { 'content-type': 'text/event-stream' } },
        ),
      );
    });
    const controller = new AbortController();
    const events = requester(fetch, { timeout: 20 }).stream({
      kind: 'subscribe',
      name: 'ch',
      signal: controller.signal,
    });
    const iterator = events[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ value: 'subscribe,ch,1', done: false });
    const failed = iterator.next().catch((e: unknown) => e);
    // The 20 ms timeout only covers opening the stream: by now it would have fired.
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(signal?.aborted).toBe(false);
    expect(await failed).toMatchObject({
      code: 'network',
      command: 'SUBSCRIBE',
      message: '[restash/core] the server closed the subscribe stream: ERR Redis went away',
    });

    const open = scriptedFetch((call) => {
      signal = call.init.signal ?? undefined;
      return Promise.resolve(
        new Response(
          new ReadableStream({
            start(c) {
              c.enqueue(encoder.encode('data: subscribe,ch,1\n\n'));
            },
          }),
          { status: 200 },
        ),
      );
    });
    const unsubscribe = new AbortController();
    const stream = requester(open.fetch, { timeout: 20 })
      .stream({ kind: 'subscribe', name: 'ch', signal: unsubscribe.signal })
      [Symbol.asyncIterator]();
    await stream.next();
    await new Promise((resolve) => setTimeout(resolve, 40));
    unsubscribe.abort();
    expect(signal?.aborted).toBe(true);
  });

  it('sends extra headers without letting them replace the token, and caps the size of an event', async () => {
    const { fetch, calls } = scriptedFetch(
      json({ result: 'PONG' }),
      new Response(`data: message,ch,${'x'.repeat(100)}`, { status: 200 }),
    );
    const r = requester(fetch, {
      headers: { 'x-trace': 'abc', authorization: 'Bearer other' },
      maxEventSize: 50,
    });
    await r.request({ kind: 'command', commands: [{ args: ['PING'] }] });
    const sent = calls[0]!.init.headers as Record<string, string>;
    expect(sent['x-trace']).toBe('abc');
    expect(sent.authorization).toBe('Bearer tok');
    const events = r.stream({ kind: 'subscribe', name: 'ch', signal: new AbortController().signal });
    await expect(events[Symbol.asyncIterator]().next()).rejects.toMatchObject({
      code: 'invalid-response',
      message: '[restash/core] an event is larger than 50 bytes',
    });
  });

  it('rejects bad options with errors that name them', () => {
    const fetch = scriptedFetch().fetch;
    expect(() => new HttpRequester({ url: '', token: 't', fetch })).toThrow(
      '[restash/core] missing url: pass { url }, or use Redis.fromEnv() to read RESTASH_URL',
    );
    expect(() => new HttpRequester({ url: 'redis://x', token: 't', fetch })).toThrow(
      /must start with http:\/\/ or https:\/\//,
    );
    expect(() => new HttpRequester({ url: 'http://x', token: '', fetch })).toThrow(/missing token/);
    expect(() => new HttpRequester({ url: 'http://x', token: 'a b', fetch })).toThrow(/whitespace/);
    expect(() => new HttpRequester({ url: 'http://x', token: 't', fetch, timeout: 0 })).toThrow(
      /timeout: must be a positive/,
    );
    expect(() => new HttpRequester({ url: 'http://x', token: 't', fetch, retry: { retries: -1 } })).toThrow(
      /retry.retries/,
    );
  });
});
