import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, createServer } from '../src/index.js';
import { call, post, prefix, READ_ONLY_TOKEN, type startServer, TOKEN } from './helpers.js';

/** What the REST conformance suite runs against: our server in front of some Redis. */
export interface SuiteTarget {
  server: Awaited<ReturnType<typeof startServer>>;
  /** Runs a command with redis-cli on the Redis behind the server (following cluster redirections). */
  cli(...args: string[]): Promise<string>;
  close(): Promise<void>;
}

/**
 * The REST API's conformance tests, shared by every Redis topology behind the
 * server (one Redis, a cluster). `start` must give a server with
 * `maxRequestSize: 64 * 1024` and the helpers' TOKEN and READ_ONLY_TOKEN.
 * Keys come from `prefix()`, a hash tag, so that each test's keys share a slot.
 */
export function restApiSuite(start: () => Promise<SuiteTarget>): void {
  let target: SuiteTarget;
  let server: SuiteTarget['server'];
  let base: string;
  const redis = { cli: (...args: string[]) => target.cli(...args) };

  beforeAll(async () => {
    target = await start();
    server = target.server;
    base = server.baseUrl;
  });

  afterAll(async () => {
    await target?.close();
  });

  const b64 = (text: string | Uint8Array) => Buffer.from(text).toString('base64');
  const BASE64 = { 'upstash-encoding': 'base64' };

  describe('POST / with a JSON command', () => {
    it('runs the command and answers {"result"}', async () => {
      const k = prefix();
      expect(await post(base, '/', ['SET', `${k}a`, 'v'])).toMatchObject({
        status: 200,
        body: { result: 'OK' },
      });
      expect((await post(base, '/', ['GET', `${k}a`])).body).toEqual({ result: 'v' });
    });

    it('answers {"result":null} for a missing key, with the result key present', async () => {
      const res = await post(base, '/', ['GET', `${prefix()}missing`]);
      expect(res.text).toBe('{"result":null}');
    });

    it('accepts numbers and booleans as arguments and keeps big integers exact', async () => {
      const k = prefix();
      await call(base, '/', { method: 'POST', body: `["SET","${k}n",9007199254740993]` });
      expect((await post(base, '/', ['GET', `${k}n`])).body).toEqual({ result: '9007199254740993' });
      await call(base, '/', { method: 'POST', body: `["SET","${k}max",9223372036854775807]` });
      const incr = await call(base, '/', { method: 'POST', body: `["INCRBY","${k}max",0]` });
      expect(incr.text).toBe('{"result":9223372036854775807}');
      await post(base, '/', ['SET', `${k}t`, true]);
      expect((await post(base, '/', ['GET', `${k}t`])).body).toEqual({ result: 'true' });
      await call(base, '/', { method: 'POST', body: `["SET","${k}f",2.50]` });
      expect((await post(base, '/', ['GET', `${k}f`])).body).toEqual({ result: '2.50' });
    });

    it('works without a Content-Type and with a trailing-slash-free base URL', async () => {
      const res = await fetch(base, {
        method: 'POST',
        body: '["PING"]',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': '' },
      });
      expect(await res.json()).toEqual({ result: 'PONG' });
    });

    it('decodes JSON string escapes, including surrogate pairs', async () => {
      const k = prefix();
      const value = 'a"b\\c\n\t\u00e9\ud83d\ude00/';
      await call(base, '/', {
        method: 'POST',
        body: `["SET","${k}e",${JSON.stringify(value).replace('/', '\\/')}]`,
      });
      expect((await post(base, '/', ['GET', `${k}e`])).body).toEqual({ result: value });
      expect(await redis.cli('STRLEN', `${k}e`)).toBe(String(Buffer.byteLength(value)));
    });

    it.each([
      ['null', '["SET","k",null]', 'argument 2 is null'],
      ['an object', '["SET","k",{"a":1}]', 'argument 2 is an object'],
      ['a nested array', '["SET","k",["a"]]', 'argument 2 is an array'],
      ['truncated JSON', '["SET","k"', 'failed to parse'],
      ['not an array', '{"cmd":"GET"}', 'must be a JSON array'],
      ['an empty body', '', 'must be a JSON array'],
      ['trailing garbage', '["PING"] x', 'unexpected data'],
      ['a bad escape', '["ECHO","\\q"]', 'invalid escape'],
    ])('answers 400 with a clear error for %s', async (_, body, message) => {
      const res = await call(base, '/', { method: 'POST', body });
      expect(res.status).toBe(400);
      expect((res.body as { error: string }).error).toContain(message);
    });

    it('answers an empty command array like Upstash', async () => {
      const res = await post(base, '/', []);
      expect(res).toMatchObject({ status: 400, body: { error: "ERR Command is not available: ''" } });
    });

    it('passes Redis error texts through verbatim with status 400', async () => {
      const res = await post(base, '/', ['EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', 0]);
      expect(res.status).toBe(400);
      expect((res.body as { error: string }).error).toMatch(/^NOSCRIPT /);
      const wrongType = await post(base, '/', ['LPUSH', `${prefix()}l`, 'x']).then(() =>
        post(base, '/', ['INCR', `${prefix()}x`, 'extra']),
      );
      expect(wrongType.body).toEqual({ error: "ERR wrong number of arguments for 'incr' command" });
    });
  });

  describe('path commands', () => {
    it('runs GET /cmd/arg/… and is case-insensitive in the command name', async () => {
      const k = prefix();
      expect((await call(base, `/SET/${k}p/hello/EX/100`)).body).toEqual({ result: 'OK' });
      expect((await call(base, `/get/${k}p`)).body).toEqual({ result: 'hello' });
      expect((await call(base, `/ttl/${k}p`)).body).toEqual({ result: 100 });
    });

    it('percent-decodes each segment on its own, so %2F is a slash inside an argument', async () => {
      const k = prefix();
      await call(base, `/set/${k}a%2Fb/x%20y+z`);
      expect((await post(base, '/', ['GET', `${k}a/b`])).body).toEqual({ result: 'x y+z' });
    });

    it('keeps percent-encoded bytes exact, even when they are not UTF-8', async () => {
      const k = prefix();
      await call(base, `/set/${k}bin/%FF%00%41`);
      expect((await call(base, `/get/${k}bin`, { headers: BASE64 })).body).toEqual({
        result: b64(Buffer.from([255, 0, 65])),
      });
    });

    it('appends a POST/PUT body as the last argument, then query parameters in order', async () => {
      const k = prefix();
      const body = '{"json": "value", "bytes": "\u0000"}';
      expect((await call(base, `/set/${k}b?EX=100&NX`, { method: 'POST', body })).body).toEqual({
        result: 'OK',
      });
      expect((await call(base, `/get/${k}b`)).body).toEqual({ result: body });
      expect((await call(base, `/ttl/${k}b`)).body).toEqual({ result: 100 });
      expect((await call(base, `/set/${k}b?NX`, { method: 'PUT', body: 'other' })).body).toEqual({
        result: null,
      });
    });

    it('never treats _token as an argument and accepts it as the token', async () => {
      const k = prefix();
      const res = await call(base, `/set/${k}q/v?_token=${TOKEN}&EX=50`, { token: null });
      expect(res.body).toEqual({ result: 'OK' });
      expect((await call(base, `/ttl/${k}q`)).body).toEqual({ result: 50 });
    });

    it('answers HEAD with headers and no body', async () => {
      const res = await fetch(`${base}/ping`, {
        method: 'HEAD',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('upstash-sync-token')).toBeTruthy();
      expect(await res.text()).toBe('');
    });

    it('ignores a trailing slash and keeps empty segments as empty arguments', async () => {
      const k = prefix();
      await call(base, `/set/${k}empty//`);
      expect((await call(base, `/strlen/${k}empty/`)).body).toEqual({ result: 0 });
      expect(await redis.cli('EXISTS', `${k}empty`)).toBe('1');
    });

    it('answers 400 for malformed percent-encoding', async () => {
      const res = await call(base, '/get/%zz');
      expect(res.status).toBe(400);
      expect((res.body as { error: string }).error).toContain('percent-encoding');
    });
  });

  describe('POST /pipeline', () => {
    it('answers one entry per command in order; errors are entries without a result key', async () => {
      const k = prefix();
      const res = await post(base, '/pipeline', [
        ['SET', `${k}a`, 1],
        ['INCR', `${k}a`],
        ['NOTACOMMAND'],
        ['LPUSH', `${k}a`, 'x'],
        ['BLPOP', `${k}l`, 0],
        ['GET', `${k}a`],
      ]);
      expect(res.status).toBe(200);
      const entries = res.body as Record<string, unknown>[];
      expect(entries).toHaveLength(6);
      expect(entries[0]).toEqual({ result: 'OK' });
      expect(entries[1]).toEqual({ result: 2 });
      expect(Object.keys(entries[2]!)).toEqual(['error']);
      expect(entries[2]!.error).toMatch(/unknown command/);
      expect(entries[3]!.error).toMatch(/^WRONGTYPE/);
      expect(entries[4]).toEqual({ error: "ERR Command is not available: 'BLPOP'" });
      expect(entries[5]).toEqual({ result: '2' });
    });

    it('answers 400 for an empty pipeline and for rows that are not arrays', async () => {
      expect((await post(base, '/pipeline', [])).status).toBe(400);
      const res = await post(base, '/pipeline', ['GET', 'x']);
      expect(res.status).toBe(400);
      expect((res.body as { error: string }).error).toContain('array of commands');
    });

    it('answers 405 to GET', async () => {
      const res = await call(base, '/pipeline');
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toContain('POST');
    });

    it('keeps every reply of a 1000-command pipeline in order', async () => {
      const k = prefix();
      const commands = Array.from({ length: 1000 }, (_, i) => ['SET', `${k}${i}`, `v${i}`]);
      await post(base, '/pipeline', commands);
      const res = await post(
        base,
        '/pipeline',
        Array.from({ length: 1000 }, (_, i) => ['GET', `${k}${i}`]),
      );
      expect((res.body as { result: string }[]).map((e) => e.result)).toEqual(
        Array.from({ length: 1000 }, (_, i) => `v${i}`),
      );
    });
  });

  describe('POST /multi-exec', () => {
    it('runs atomically and reports runtime errors as entries', async () => {
      const k = prefix();
      const res = await post(base, '/multi-exec', [
        ['SET', `${k}a`, 1],
        ['INCR', `${k}a`],
        ['LPUSH', `${k}a`, 'x'],
        ['GET', `${k}a`],
      ]);
      expect(res.status).toBe(200);
      expect(res.body).toEqual([
        { result: 'OK' },
        { result: 2 },
        { error: 'WRONGTYPE Operation against a key holding the wrong kind of value' },
        { result: '2' },
      ]);
    });

    it('discards the whole transaction on a queue-time error, with one JSON error', async () => {
      const k = prefix();
      const res = await post(base, '/multi-exec', [
        ['SET', `${k}a`, 1],
        ['SET', `${k}b`],
      ]);
      expect(res.status).toBe(400);
      expect((res.body as { error: string }).error).toMatch(/^EXECABORT .*wrong number of arguments/);
      expect(await redis.cli('EXISTS', `${k}a`)).toBe('0');
    });

    it('discards the whole transaction when a command is refused over REST', async () => {
      const k = prefix();
      const res = await post(base, '/multi-exec', [
        ['SET', `${k}a`, 1],
        ['WATCH', `${k}a`],
      ]);
      expect(res).toMatchObject({ status: 400 });
      expect((res.body as { error: string }).error).toContain('"WATCH" is not allowed in REST');
      expect(await redis.cli('EXISTS', `${k}a`)).toBe('0');
    });

    it('runs 200 concurrent transactions without "MULTI calls can not be nested"', async () => {
      const k = prefix();
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          post(base, '/multi-exec', [
            ['INCR', `${k}counter`],
            ['SET', `${k}t${i}`, i],
            ['GET', `${k}t${i}`],
          ]),
        ),
      );
      for (const [i, res] of results.entries()) {
        expect(res.status).toBe(200);
        const entries = res.body as { result: unknown }[];
        expect(entries[1]).toEqual({ result: 'OK' });
        expect(entries[2]).toEqual({ result: String(i) });
      }
      const counters = results
        .map((res) => (res.body as { result: number }[])[0]!.result)
        .sort((a, b) => a - b);
      expect(counters).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    });
  });

  describe('scripts written for Upstash', () => {
    it('runs scripts with the Upstash-only allow-key-locking flag, by EVAL and by EVALSHA of the original text', async () => {
      const { createHash } = await import('node:crypto');
      const k = prefix();
      const script = "#!lua flags=allow-key-locking\nreturn redis.call('INCR', KEYS[1])";
      const sha = createHash('sha1').update(script).digest('hex');
      expect((await post(base, '/', ['EVALSHA', sha, 1, `${k}n`])).body).toEqual({
        error: 'NOSCRIPT No matching script. Please use EVAL.',
      });
      expect((await post(base, '/', ['EVAL', script, 1, `${k}n`])).body).toEqual({ result: 1 });
      expect((await post(base, '/', ['EVALSHA', sha, 1, `${k}n`])).body).toEqual({ result: 2 });
      const loaded = await post(base, '/', [
        'SCRIPT',
        'LOAD',
        "#!lua flags=allow-key-locking,no-writes\nreturn 'ro'",
      ]);
      expect(loaded.status).toBe(200);
      expect(
        (await post(base, '/', ['EVALSHA', (loaded.body as { result: string }).result, 0])).body,
      ).toEqual({
        result: 'ro',
      });
    });
  });

  describe('reply shapes', () => {
    it('sends doubles as strings and maps as flat arrays', async () => {
      const k = prefix();
      await post(base, '/', ['ZADD', `${k}z`, 1.5, 'm']);
      expect((await post(base, '/', ['ZSCORE', `${k}z`, 'm'])).text).toBe('{"result":"1.5"}');
      expect((await post(base, '/', ['INCRBYFLOAT', `${k}f`, '0.25'])).text).toBe('{"result":"0.25"}');
      await post(base, '/', ['HSET', `${k}h`, 'a', '1', 'b', '2']);
      expect((await post(base, '/', ['HGETALL', `${k}h`])).body).toEqual({ result: ['a', '1', 'b', '2'] });
    });

    it('replaces invalid UTF-8 with U+FFFD when base64 is not asked for', async () => {
      const k = prefix();
      await call(base, `/set/${k}x/%FFok`);
      expect((await call(base, `/get/${k}x`)).body).toEqual({ result: '\ufffdok' });
    });

    it('sends nested arrays and nils as they are', async () => {
      const k = prefix();
      await post(base, '/', ['SET', `${k}a`, '1']);
      expect((await post(base, '/', ['MGET', `${k}a`, `${k}missing`])).body).toEqual({ result: ['1', null] });
      await post(base, '/', ['XADD', `${k}s`, '1-1', 'f', 'v']);
      expect((await post(base, '/', ['XRANGE', `${k}s`, '-', '+'])).body).toEqual({
        result: [['1-1', ['f', 'v']]],
      });
    });
  });

  describe('Upstash-Encoding: base64', () => {
    it('round-trips all 256 byte values exactly', async () => {
      const k = prefix();
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const put = await call(base, `/set/${k}bytes`, { method: 'POST', body: bytes, headers: BASE64 });
      expect(put.body).toEqual({ result: 'OK' });
      const got = await call(base, `/get/${k}bytes`, { headers: BASE64 });
      expect(Buffer.from((got.body as { result: string }).result, 'base64').equals(bytes)).toBe(true);
      const pipeline = await post(base, '/pipeline', [['GET', `${k}bytes`]], { headers: BASE64 });
      expect(Buffer.from((pipeline.body as { result: string }[])[0]!.result, 'base64').equals(bytes)).toBe(
        true,
      );
    });

    it('keeps only a top-level OK raw and encodes nested OK, PONG and doubles', async () => {
      const k = prefix();
      expect((await post(base, '/', ['SET', `${k}a`, 'v'], { headers: BASE64 })).text).toBe(
        '{"result":"OK"}',
      );
      expect((await post(base, '/', ['PING'], { headers: BASE64 })).body).toEqual({ result: b64('PONG') });
      const script =
        "return {redis.status_reply('OK'), 'PONG', redis.call('INCRBYFLOAT', KEYS[1], '1.5'), 7}";
      const res = await post(base, '/', ['EVAL', script, 1, `${k}f`], { headers: BASE64 });
      expect(res.body).toEqual({ result: [b64('OK'), b64('PONG'), b64('1.5'), 7] });
      const tx = await post(base, '/multi-exec', [['SET', `${k}b`, 'x'], ['PING'], ['TYPE', `${k}b`]], {
        headers: BASE64,
      });
      expect(tx.body).toEqual([{ result: 'OK' }, { result: b64('PONG') }, { result: b64('string') }]);
    });

    it('never encodes errors', async () => {
      const res = await post(base, '/pipeline', [['NOPE'], ['PING']], { headers: BASE64 });
      const entries = res.body as { error?: string; result?: string }[];
      expect(entries[0]!.error).toMatch(/^ERR unknown command/);
      expect(entries[1]!.result).toBe(b64('PONG'));
      const single = await post(base, '/', ['INCR', 'a', 'b'], { headers: BASE64 });
      expect(single.body).toEqual({ error: "ERR wrong number of arguments for 'incr' command" });
    });
  });

  describe('Upstash-Response-Format: resp2', () => {
    it('answers raw RESP2 bytes as application/octet-stream', async () => {
      const k = prefix();
      const headers = { 'upstash-response-format': 'resp2' };
      const set = await post(base, '/', ['SET', `${k}a`, 'bar'], { headers });
      expect(set.text).toBe('+OK\r\n');
      expect(set.headers.get('content-type')).toBe('application/octet-stream');
      expect((await post(base, '/', ['GET', `${k}a`], { headers })).text).toBe('$3\r\nbar\r\n');
      expect((await post(base, '/', ['MGET', `${k}a`, `${k}x`], { headers })).text).toBe(
        '*2\r\n$3\r\nbar\r\n$-1\r\n',
      );
      const pipe = await post(base, '/pipeline', [['INCR', `${k}n`], ['NOPE']], { headers });
      expect(pipe.text).toMatch(/^:1\r\n-ERR unknown command/);
    });

    it('answers a Redis error as a JSON 400', async () => {
      const res = await post(base, '/', ['INCR'], { headers: { 'upstash-response-format': 'resp2' } });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: "ERR wrong number of arguments for 'incr' command" });
    });

    it('answers 400 for an unknown format and for resp2 together with base64', async () => {
      const bad = await post(base, '/', ['PING'], { headers: { 'upstash-response-format': 'xml' } });
      expect(bad.status).toBe(400);
      const both = await post(base, '/', ['PING'], {
        headers: { 'upstash-response-format': 'resp2', ...BASE64 },
      });
      expect(both.status).toBe(400);
      expect((both.body as { error: string }).error).toContain('cannot be combined');
    });
  });

  describe('upstash-sync-token', () => {
    it('sends a new token on every response and accepts any incoming value', async () => {
      const seen = new Set<string>();
      for (const incoming of ['', 'anything', 'x'.repeat(500)]) {
        const res = await call(base, '/ping', { headers: { 'upstash-sync-token': incoming } });
        expect(res.status).toBe(200);
        seen.add(res.headers.get('upstash-sync-token')!);
      }
      const unauthorized = await call(base, '/ping', { token: 'wrong' });
      seen.add(unauthorized.headers.get('upstash-sync-token')!);
      expect(seen.size).toBe(4);
    });
  });

  describe('authentication', () => {
    it('answers 401 with a JSON error for a missing or wrong token', async () => {
      for (const token of [null, 'wrong', `${TOKEN}x`, TOKEN.slice(0, -1)]) {
        const res = await post(base, '/', ['PING'], { token });
        expect(res.status).toBe(401);
        expect(res.body).toEqual({ error: 'WRONGPASS invalid or missing auth token' });
      }
      expect((await call(base, '/ping?_token=wrong', { token: null })).status).toBe(401);
    });

    it('accepts the Bearer scheme in any case and with extra spaces', async () => {
      for (const header of [`bearer ${TOKEN}`, `BEARER ${TOKEN}`, `  Bearer   ${TOKEN}  `]) {
        expect((await call(base, '/ping', { headers: { authorization: header } })).status).toBe(200);
      }
      expect((await call(base, '/ping', { headers: { authorization: `Basic ${TOKEN}` } })).status).toBe(401);
    });
  });

  describe('read-only token', () => {
    const ro = { token: READ_ONLY_TOKEN };

    it('runs reads, PING and ECHO', async () => {
      const k = prefix();
      await post(base, '/', ['SET', `${k}a`, 'v']);
      expect((await call(base, `/get/${k}a`, ro)).body).toEqual({ result: 'v' });
      expect((await post(base, '/', ['PING'], ro)).body).toEqual({ result: 'PONG' });
      expect((await post(base, '/', ['ECHO', 'hi'], ro)).body).toEqual({ result: 'hi' });
      expect((await post(base, '/', ['OBJECT', 'ENCODING', `${k}a`], ro)).status).toBe(200);
    });

    it('is refused every script, also the read-only ones: inside them Redis runs SELECT, INFO, SLOWLOG…', async () => {
      const k = prefix();
      await post(base, '/', ['SET', `${k}a`, 'v']);
      for (const command of [
        ['EVAL_RO', "return redis.call('GET', KEYS[1])", 1, `${k}a`],
        ['EVAL_RO', "redis.call('SELECT', 1) return redis.call('GET', KEYS[1])", 1, `${k}a`],
        ['EVAL_RO', "return redis.call('SLOWLOG', 'GET')", 0],
        ['EVAL_RO', "return redis.call('INFO')", 0],
        ['EVALSHA_RO', 'ffffffffffffffffffffffffffffffffffffffff', 0],
        ['FCALL_RO', 'f', 0],
        ['eval_ro', "return redis.call('INFO')", 0],
      ]) {
        for (const res of [
          await post(base, '/', command, ro),
          await post(base, '/multi-exec', [command], ro),
          await call(
            base,
            `/${[command[0], ...command.slice(1)].map((a) => encodeURIComponent(String(a))).join('/')}`,
            ro,
          ),
        ]) {
          expect(res.status, String(command[1])).toBe(400);
          expect((res.body as { error: string }).error).toMatch(/^NOPERM/);
        }
        const pipe = await post(base, '/pipeline', [command], ro);
        expect(pipe.body).toEqual([{ error: expect.stringMatching(/^NOPERM/) }]);
      }
    });

    it('is refused every write on every route, and KEYS and the SCAN family', async () => {
      const k = prefix();
      const noperm = /^NOPERM .*'set'/;
      expect(((await call(base, `/set/${k}a/v`, ro)).body as { error: string }).error).toMatch(noperm);
      expect(
        ((await call(base, `/set/${k}a`, { ...ro, method: 'PUT', body: 'v' })).body as { error: string })
          .error,
      ).toMatch(noperm);
      expect((await call(base, `/set/${k}a/v?_token=${READ_ONLY_TOKEN}`, { token: null })).status).toBe(400);
      const single = await post(base, '/', ['SET', `${k}a`, 'v'], ro);
      expect(single.status).toBe(400);
      expect((single.body as { error: string }).error).toMatch(noperm);
      const pipe = await post(
        base,
        '/pipeline',
        [
          ['GET', `${k}a`],
          ['SET', `${k}a`, 'v'],
        ],
        ro,
      );
      expect(pipe.body).toEqual([{ result: null }, { error: expect.stringMatching(noperm) }]);
      const tx = await post(
        base,
        '/multi-exec',
        [
          ['GET', `${k}a`],
          ['SET', `${k}a`, 'v'],
        ],
        ro,
      );
      expect(tx.status).toBe(400);
      for (const command of [
        ['EVAL', "return redis.call('SET', KEYS[1], 'v')", 1, `${k}a`],
        ['EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', 0],
        ['FCALL', 'f', 0],
        ['KEYS', '*'],
        ['SCAN', 0],
        ['HSCAN', `${k}h`, 0],
        ['SSCAN', `${k}s`, 0],
        ['ZSCAN', `${k}z`, 0],
        ['FLUSHALL'],
        ['PUBLISH', 'c', 'm'],
        ['SCRIPT', 'FLUSH'],
      ]) {
        const res = await post(base, '/', command, ro);
        expect(res.status, String(command[0])).toBe(400);
        expect((res.body as { error: string }).error, String(command[0])).toMatch(/^NOPERM/);
      }
      expect(await redis.cli('EXISTS', `${k}a`)).toBe('0');
    });

    it('cannot write through a read-only script', async () => {
      const k = prefix();
      const res = await post(
        base,
        '/',
        ['EVAL_RO', "return redis.call('SET', KEYS[1], 'v')", 1, `${k}a`],
        ro,
      );
      expect(res.status).toBe(400);
      expect(await redis.cli('EXISTS', `${k}a`)).toBe('0');
    });
  });

  describe('refused commands', () => {
    it('refuses server administration by default, on every route and in every spelling', async () => {
      const before = await redis.cli('CONFIG', 'GET', 'maxmemory');
      const admin: [string, ...string[]][] = [
        ['SHUTDOWN', 'NOSAVE'],
        ['shutdown'],
        ['CONFIG', 'SET', 'maxmemory', '1'],
        ['config', 'get', 'requirepass'],
        ['REPLICAOF', '127.0.0.1', '1'],
        ['SLAVEOF', '127.0.0.1', '1'],
        ['SAVE'],
        ['BGSAVE'],
        ['BGREWRITEAOF'],
        ['MODULE', 'LOAD', '/nonexistent.so'],
        ['FAILOVER'],
        ['DEBUG', 'SLEEP', '0'],
        ['SLOWLOG', 'GET'],
        ['SlowLog', 'reset'],
        ['LATENCY', 'RESET'],
        ['LASTSAVE'],
        ['MIGRATE', '127.0.0.1', '1', 'k', '0', '100'],
        ['CLUSTER', 'FORGET', 'x'],
        ['PFDEBUG', 'GETREG', 'k'],
      ];
      for (const command of admin) {
        const name = command[0].toUpperCase();
        const sub = ['CONFIG', 'MODULE', 'SLOWLOG', 'LATENCY', 'CLUSTER'].includes(name)
          ? ` ${command[1]!.toUpperCase()}`
          : '';
        const error = `ERR Command is not available: '${name}${sub}'`;
        expect((await post(base, '/', command)).body, command.join(' ')).toEqual({ error });
        expect((await post(base, '/pipeline', [command, ['PING']])).body).toEqual([
          { error },
          { result: 'PONG' },
        ]);
        expect((await post(base, '/multi-exec', [['PING'], command])).body).toEqual({ error });
        const path = command.map((arg, i) =>
          i === 0 ? `%${arg.charCodeAt(0).toString(16)}${arg.slice(1)}` : arg,
        );
        expect((await call(base, `/${path.join('/')}`)).body).toEqual({ error });
        expect((await call(base, `/${command.join('/')}`, { token: READ_ONLY_TOKEN })).status).toBe(400);
      }
      expect((await post(base, '/', ['PING'])).body).toEqual({ result: 'PONG' });
      expect(await redis.cli('CONFIG', 'GET', 'maxmemory')).toBe(before);
      // ACL is part of the REST API (ACL RESTTOKEN users), and stays.
      expect((await post(base, '/', ['ACL', 'WHOAMI'])).status).toBe(200);
    });

    it.each([
      ['BLPOP', 'l', '0'],
      ['BRPOP', 'l', '0'],
      ['BRPOPLPUSH', 'a', 'b', '0'],
      ['BLMOVE', 'a', 'b', 'LEFT', 'LEFT', '0'],
      ['BLMPOP', '0', '1', 'l', 'LEFT'],
      ['BZPOPMIN', 'z', '0'],
      ['BZPOPMAX', 'z', '0'],
      ['BZMPOP', '0', '1', 'z', 'MIN'],
      ['WAIT', '0', '0'],
      ['WAITAOF', '0', '0', '0'],
    ])('refuses the blocking command %s', async (...command) => {
      const res = await post(base, '/', command);
      expect(res).toMatchObject({
        status: 400,
        body: { error: `ERR Command is not available: '${command[0]}'` },
      });
    });

    it('refuses XREAD and XREADGROUP with BLOCK but runs them without', async () => {
      const k = prefix();
      const blocked = await post(base, '/', ['XREAD', 'block', '0', 'STREAMS', `${k}s`, '$']);
      expect((blocked.body as { error: string }).error).toBe("ERR Command is not available: 'XREAD BLOCK'");
      const group = await post(base, '/', [
        'XREADGROUP',
        'GROUP',
        'g',
        'c',
        'BLOCK',
        '0',
        'STREAMS',
        `${k}s`,
        '>',
      ]);
      expect(group.status).toBe(400);
      await post(base, '/', ['XADD', `${k}s`, '1-1', 'f', 'v']);
      const plain = await post(base, '/', ['XREAD', 'COUNT', '1', 'STREAMS', `${k}s`, '0']);
      expect(plain.body).toEqual({ result: [[`${k}s`, [['1-1', ['f', 'v']]]]] });
      const streamNamedBlock = await post(base, '/', ['XREAD', 'STREAMS', 'block', '0']);
      expect(streamNamedBlock.status).toBe(200);
      await post(base, '/', ['XGROUP', 'CREATE', `${k}s`, 'block', '0']);
      const groupNamedBlock = await post(base, '/', [
        'XREADGROUP',
        'GROUP',
        'block',
        'BLOCK',
        'COUNT',
        '1',
        'STREAMS',
        `${k}s`,
        '>',
      ]);
      expect(groupNamedBlock.body).toEqual({ result: [[`${k}s`, [['1-1', ['f', 'v']]]]] });
      const withBlockAfterNames = await post(base, '/', [
        'XREADGROUP',
        'GROUP',
        'block',
        'c',
        'COUNT',
        '1',
        'BLOCK',
        '5',
        'STREAMS',
        `${k}s`,
        '>',
      ]);
      expect(withBlockAfterNames.status).toBe(400);
    });

    it('refuses XREAD BLOCK also when the option comes percent-encoded in a path, for every token', async () => {
      const k = prefix();
      // Redis reads %42LOCK as BLOCK: run, it would hold the connection every request shares.
      for (const token of [TOKEN, READ_ONLY_TOKEN]) {
        const res = await call(base, `/xread/COUNT/1/%42LOCK/100/STREAMS/${k}s/$`, { token });
        expect(res).toMatchObject({
          status: 400,
          body: { error: "ERR Command is not available: 'XREAD BLOCK'" },
        });
      }
      const group = await call(base, `/xreadgroup/GROUP/g/c/%62lock/100/STREAMS/${k}s/%3E`);
      expect(group.status).toBe(400);
      expect((group.body as { error: string }).error).toBe(
        "ERR Command is not available: 'XREADGROUP BLOCK'",
      );
    });

    it.each([
      'AUTH',
      'HELLO',
      'SELECT',
      'CLIENT',
      'RESET',
      'QUIT',
      'MULTI',
      'EXEC',
      'DISCARD',
      'WATCH',
      'UNWATCH',
      'SUBSCRIBE',
      'PSUBSCRIBE',
      'UNSUBSCRIBE',
      'MONITOR',
    ])('refuses the session command %s', async (name) => {
      const res = await post(base, '/', [name, 'x']);
      expect(res).toMatchObject({
        status: 400,
        body: { error: `ERR Command "${name}" is not allowed in REST or it has a special context path` },
      });
    });

    it('keeps working after every refused command (the shared connection is untouched)', async () => {
      await post(base, '/', ['SELECT', '5']);
      const k = prefix();
      await post(base, '/', ['SET', `${k}a`, 'db0']);
      expect(await redis.cli('-n', '0', 'GET', `${k}a`)).toBe('db0');
    });
  });

  describe('HTTP errors', () => {
    it('answers 405 with a JSON error and an Allow header for other methods', async () => {
      for (const method of ['DELETE', 'PATCH']) {
        const res = await call(base, '/get/a', { method });
        expect(res.status).toBe(405);
        expect(res.body).toEqual({ error: expect.stringContaining(`method ${method} is not allowed`) });
        expect(res.headers.get('allow')).toBe('GET, HEAD, POST, PUT');
      }
    });

    it('answers 413 for a body over the limit, declared or streamed', async () => {
      const big = 'x'.repeat(70 * 1024);
      const declared = await post(base, '/', ['SET', 'k', big]);
      expect(declared.status).toBe(413);
      expect((declared.body as { error: string }).error).toMatch(/^ERR max request size exceeded/);
      const streamed = await call(base, '/set/k', {
        method: 'POST',
        body: new ReadableStream({
          start(controller) {
            for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode('y'.repeat(10 * 1024)));
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
      expect(streamed.status).toBe(413);
      expect(await redis.cli('EXISTS', 'k')).toBe('0');
    });

    it('answers 413 for a response over the limit and keeps serving', async () => {
      const k = prefix();
      for (let i = 0; i < 5; i++) await post(base, '/', ['APPEND', `${k}big`, 'z'.repeat(15 * 1024)]);
      const res = await post(base, '/', ['GET', `${k}big`]);
      expect(res.status).toBe(413);
      expect((res.body as { error: string }).error).toMatch(/^ERR max request size exceeded/);
      expect((await post(base, '/', ['STRLEN', `${k}big`])).body).toEqual({ result: 75 * 1024 });
      // The same value inside an array, in a pipeline, and as RESP2: one 413, and the connection stays in step.
      await post(base, '/', ['SET', `${k}small`, 'ok']);
      for (const [path, body, headers] of [
        ['/', ['MGET', `${k}small`, `${k}big`], {}],
        [
          '/pipeline',
          [
            ['GET', `${k}small`],
            ['GET', `${k}big`],
          ],
          {},
        ],
        ['/', ['GET', `${k}big`], { 'upstash-response-format': 'resp2' }],
        ['/multi-exec', [['GET', `${k}big`]], { 'upstash-encoding': 'base64' }],
      ] as const) {
        const over = await post(base, path, body, { headers });
        expect(over.status, path).toBe(413);
        expect((over.body as { error: string }).error).toMatch(/^ERR max request size exceeded/);
        expect((await post(base, '/', ['GET', `${k}small`])).body).toEqual({ result: 'ok' });
      }
    });

    it('answers 400, not 500, for a malformed percent-escape in _token', async () => {
      const res = await call(base, '/ping?_token=%zz', { token: null });
      expect(res.status).toBe(400);
      expect((res.body as { error: string }).error).toContain('percent-encoding');
    });

    it("answers what Node's HTTP parser refuses with a JSON error too: huge headers, malformed requests", async () => {
      const raw = (request: string) =>
        new Promise<string>((resolve, reject) => {
          const socket = net.connect({ host: '127.0.0.1', port: Number(new URL(base).port) });
          let received = '';
          socket.on('data', (chunk: Buffer) => {
            received += chunk.toString('latin1');
          });
          socket.on('error', reject);
          socket.on('close', () => resolve(received));
          socket.write(request);
        });
      const huge = await raw(
        `GET /ping HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      );
      expect(huge).toMatch(/^HTTP\/1\.1 431 /);
      expect(huge).toMatch(/\r\nupstash-sync-token: \S+\r\n/);
      expect(JSON.parse(huge.slice(huge.indexOf('\r\n\r\n') + 4))).toEqual({
        error: 'ERR request headers too large',
      });
      const malformed = await raw('GET /ping HTTP/1.1\r\nHost: x\r\nNot a header\r\n\r\n');
      expect(malformed).toMatch(/^HTTP\/1\.1 400 /);
      expect(JSON.parse(malformed.slice(malformed.indexOf('\r\n\r\n') + 4))).toEqual({
        error: 'ERR malformed HTTP request',
      });
    });

    it('answers HEAD and OPTIONS on every route without a body and without crashing', async () => {
      const routes: [string, number][] = [
        ['/', 400],
        ['/get/k', 200],
        ['/pipeline', 405],
        ['/multi-exec', 405],
        ['/subscribe/c', 405],
        ['/psubscribe/c*', 405],
        ['/monitor', 405],
        ['/-/health', 200],
      ];
      for (const [path, status] of routes) {
        const head = await fetch(base + path, {
          method: 'HEAD',
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        expect(head.status, `HEAD ${path}`).toBe(status);
        expect(await head.text(), `HEAD ${path}`).toBe('');
        expect(head.headers.get('upstash-sync-token'), `HEAD ${path}`).toBeTruthy();
        const options = await fetch(base + path, {
          method: 'OPTIONS',
          headers: { origin: 'https://app.example' },
        });
        expect(options.status, `OPTIONS ${path}`).toBe(204);
        expect(options.headers.get('access-control-allow-origin'), `OPTIONS ${path}`).toBe('*');
      }
    });

    it('answers GET / without a command with a JSON 400', async () => {
      const res = await call(base, '/');
      expect(res.status).toBe(400);
      expect((res.body as { error: string }).error).toMatch(
        /^ERR Command is not available: '': send the command as a JSON array in a POST body/,
      );
    });
  });

  describe('CORS', () => {
    it('answers preflight requests without a token', async () => {
      const res = await fetch(`${base}/`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://app.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, upstash-encoding',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-methods')).toContain('POST');
      expect(res.headers.get('access-control-allow-headers')).toMatch(
        /Authorization.*Cache-Control.*Upstash-Encoding/,
      );
    });

    it('sends CORS headers only to requests with an Origin, and says so with Vary', async () => {
      const plain = await call(base, '/ping');
      expect(plain.headers.get('access-control-allow-origin')).toBeNull();
      const browser = await call(base, '/ping', { headers: { origin: 'https://app.example' } });
      expect(browser.headers.get('access-control-allow-origin')).toBe('*');
      expect(browser.headers.get('vary')).toBe('Origin');
    });

    it('exposes the sync token header to browsers on every response', async () => {
      const res = await call(base, '/ping', {
        token: READ_ONLY_TOKEN,
        headers: { origin: 'https://app.example' },
      });
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-expose-headers')).toBe('Upstash-Sync-Token, X-Request-Id');
    });
  });

  describe('server options and errors', () => {
    it('refuses a CORS origin that is not a valid header value, naming the option', () => {
      expect(() => createServer({ token: 't', corsOrigin: 'https://a.example\r\nx-injected: 1' })).toThrow(
        ConfigError,
      );
      expect(() => createServer({ token: 't', corsOrigin: 'https://a.example\nx: 1' })).toThrow(
        /CORS origin/,
      );
    });

    it('survives an error event of the HTTP server (e.g. EMFILE on accept) and keeps serving', async () => {
      expect(() => server.http.emit('error', new Error('accept EMFILE'))).not.toThrow();
      expect((await call(base, '/ping')).body).toEqual({ result: 'PONG' });
    });
  });

  describe('health check', () => {
    it('answers 200 without a token at a path no command can have', async () => {
      const res = await call(base, '/-/health', { token: null });
      expect(res).toMatchObject({ status: 200, body: { status: 'ok' } });
    });
  });
}
