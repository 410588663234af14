/**
 * A seeded fuzz of the HTTP surface: framing, encodings, JSON shapes, sizes,
 * every method on every route. Asserts no crash, no 5xx, a JSON error body on
 * every refusal, no hang, and memory back under a bound.
 *
 * RESTASH_FUZZ_CASES (default 10000) and RESTASH_FUZZ_SEED (default: the day)
 * change the run; a failure prints the seed and the case to replay.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_ONLY_TOKEN, seeded, startRedis, startServer, type TestRedis, TOKEN } from './helpers.js';

const CASES = Number(process.env.RESTASH_FUZZ_CASES ?? 10_000);
const SEED = Number(process.env.RESTASH_FUZZ_SEED ?? Math.floor(Date.now() / 86_400_000));
const LIMIT = 64 * 1024;
/** Bodies just over the limit are cut from this one string, not built per case. */
const OVERSIZED = 'x'.repeat(LIMIT + 1000);

let redis: TestRedis;
let base: string;
let port: number;
let close: () => Promise<void>;

beforeAll(async () => {
  redis = await startRedis();
  const server = await startServer({
    redisUrl: redis.url,
    maxRequestSize: LIMIT,
    maxPipelineCommands: 200,
    commandTimeout: 5000,
  });
  base = server.baseUrl;
  port = Number(new URL(base).port);
  close = () => server.close();
});

afterAll(async () => {
  await close?.();
  await redis?.stop();
});

type Random = ReturnType<typeof seeded>;

const METHODS = ['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'get'];
const ROUTES = [
  '/',
  '/pipeline',
  '/multi-exec',
  '/-/health',
  '/subscribe',
  '/psubscribe/',
  '/monitor/x',
  '/nope/%zz',
  '//',
  '/get/%FF%FE',
  '/set/k/v?EX=x',
  '/ping?_token=',
  '/%',
];
const NAMES = [
  'GET',
  'SET',
  'INCR',
  'HSET',
  'ZADD',
  'LPUSH',
  'EVAL',
  'SCAN',
  'KEYS',
  'PING',
  'ECHO',
  'CONFIG',
  'SHUTDOWN',
  'SELECT',
  'MULTI',
  'BLPOP',
  'XREAD',
  'ACL',
  'DEBUG',
  'OBJECT',
  'MEMORY',
  'SUBSCRIBE',
  'MONITOR',
  'CLIENT',
  'WAIT',
  'FLUSHALL',
  '',
];

function text(r: Random): string {
  const alphabets = [
    'abc',
    'k:{x}',
    '\u0000\u0001\n\r"\\',
    'é😀\uD800',
    '%2F/+?&=#',
    '9223372036854775808',
    '-1.5e309',
  ];
  let out = '';
  for (let i = r.int(12); i > 0; i--) out += r.pick(alphabets)[r.int(3)] ?? '';
  return out;
}

/** A JSON value that is sometimes an argument list, sometimes not. */
function json(r: Random, depth = 0): string {
  switch (r.int(depth > 2 ? 4 : 8)) {
    case 0:
      return JSON.stringify(text(r));
    case 1:
      return r.pick(['0', '-0', '1e400', '12345678901234567890123', '3.14', 'NaN', '01', '1.']);
    case 2:
      return r.pick(['true', 'false', 'null']);
    case 3:
      return JSON.stringify(r.pick(NAMES));
    case 4:
    case 5: {
      const items = Array.from({ length: r.int(6) }, () => json(r, depth + 1));
      if (depth === 0 && r.int(2) === 0) items.unshift(JSON.stringify(r.pick(NAMES)));
      return `[${items.join(r.pick([',', ', ', ',,']))}]`;
    }
    case 6:
      return `{"a":${json(r, depth + 1)}}`;
    default:
      return r.pick(['[', ']', '[[', '"', '[1,]', "['x']", '', ' ', '[{}]', '[[]]', '\u0000']);
  }
}

function body(r: Random, route: string): string {
  switch (r.int(6)) {
    case 0:
      return '';
    case 1:
      return OVERSIZED.slice(0, LIMIT + 1 + r.int(1000));
    case 2: {
      const commands = Array.from(
        { length: r.int(5) + 1 },
        () => `[${JSON.stringify(r.pick(NAMES))},${json(r, 1)}]`,
      );
      return `[${commands.join(',')}]`;
    }
    case 3:
      return route === '/pipeline' || route === '/multi-exec'
        ? `[${Array(r.int(250)).fill('["PING"]').join(',')}]`
        : json(r);
    default:
      return json(r);
  }
}

function headers(r: Random): Record<string, string> {
  const h: Record<string, string> = {};
  const token = r.pick([TOKEN, TOKEN, READ_ONLY_TOKEN, 'wrong', '']);
  if (token) h.authorization = `${r.pick(['Bearer', 'bearer', 'Basic', 'Bearer  '])} ${token}`;
  if (r.int(3) === 0) h['upstash-encoding'] = r.pick(['base64', 'BASE64', 'gzip', '', 'base64, base64']);
  if (r.int(3) === 0) h['upstash-response-format'] = r.pick(['resp2', 'json', 'xml', 'RESP2 ', '']);
  if (r.int(8) === 0) h['content-encoding'] = r.pick(['gzip', 'identity', 'br']);
  if (r.int(8) === 0) h['content-type'] = r.pick(['text/plain', 'application/json; charset=latin1', 'x']);
  if (r.int(10) === 0) h.origin = 'https://example.com';
  return h;
}

/** Every byte of the UTF-8 (lone surrogates become U+FFFD) percent-encoded. */
function percent(value: string): string {
  return [...Buffer.from(value, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

/** One raw request: framing mistakes fetch would never make. */
function rawRequest(r: Random): string {
  const route = r.pick(ROUTES);
  const payload = json(r);
  const auth = `Authorization: Bearer ${TOKEN}\r\n`;
  switch (r.int(10)) {
    case 0:
      return `POST ${route} HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: ${payload.length + r.int(3)}\r\nTransfer-Encoding: chunked\r\n\r\n${payload}`;
    case 1:
      // (A chunk announced bigger than it is would wait for the request timeout, as a half-sent body does: see bounds.test.ts.)
      return `POST ${route} HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\n\r\n${r.pick(['zz', '-1', '10000000000000000', '1;ext'])}\r\n${payload}\r\n0\r\n\r\n`;
    case 2:
      return `POST ${route} HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 5\r\nContent-Length: 6\r\n\r\n["PI"]`;
    case 3:
      return `${r.pick(METHODS)} ${route} HTTP/${r.pick(['1.1', '1.0', '2.0', '0.9', 'x'])}\r\nHost: x\r\n${auth}\r\n`;
    case 4:
      return `GET /${'a'.repeat(r.int(20_000))} HTTP/1.1\r\nHost: x\r\n${auth}\r\n`;
    case 5:
      return `GET /ping HTTP/1.1\r\nHost: x\r\n${auth}X-Big: ${'b'.repeat(17 * 1024)}\r\n\r\n`;
    case 6:
      return `GET /ping HTTP/1.1\r\nHo st: x\r\n${auth}X: \u0001\r\n\r\n`;
    case 7: {
      // Random bytes, then the blank line that ends a head. Alone, bytes that happen to be the start
      // of a request ("Q", a prefix of QUERY) would rightly wait for the rest, up to headersTimeout;
      // so would bytes that are only CR and LF, the empty lines a server skips before a request line.
      const bytes = Array.from({ length: r.int(64) + 1 }, () => String.fromCharCode(r.int(256))).join('');
      return `${/[^\r\n]/.test(bytes) ? '' : 'x'}${bytes}\r\n\r\n`;
    }
    case 8:
      return `POST / HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: ${payload.length}\r\n\r\n${payload}GET /ping HTTP/1.1\r\nHost: x\r\n${auth}\r\n`;
    default:
      return `POST ${route} HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: ${r.pick(['chunked', 'gzip, chunked', 'chunked, chunked', 'identity'])}\r\n\r\n${payload.length.toString(16)}\r\n${payload}\r\n0\r\n\r\n`;
  }
}

/**
 * Sends raw bytes and collects the answers: until the server closes, or 200 ms
 * after the last byte (keep-alive), or 10 s without a byte (a hang). The client
 * does not half-close: Node takes a FIN as the client leaving.
 */
function sendRaw(request: string): Promise<{ text: string; hung: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let hung = false;
    let quiet: NodeJS.Timeout | undefined;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      clearTimeout(timer);
      clearTimeout(quiet);
      quiet = setTimeout(() => socket.destroy(), 200);
    });
    socket.on('error', () => {});
    const timer = setTimeout(() => {
      hung = true;
      socket.destroy();
    }, 10_000);
    socket.on('close', () => {
      clearTimeout(timer);
      clearTimeout(quiet);
      resolve({ text, hung });
    });
    socket.write(Buffer.from(request, 'latin1'));
  });
}

/** Problems with one raw exchange: every response well-formed, no 5xx, errors as JSON. */
function checkRaw(text: string, isHead: boolean): string | undefined {
  let rest = text;
  if (rest === '') return 'no bytes at all';
  while (rest.length > 0) {
    const head = /^HTTP\/1\.1 (\d{3}) [^\r\n]*\r\n([\s\S]*?)\r\n\r\n/.exec(rest);
    if (!head) return `not an HTTP response: ${JSON.stringify(rest.slice(0, 80))}`;
    const status = Number(head[1]);
    const fields = head[2]!.toLowerCase();
    const length = /content-length: (\d+)/.exec(fields);
    const chunked = fields.includes('transfer-encoding: chunked');
    let bodyText = '';
    let consumed = head[0].length;
    if (isHead && !rest.startsWith('{', consumed)) {
      // A HEAD answer has the headers of the GET, no body (a refusal of a malformed one has its JSON).
    } else if (length) {
      bodyText = rest.slice(consumed, consumed + Number(length[1]));
      consumed += Number(length[1]);
    } else if (chunked) {
      const end = rest.indexOf('\r\n0\r\n\r\n', consumed);
      bodyText = rest.slice(consumed, end === -1 ? rest.length : end);
      consumed = end === -1 ? rest.length : end + 7;
    } else if (status !== 204 && status !== 304) {
      bodyText = rest.slice(consumed);
      consumed = rest.length;
    }
    if (status >= 500) return `status ${status}: ${bodyText.slice(0, 120)}`;
    if (status >= 400 && !isHead && !fields.includes('text/event-stream')) {
      try {
        const parsed = JSON.parse(bodyText) as { error?: unknown };
        if (typeof parsed.error !== 'string') return `error body without "error": ${bodyText.slice(0, 80)}`;
      } catch {
        if (!chunked)
          return `status ${status} with a body that is not JSON: ${JSON.stringify(bodyText.slice(0, 80))}`;
      }
    }
    rest = rest.slice(consumed);
  }
  return undefined;
}

describe(`fuzz (seed ${SEED}, ${CASES} cases)`, () => {
  it('answers every case without a crash, a 5xx, a non-JSON error or a hang, and gives its memory back', {
    timeout: 180_000,
  }, async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const failures: string[] = [];
    let done = 0;
    const runCase = async (index: number) => {
      const seedOfCase = SEED * 1_000_003 + index;
      const c = seeded(seedOfCase);
      const describeCase = (what: string) => `case ${index} (seed ${SEED}): ${what}`;
      if (c.int(5) === 0) {
        const request = rawRequest(c);
        const { text, hung } = await sendRaw(request);
        if (hung) failures.push(describeCase(`hung on ${JSON.stringify(request.slice(0, 120))}`));
        const problem = text === '' && hung ? undefined : checkRaw(text, request.startsWith('HEAD '));
        if (problem) failures.push(describeCase(`${problem} for ${JSON.stringify(request.slice(0, 120))}`));
        return;
      }
      const method = c.pick(['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'PATCH', 'OPTIONS']);
      const route = c.int(3) === 0 ? `/${percent(c.pick(NAMES))}/${percent(text(c))}` : c.pick(ROUTES);
      const init: RequestInit = { method, headers: headers(c), signal: AbortSignal.timeout(10_000) };
      if (method !== 'GET' && method !== 'HEAD') init.body = body(c, route);
      let res: Response;
      let responseText: string;
      try {
        res = await fetch(base + route, init);
        const type = res.headers.get('content-type') ?? '';
        if (type.includes('text/event-stream')) {
          await res.body?.cancel();
          return;
        }
        responseText = await res.text();
      } catch (error) {
        failures.push(describeCase(`${method} ${route}: ${(error as Error).message}`));
        return;
      }
      if (res.status >= 500)
        failures.push(describeCase(`${method} ${route}: ${res.status} ${responseText.slice(0, 120)}`));
      if (res.status >= 400 && method !== 'HEAD') {
        try {
          const parsed = JSON.parse(responseText) as { error?: unknown };
          if (typeof parsed.error !== 'string')
            failures.push(describeCase(`${method} ${route}: no "error" in ${responseText.slice(0, 80)}`));
        } catch {
          failures.push(
            describeCase(`${method} ${route}: ${res.status} body is not JSON: ${responseText.slice(0, 80)}`),
          );
        }
      }
    };
    const concurrency = 64;
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < CASES) {
          const index = next++;
          await runCase(index);
          done++;
        }
      }),
    );
    expect(done).toBe(CASES);
    expect(failures.slice(0, 20)).toEqual([]);
    // Still serving, and Redis was never stopped or reconfigured.
    expect(
      await (await fetch(`${base}/ping`, { headers: { authorization: `Bearer ${TOKEN}` } })).json(),
    ).toEqual({
      result: 'PONG',
    });
    expect(await redis.cli('PING')).toBe('PONG');
    // Generous: what a leak of the request bodies would exceed (about 10,000 × 64 KiB).
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(256 * 1024 * 1024);
  });
});
