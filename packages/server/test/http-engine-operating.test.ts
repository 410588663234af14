/**
 * What operators see, on both HTTP engines after the same requests: request ids
 * in responses, request log lines (`--log-requests`) and the `/-/metrics`
 * counters must be the same, whichever engine read the request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';
import { ENGINES, type Engine, engineOption } from './fixtures/http/differential.js';
import { comparableExchange, exchange } from './fixtures/http/wire.js';
import { startRedis, startServer, type TestRedis, TOKEN } from './helpers.js';

const METRICS_TOKEN = 'metrics-token-for-the-engine-tests';
const MAX_REQUEST_SIZE = 4096;
const run = Math.random().toString(36).slice(2, 8);
const auth = `Authorization: Bearer ${TOKEN}\r\n`;
const close = 'Connection: close\r\n';
const post = (path: string, body: string, headers = '') =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\n${auth}${headers}Content-Length: ${Buffer.byteLength(body)}\r\n${close}\r\n${body}`;

/**
 * Each sent on a connection of its own, one after the other, in this order; the
 * keys of each engine's run their own (`k`: as long for both), as the answers depend on them.
 */
const requests = (k: string): [name: string, bytes: string][] => [
  ['GET by path', `GET /get/${k}a HTTP/1.1\r\nHost: x\r\n${auth}${close}\r\n`],
  ['a request id given', `GET /ping HTTP/1.1\r\nHost: x\r\n${auth}X-Request-Id: given-id.1\r\n${close}\r\n`],
  [
    'a request id that is not one',
    `GET /ping HTTP/1.1\r\nHost: x\r\n${auth}X-Request-Id: not an id!\r\n${close}\r\n`,
  ],
  ['POST /', post('/', JSON.stringify(['SET', `${k}a`, 'v']))],
  ['POST /pipeline', post('/pipeline', JSON.stringify([['GET', `${k}a`], ['ECHO', 'x'], ['NOSUCH']]))],
  [
    'POST /multi-exec',
    post(
      '/multi-exec',
      JSON.stringify([
        ['INCR', `${k}n`],
        ['GET', `${k}a`],
      ]),
    ),
  ],
  ['a wrong token', `GET /ping HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n${close}\r\n`],
  ['DELETE (405)', `DELETE /ping HTTP/1.1\r\nHost: x\r\n${auth}${close}\r\n`],
  ['an unknown operator path (404)', `GET /-/nothing HTTP/1.1\r\nHost: x\r\n${close}\r\n`],
  ['liveness', `GET /-/health HTTP/1.1\r\nHost: x\r\n${close}\r\n`],
  ['a body over the limit (413)', post('/', JSON.stringify(['ECHO', 'x'.repeat(MAX_REQUEST_SIZE)]))],
  ['gzip (415)', post('/', '["PING"]', 'Content-Encoding: gzip\r\n')],
  [
    'a chunked body',
    `POST / HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\n${close}\r\n8\r\n["PING"]\r\n0\r\n\r\n`,
  ],
  ['HEAD', `HEAD /get/${k}a HTTP/1.1\r\nHost: x\r\n${auth}${close}\r\n`],
  [
    'a CORS preflight',
    `OPTIONS / HTTP/1.1\r\nHost: x\r\nOrigin: https://a.example\r\nAccess-Control-Request-Method: POST\r\n${close}\r\n`,
  ],
  ['a command error', post('/', JSON.stringify(['INCR', `${k}a`]))],
  ['not HTTP', 'NOT HTTP AT ALL\r\n\r\n'],
];

let redis: TestRedis;
const servers = {} as Record<Engine, { port: number; lines: string[]; close: () => Promise<void> }>;

beforeAll(async () => {
  redis = await startRedis();
  for (const engine of ENGINES) {
    const lines: string[] = [];
    const server = await startServer({
      redisUrl: redis.url,
      maxRequestSize: MAX_REQUEST_SIZE,
      metricsToken: METRICS_TOKEN,
      logRequests: true,
      logger: createLogger('info', (line) => lines.push(line)),
      ...engineOption(engine),
    });
    servers[engine] = { port: Number(new URL(server.baseUrl).port), lines, close: () => server.close() };
  }
});

afterAll(async () => {
  for (const engine of ENGINES) await servers[engine]?.close();
  await redis?.stop();
});

/** A generated request id (`<random prefix>-<counter>`, per server) stands for itself; a given one is kept. */
const GENERATED = /^[A-Za-z0-9_-]{8}-\d+$/;

function normalizeHeaders(headers: string[]): string[] {
  return headers.map((header) => {
    const [name, value] = [header.slice(0, header.indexOf(':')), header.slice(header.indexOf(':') + 2)];
    return name === 'x-request-id' && GENERATED.test(value) ? `${name}: <generated>` : header;
  });
}

/** The `request` log lines, without what is per server or per moment. */
function requestLines(lines: string[]): unknown[] {
  return lines
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === 'request')
    .map(({ time: _time, ms: _ms, id, ...rest }) => ({
      ...rest,
      id: typeof id === 'string' && GENERATED.test(id) ? '<generated>' : id,
    }));
}

/** The metrics that count: durations and gauges left out. */
function counters(text: string): string[] {
  return text
    .split('\n')
    .filter(
      (line) =>
        /^restash_(http_requests_total|commands_total|errors_total)/.test(line) ||
        /^restash_http_request_duration_seconds_count/.test(line),
    );
}

describe('after the same requests on both engines', () => {
  const answers = {} as Record<Engine, ReturnType<typeof comparableExchange>[]>;
  const metrics = {} as Record<Engine, string>;
  beforeAll(async () => {
    for (const engine of ENGINES) {
      answers[engine] = [];
      for (const [name, bytes] of requests(`ho${run}${engine}:`)) {
        const result = await exchange(servers[engine].port, [Buffer.from(bytes)], {
          heads: [name === 'HEAD'],
          deadlineMs: 3000,
        });
        answers[engine].push(comparableExchange(result));
      }
      const scrape = await exchange(
        servers[engine].port,
        [
          Buffer.from(
            `GET /-/metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${METRICS_TOKEN}\r\n${close}\r\n`,
          ),
        ],
        { deadlineMs: 3000 },
      );
      metrics[engine] = scrape.responses[0]?.body.toString() ?? '';
    }
  }, 60_000);

  it('the answers are the same, request ids included', () => {
    const normalized = (engine: Engine) =>
      answers[engine].map((answer) => ({
        ...answer,
        responses: answer.responses.map((response) => ({
          ...response,
          headers: normalizeHeaders(response.headers),
        })),
      }));
    expect(normalized('fast')).toEqual(normalized('node'));
    const given = answers.node[1]!.responses[0]!.headers;
    expect(given).toContain('x-request-id: given-id.1');
  });

  it('the request log lines are the same', () => {
    const node = requestLines(servers.node.lines);
    expect(node.length).toBeGreaterThanOrEqual(requests('').length - 2);
    expect(requestLines(servers.fast.lines)).toEqual(node);
  });

  it('the metrics count the same requests, commands and errors', () => {
    expect(counters(metrics.node).length).toBeGreaterThan(10);
    expect(counters(metrics.fast)).toEqual(counters(metrics.node));
  });
});
