import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, createLogger, createServer } from '../src/index.js';
import { VERSION } from '../src/version.js';
import {
  call,
  post,
  selfSignedCertificate,
  startRedis,
  startServer,
  type TestRedis,
  TOKEN,
  tempDir,
  until,
} from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function redis(): Promise<TestRedis> {
  const started = await startRedis();
  cleanups.push(() => started.stop());
  return started;
}

async function server(options: Parameters<typeof startServer>[0]) {
  const started = await startServer(options);
  cleanups.push(() => started.close());
  return started;
}

/** A logger that keeps its JSON lines. */
function capture(level: 'debug' | 'info' = 'info') {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const logger = createLogger(level, (line) => {
    raw.push(line);
    lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  return { logger, lines, raw };
}

/** The certificate the server presents on a new TLS connection. */
function peerCertificate(url: string, ca: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: hostname, port: Number(port), ca, servername: 'localhost' }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fingerprint);
    });
    socket.on('error', reject);
  });
}

describe('liveness, readiness and version', () => {
  it('answers /-/health 200 while Redis is down, /-/ready 503 until Redis answers', async () => {
    const r = await redis();
    const s = await server({ redisUrl: r.url });
    expect(await call(s.baseUrl, '/-/ready', { token: null })).toMatchObject({
      status: 200,
      body: { status: 'ready' },
    });
    await r.kill();
    expect(await call(s.baseUrl, '/-/health', { token: null })).toMatchObject({
      status: 200,
      body: { status: 'ok' },
    });
    const down = await call(s.baseUrl, '/-/ready', { token: null });
    expect(down.status).toBe(503);
    expect((down.body as { error: string }).error).toMatch(/^ERR Redis is unreachable/);
    await r.start();
    await until(async () => (await call(s.baseUrl, '/-/ready', { token: null })).status === 200);
  });

  it('answers readiness per database with ?db=, so one tenant down does not take the others out', async () => {
    const a = await redis();
    const b = await redis();
    const s = await server({
      token: undefined,
      readOnlyToken: undefined,
      databases: [
        { id: 'a', redisUrl: a.url, token: 'token-a-0123456789' },
        { id: 'b', redisUrl: b.url, token: 'token-b-0123456789' },
      ],
    });
    await b.kill();
    expect((await call(s.baseUrl, '/-/ready?db=a', { token: null })).body).toEqual({
      status: 'ready',
      database: 'a',
    });
    const bDown = await call(s.baseUrl, '/-/ready?db=b', { token: null });
    expect(bDown.status).toBe(503);
    const all = await call(s.baseUrl, '/-/ready', { token: null });
    expect(all.status).toBe(503);
    expect((all.body as { error: string }).error).toContain('b: ');
    expect((all.body as { error: string }).error).not.toContain('a: ');
    const unknown = await call(s.baseUrl, '/-/ready?db=nope', { token: null });
    expect(unknown).toMatchObject({ status: 404, body: { error: 'ERR no database "nope"' } });
    expect((await call(s.baseUrl, '/-/ready?db=%zz', { token: null })).status).toBe(404);
  });

  it('serves /-/version without a token and never forwards /-/ paths to Redis', async () => {
    const r = await redis();
    const s = await server({ redisUrl: r.url });
    expect(await call(s.baseUrl, '/-/version', { token: null })).toMatchObject({
      status: 200,
      body: { version: VERSION },
    });
    expect(VERSION).toBe(
      JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version,
    );
    expect(await call(s.baseUrl, '/-/nothing')).toMatchObject({
      status: 404,
      body: { error: 'ERR no such endpoint /-/nothing' },
    });
    expect((await call(s.baseUrl, '/-/health', { method: 'POST', token: null })).status).toBe(405);
    // Metrics are not served unless asked for.
    expect((await call(s.baseUrl, '/-/metrics')).status).toBe(404);
  });

  it('answers GET / with a token with an error that says how to send a command', async () => {
    const r = await redis();
    const s = await server({ redisUrl: r.url });
    const res = await call(s.baseUrl, '/');
    expect(res.status).toBe(400);
    expect((res.body as { error: string }).error).toContain(
      'send the command as a JSON array in a POST body',
    );
  });
});

describe('start-up messages', () => {
  it('says a rediss:// URL points at a plain-text Redis, and refuses to start', async () => {
    const r = await redis();
    const s = createServer({
      token: TOKEN,
      redisUrl: `rediss://127.0.0.1:${r.port}`,
      port: 0,
      connectTimeout: 500,
      logger: createLogger('silent'),
    });
    cleanups.push(() => s.close());
    const failure = s.listen();
    await expect(failure).rejects.toThrow(ConfigError);
    await expect(failure).rejects.toThrow(/does not speak TLS — a plain-text Redis\? Use redis:\/\/ for it/);
  });
});

describe('weak tokens in a config file', () => {
  it('logs a warning on loopback and an error off it, naming the database, never the token', async () => {
    const r = await redis();
    for (const [host, level] of [
      ['127.0.0.1', 'warn'],
      ['0.0.0.0', 'error'],
    ] as const) {
      const { logger, lines, raw } = capture('info');
      const s = await server({
        token: undefined,
        readOnlyToken: undefined,
        host,
        logger,
        databases: [
          { id: 'weak', redisUrl: r.url, token: 'short-token', readOnlyToken: 'read-only-token-0123' },
          { id: 'strong', redisUrl: r.url, token: 'strong-token-0123456789' },
        ],
      });
      const weak = lines.filter((line) => String(line.msg).includes('characters long'));
      expect(weak).toHaveLength(1);
      expect(weak[0]).toMatchObject({ level, database: 'weak' });
      expect(weak[0]!.msg).toContain('database "weak": its token is 11 characters long');
      expect(raw.join('')).not.toContain('short-token');
      await s.close();
    }
  });
});

describe('request ids and request logs', () => {
  it('returns a request id on every answer when requests are logged, and keeps a well-formed one a proxy gave', async () => {
    const r = await redis();
    const s = await server({ redisUrl: r.url, logger: capture().logger, logRequests: true });
    const a = await call(s.baseUrl, '/ping');
    const b = await call(s.baseUrl, '/ping');
    expect(a.headers.get('x-request-id')).toMatch(/^[\w-]+-\d+$/);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
    const given = await call(s.baseUrl, '/ping', { headers: { 'x-request-id': 'lb-42.abc' } });
    expect(given.headers.get('x-request-id')).toBe('lb-42.abc');
    const bad = await call(s.baseUrl, '/ping', { headers: { 'x-request-id': 'a b<script>' } });
    expect(bad.headers.get('x-request-id')).not.toBe('a b<script>');
    const unauthorized = await call(s.baseUrl, '/ping', { token: 'wrong' });
    expect(unauthorized.headers.get('x-request-id')).toBeTruthy();
  });

  it('logs one JSON line per request with --log-requests: command name, pipeline length, status, id, client — no values or tokens', async () => {
    const r = await redis();
    const { logger, lines, raw } = capture('info');
    const s = await server({ redisUrl: r.url, logger, logRequests: true });
    const secret = 'value-that-must-not-be-logged';
    const single = await post(s.baseUrl, '/', ['set', 'log:key', secret]);
    await post(s.baseUrl, '/pipeline', [
      ['SET', 'log:a', secret],
      ['GET', 'log:a'],
      ['INCR', 'log:n'],
    ]);
    await post(s.baseUrl, '/multi-exec', [['GET', 'log:a']]);
    await call(s.baseUrl, `/get/log:a?_token=${TOKEN}`, { token: null });
    await call(s.baseUrl, '/get/log:a', { token: 'not-the-token' });
    await post(s.baseUrl, '/', ['SET'], {});
    await until(() => lines.filter((line) => line.msg === 'request').length >= 6);
    const requests = lines.filter((line) => line.msg === 'request');
    expect(requests[0]).toMatchObject({
      level: 'info',
      id: single.headers.get('x-request-id'),
      method: 'POST',
      route: 'command',
      command: 'SET',
      status: 200,
      client: expect.stringMatching(/127\.0\.0\.1/),
    });
    expect(typeof requests[0]!.ms).toBe('number');
    expect(requests[1]).toMatchObject({ route: 'pipeline', commands: 3, status: 200 });
    expect(requests[2]).toMatchObject({ route: 'multi-exec', commands: 1, status: 200 });
    expect(requests[3]).toMatchObject({ route: 'path', command: 'GET', status: 200, database: 'default' });
    expect(requests[4]).toMatchObject({ route: 'other', status: 401 });
    expect(requests[5]).toMatchObject({ route: 'command', command: 'SET', status: 400 });
    const all = raw.join('');
    expect(all).not.toContain(secret);
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('not-the-token');
    expect(all).not.toContain('log:a');
  });

  it('logs no request lines at info without --log-requests, and sends no request id then', async () => {
    const r = await redis();
    const { logger, lines } = capture('info');
    const s = await server({ redisUrl: r.url, logger });
    const res = await call(s.baseUrl, '/ping', { headers: { 'x-request-id': 'lb-1' } });
    expect(res.headers.get('x-request-id')).toBeNull();
    expect(lines.filter((line) => line.msg === 'request')).toEqual([]);
  });
});

interface Family {
  name: string;
  type: string;
  metrics: {
    labels?: Record<string, string>;
    value?: string;
    buckets?: Record<string, string>;
    count?: string;
  }[];
}

async function scrape(url: string, token?: string): Promise<Map<string, Family>> {
  const res = await fetch(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  const families = parsePrometheusTextFormat(await res.text()) as Family[];
  return new Map(families.map((family) => [family.name, family]));
}

function value(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const sample = families
    .get(name)
    ?.metrics.find((metric) => Object.entries(labels).every(([key, want]) => metric.labels?.[key] === want));
  return Number(sample?.value ?? sample?.count ?? Number.NaN);
}

const METRICS_TOKEN = 'metrics-token-0123456789';

describe('GET /-/metrics', () => {
  it('serves every series in Prometheus text format to the metrics token only, parsed by a Prometheus parser', async () => {
    const r = await redis();
    const s = await server({ redisUrl: r.url, metricsToken: METRICS_TOKEN });
    expect((await call(s.baseUrl, '/-/metrics', { token: null })).status).toBe(401);
    // The data token is not the metrics token.
    expect((await call(s.baseUrl, '/-/metrics')).status).toBe(401);
    await post(s.baseUrl, '/', ['SET', 'm:a', '1']);
    await post(s.baseUrl, '/pipeline', [
      ['get', 'm:a'],
      ['GET', 'm:a'],
      ['INCR', 'm:n'],
    ]);
    await call(s.baseUrl, '/get/m:a');
    await call(s.baseUrl, '/ping', { token: 'wrong' });
    await post(s.baseUrl, '/', ['NOSUCHCOMMAND']);
    const stream = await fetch(`${s.baseUrl}/subscribe/m-channel`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const reader = stream.body!.getReader();
    await reader.read();
    const families = await scrape(`${s.baseUrl}/-/metrics`, METRICS_TOKEN);
    for (const name of [
      'restash_http_requests_total',
      'restash_http_request_duration_seconds',
      'restash_commands_total',
      'restash_errors_total',
      'restash_redis_connected',
      'restash_redis_reconnects_total',
      'restash_redis_connections',
      'restash_sse_streams_open',
    ]) {
      expect(families.has(name), name).toBe(true);
    }
    expect(families.get('restash_http_request_duration_seconds')!.type).toBe('HISTOGRAM');
    expect(value(families, 'restash_http_requests_total', { route: 'command', status: '2xx' })).toBe(1);
    expect(value(families, 'restash_http_requests_total', { route: 'command', status: '4xx' })).toBe(1);
    expect(value(families, 'restash_http_requests_total', { route: 'pipeline', status: '2xx' })).toBe(1);
    expect(value(families, 'restash_http_requests_total', { route: 'path', status: '2xx' })).toBe(1);
    // This parser folds a labelled histogram's buckets into one (a limit of the parser), so the
    // buckets are checked in the text: one histogram per route, cumulative, +Inf equal to _count.
    const text = await (
      await fetch(`${s.baseUrl}/-/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    ).text();
    const buckets = [
      ...text.matchAll(
        /^restash_http_request_duration_seconds_bucket\{route="pipeline",le="([^"]+)"\} (\d+)$/gm,
      ),
    ].map((match) => [match[1], Number(match[2])] as const);
    expect(buckets.at(-1)).toEqual(['+Inf', 1]);
    expect(buckets.map(([, count]) => count)).toEqual(
      buckets.map(([, count]) => count).sort((x, y) => x - y),
    );
    expect(text).toMatch(/^restash_http_request_duration_seconds_count\{route="pipeline"\} 1$/m);
    expect(text).toMatch(/^restash_http_request_duration_seconds_sum\{route="pipeline"\} [\d.e-]+$/m);
    expect(value(families, 'restash_commands_total', { command: 'GET' })).toBe(3);
    expect(value(families, 'restash_commands_total', { command: 'SET' })).toBe(1);
    expect(value(families, 'restash_commands_total', { command: 'INCR' })).toBe(1);
    expect(value(families, 'restash_errors_total', { kind: 'unauthorized' })).toBeGreaterThanOrEqual(1);
    expect(value(families, 'restash_errors_total', { kind: 'bad_request' })).toBe(1);
    expect(value(families, 'restash_redis_connected', { database: 'default' })).toBe(1);
    expect(value(families, 'restash_redis_reconnects_total', { database: 'default' })).toBe(0);
    expect(value(families, 'restash_sse_streams_open')).toBe(1);
    await reader.cancel();
    await until(
      async () =>
        value(await scrape(`${s.baseUrl}/-/metrics`, METRICS_TOKEN), 'restash_sse_streams_open') === 0,
    );

    await r.kill();
    const down = await scrape(`${s.baseUrl}/-/metrics`, METRICS_TOKEN);
    expect(value(down, 'restash_redis_connected', { database: 'default' })).toBe(0);
    await r.start();
    await until(async () => (await call(s.baseUrl, '/ping')).status === 200);
    const back = await scrape(`${s.baseUrl}/-/metrics`, METRICS_TOKEN);
    expect(value(back, 'restash_redis_connected', { database: 'default' })).toBe(1);
    expect(value(back, 'restash_redis_reconnects_total', { database: 'default' })).toBe(1);
  });

  it('counts made-up command names under a bounded set of series', async () => {
    const r = await redis();
    const s = await server({ redisUrl: r.url, metricsToken: METRICS_TOKEN });
    const names = Array.from({ length: 700 }, (_, i) => [`X${i}`]);
    await post(s.baseUrl, '/pipeline', names);
    await post(s.baseUrl, '/', ['bad name"\n{}']);
    const families = await scrape(`${s.baseUrl}/-/metrics`, METRICS_TOKEN);
    const series = families.get('restash_commands_total')!.metrics;
    expect(series.length).toBeLessThanOrEqual(501);
    expect(value(families, 'restash_commands_total', { command: 'other' })).toBe(201);
  });

  it('serves metrics on a listener of its own with --metrics-port, and per-database series', async () => {
    const a = await redis();
    const b = await redis();
    const s = await server({
      token: undefined,
      readOnlyToken: undefined,
      databases: [
        { id: 'a', redisUrl: a.url, token: 'token-a-0123456789' },
        { id: 'b', redisUrl: b.url, token: 'token-b-0123456789' },
      ],
      metricsPort: 0,
    });
    expect(s.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/-\/metrics$/);
    // Not on the main listener, and nothing else on the metrics one.
    expect((await call(s.baseUrl, '/-/metrics', { token: 'token-a-0123456789' })).status).toBe(404);
    expect((await fetch(s.metricsUrl!.replace('/-/metrics', '/ping'))).status).toBe(404);
    await post(s.baseUrl, '/', ['SET', 'k', '1'], { token: 'token-a-0123456789' });
    await post(s.baseUrl, '/', ['SET', 'k', '1'], { token: 'token-a-0123456789' });
    await post(s.baseUrl, '/', ['SET', 'k', '1'], { token: 'token-b-0123456789' });
    await b.kill();
    const families = await scrape(s.metricsUrl!);
    expect(value(families, 'restash_database_requests_total', { database: 'a' })).toBe(2);
    expect(value(families, 'restash_database_requests_total', { database: 'b' })).toBe(1);
    expect(value(families, 'restash_redis_connected', { database: 'a' })).toBe(1);
    await until(
      async () => value(await scrape(s.metricsUrl!), 'restash_redis_connected', { database: 'b' }) === 0,
    );
  });

  it('asks for the metrics token on the metrics listener too when both are given', async () => {
    const r = await redis();
    const s = await server({ redisUrl: r.url, metricsPort: 0, metricsToken: METRICS_TOKEN });
    expect((await fetch(s.metricsUrl!)).status).toBe(401);
    expect((await fetch(s.metricsUrl!, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    await scrape(s.metricsUrl!, METRICS_TOKEN);
  });
});

describe('HTTPS', () => {
  it('serves HTTP/1.1 over TLS with keep-alive, and a renewed certificate after reload()', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const first = selfSignedCertificate(dir, 'first');
    const second = selfSignedCertificate(dir, 'second');
    const live = { cert: join(dir, 'live.pem'), key: join(dir, 'live-key.pem') };
    writeFileSync(live.cert, readFileSync(first.cert));
    writeFileSync(live.key, readFileSync(first.key));
    const r = await redis();
    const s = await server({ redisUrl: r.url, tlsCert: live.cert, tlsKey: live.key });
    expect(s.baseUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = readFileSync(first.cert, 'utf8') + readFileSync(second.cert, 'utf8');

    const agent = new https.Agent({ keepAlive: true, ca, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    const request = (path: string) =>
      new Promise<{ status: number; body: string; socket: unknown; protocol: string }>((resolve, reject) => {
        const req = https.request(
          `${s.baseUrl}${path}`,
          { agent, headers: { authorization: `Bearer ${TOKEN}` } },
          (res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => {
              body += chunk.toString();
            });
            res.on('end', () =>
              resolve({ status: res.statusCode!, body, socket: res.socket, protocol: res.httpVersion }),
            );
          },
        );
        req.on('error', reject);
        req.end();
      });
    const one = await request('/set/tls/1');
    const two = await request('/get/tls');
    expect(one).toMatchObject({ status: 200, body: '{"result":"OK"}', protocol: '1.1' });
    expect(two.body).toBe('{"result":"1"}');
    expect(two.socket).toBe(one.socket);

    const fingerprint = (file: string) => new X509Certificate(readFileSync(file)).fingerprint256;
    expect(await peerCertificate(s.baseUrl, ca)).toBe(fingerprint(first.cert));
    writeFileSync(live.cert, readFileSync(second.cert));
    writeFileSync(live.key, readFileSync(second.key));
    await s.reload();
    expect(await peerCertificate(s.baseUrl, ca)).toBe(fingerprint(second.cert));

    // A broken renewal is refused and the running certificate stays.
    writeFileSync(live.key, 'not a key');
    await expect(s.reload()).rejects.toThrow(/TLS/);
    expect(await peerCertificate(s.baseUrl, ca)).toBe(fingerprint(second.cert));
  });

  it('refuses a certificate without its key, and a key that is not a key, naming them', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const { cert } = selfSignedCertificate(dir, 'only');
    await expect(startServer({ redisUrl: 'redis://127.0.0.1:1', tlsCert: cert })).rejects.toThrow(
      /give both a certificate \(--tls-cert\) and its key/,
    );
    const bad = join(dir, 'bad.pem');
    writeFileSync(bad, 'garbage');
    await expect(
      startServer({ redisUrl: 'redis://127.0.0.1:1', tlsCert: cert, tlsKey: bad }),
    ).rejects.toThrow(/TLS certificate \/ key/);
    await expect(
      startServer({ redisUrl: 'redis://127.0.0.1:1', tlsCert: cert, tlsKey: join(dir, 'missing.pem') }),
    ).rejects.toThrow(/TLS key: cannot read/);
  });

  it('is used by @restash/core and @upstash/redis through their own fetch, trusting a generated certificate', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const { cert, key } = selfSignedCertificate(dir, 'clients');
    const r = await redis();
    const s = await server({ redisUrl: r.url, tlsCert: cert, tlsKey: key });
    const script = fileURLToPath(new URL('./fixtures/tls-clients.mjs', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [script, s.baseUrl, TOKEN], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      env: { PATH: process.env.PATH ?? '', NODE_EXTRA_CA_CERTS: cert },
    });
    expect(JSON.parse(stdout)).toEqual({ core: 'from-upstash', upstash: ['from-core', 'from-upstash'] });
  });
});
