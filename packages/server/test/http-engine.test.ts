/**
 * The two HTTP engines (`httpEngine: 'node'` and `'fast'`) side by side, in front
 * of one Redis: the same bytes to both on raw sockets, the whole responses and
 * the closing of the connection compared, for a corpus generated in code
 * (`fixtures/http/corpus.ts`) — sent in one write, one byte per write, and, for a
 * representative subset, split in two at every byte boundary.
 *
 * Compared byte for byte: the status line, every header's name (case-insensitive:
 * RFC 9110 §5.1) and value, the body, how many responses came, whether the server
 * closed the connection after them, and any bytes left over.
 *
 * Documented, tested differences (and nothing else may differ):
 * - `Date`: its value is the clock's; both engines send it on the same responses.
 * - `Upstash-Sync-Token`: its value is per server (a random prefix and a counter);
 *   both engines send it on every response.
 * - `Keep-Alive`: node:http sends `Keep-Alive: timeout=65` on responses that keep the
 *   connection open; an engine may leave it out (it is advisory, RFC 9112 §9.3), but
 *   when sent its value must be node's.
 * - `Connection: keep-alive` on an HTTP/1.1 response is the default: sending it or not
 *   means the same. `Connection: close` must be identical.
 * - Header order and the case of header names.
 *
 * And on every engine the desync invariant holds after every case: a follow-up
 * request on the same socket (`GET /echo/follow-…`, `Connection: close`) is either
 * answered correctly, as its own request and last, or the connection is closed;
 * a request hidden in a body or behind a bad framing (`GET /echo/SMUGGLED`) is never
 * answered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerOptions } from '../src/index.js';
import {
  type CorpusCase,
  type CorpusContext,
  FOLLOW,
  followUp,
  headerReading,
  malformed,
  oversized,
  pendingAnswers,
  pipelined,
  pipelinedSimple,
  pipelinedThenRefused,
  presetValues,
  SMUGGLED,
  wellFormed,
} from './fixtures/http/corpus.js';
import {
  agreeUpToRefusalRace,
  bytewise,
  comparableExchange,
  cut,
  type ExchangeOptions,
  exchange,
  pool,
  type WireExchange,
} from './fixtures/http/wire.js';
import { READ_ONLY_TOKEN, startRedis, startServer, type TestRedis, TOKEN } from './helpers.js';

type Engine = 'node' | 'fast';
const ENGINES: readonly Engine[] = ['node', 'fast'];
const MAX_REQUEST_SIZE = 8 * 1024;
/** How long a connection that neither answers nor closes is waited for. */
const DEADLINE_MS = 2000;

const run = Math.random().toString(36).slice(2, 8);
const ctx: CorpusContext = {
  token: TOKEN,
  readOnlyToken: READ_ONLY_TOKEN,
  key: (name) => `hd${run}:${name}`,
  maxRequestSize: MAX_REQUEST_SIZE,
};

/** Every case is sent followed by a follow-up request with an id of its own. */
interface Sent {
  case: CorpusCase;
  id: string;
  bytes: Buffer;
  heads: boolean[];
}

function withFollowUp(c: CorpusCase, index: number): Sent {
  const id = String(index);
  return {
    case: c,
    id,
    bytes: Buffer.concat([c.bytes, Buffer.from(followUp(ctx, id))]),
    heads: c.heads ?? [],
  };
}

const corpus: Sent[] = [
  ...wellFormed(ctx),
  ...malformed(ctx),
  ...oversized(ctx),
  ...headerReading(ctx),
  ...pendingAnswers(ctx),
  pipelined(ctx, 2),
  pipelined(ctx, 7),
  pipelined(ctx, 21),
  pipelined(ctx, 50),
  pipelinedSimple(ctx, 2),
  pipelinedSimple(ctx, 20),
  pipelinedSimple(ctx, 50),
  pipelinedThenRefused(ctx),
].map(withFollowUp);

let redis: TestRedis;
const ports = {} as Record<Engine, number>;
const closers: (() => Promise<void>)[] = [];

/** The engine option; typed loosely so that these tests compile before the option exists. */
function engineOption(engine: Engine): Partial<ServerOptions> {
  const option: Record<string, unknown> = { httpEngine: engine };
  return option as Partial<ServerOptions>;
}

beforeAll(async () => {
  redis = await startRedis();
  for (const [key, value] of presetValues(ctx)) await redis.cli('SET', key, value);
  for (const engine of ENGINES) {
    const server = await startServer({
      redisUrl: redis.url,
      maxRequestSize: MAX_REQUEST_SIZE,
      ...engineOption(engine),
    });
    ports[engine] = Number(new URL(server.baseUrl).port);
    closers.push(() => server.close());
  }
});

afterAll(async () => {
  for (const close of closers) await close();
  await redis?.stop();
});

/** Sends `pieces` of a case to both engines at once. */
async function onBoth(
  sent: Sent,
  pieces: Buffer[],
  options: ExchangeOptions = {},
): Promise<Record<Engine, WireExchange>> {
  const [node, fast] = await Promise.all(
    ENGINES.map((engine) =>
      exchange(ports[engine], pieces, { deadlineMs: DEADLINE_MS, heads: sent.heads, ...options }),
    ),
  );
  return { node: node!, fast: fast! };
}

/** The desync invariant, for one exchange. */
function assertNoDesync(sent: Sent, result: WireExchange, engine: Engine): void {
  const where = `${engine}: ${sent.case.name}`;
  const bodies = result.responses.map((response) => response.body.toString('latin1'));
  for (const body of bodies) {
    expect(body, `${where}: a hidden request was answered`).not.toMatch(new RegExp(`"result":"${SMUGGLED}`));
  }
  const marker = `${FOLLOW}-${sent.id}`;
  const follows = bodies.flatMap((body, i) => (body.includes(marker) ? [i] : []));
  expect(follows.length, `${where}: the follow-up answered more than once`).toBeLessThanOrEqual(1);
  if (follows.length === 1) {
    const last = result.responses.length - 1;
    expect(follows[0], `${where}: the follow-up's answer is not the last one`).toBe(last);
    expect(result.responses[last]!.status, where).toBe(200);
    expect(JSON.parse(bodies[last]!), where).toEqual({ result: marker });
  } else if (!sent.case.waits) {
    expect(result.closed, `${where}: the follow-up was neither answered nor the connection closed`).toBe(
      true,
    );
  }
}

/** `Keep-Alive`, when an engine sends it, says what node:http says. */
function assertKeepAlive(result: WireExchange, engine: Engine, name: string): void {
  for (const response of result.responses) {
    for (const [header, value] of response.headers) {
      if (header.toLowerCase() === 'keep-alive') expect(value, `${engine}: ${name}`).toBe('timeout=65');
    }
  }
}

/**
 * The engines' answers to one case compared: all of them, byte for byte — or,
 * for a case whose answers race on node:http already (`RACES`), what does not race.
 */
function sameOnBoth(sent: Sent, result: Record<Engine, WireExchange>): void {
  switch (sent.case.racy) {
    case undefined:
      expect(comparableExchange(result.fast)).toEqual(comparableExchange(result.node));
      return;
    case 'refusal': {
      const [node, fast] = [comparableExchange(result.node), comparableExchange(result.fast)];
      expect(agreeUpToRefusalRace(node, fast), JSON.stringify({ node, fast }, null, 1)).toBe(true);
      return;
    }
    case 'after-close':
      // node:http may answer the bytes after the request with a 400 instead of answering the request.
      for (const engine of ENGINES) {
        expect(result[engine].closed, engine).toBe(true);
        expect(comparableExchange(result[engine], 'last').responses[0]?.connection, engine).toBe('close');
      }
      return;
    case 'upgrade':
      expect(comparableExchange(result.fast, 'first')).toEqual(comparableExchange(result.node, 'first'));
      return;
  }
}

describe('the corpus in one write', () => {
  const results = new Map<string, Record<Engine, WireExchange>>();
  beforeAll(async () => {
    const all = await pool(
      corpus.map((sent) => () => onBoth(sent, [sent.bytes])),
      12,
    );
    for (const [i, sent] of corpus.entries()) results.set(sent.id, all[i]!);
  }, 120_000);

  it.each(corpus.map((sent) => [sent.case.name, sent] as const))(
    '%s: the same answers and closing on both engines, and no desync',
    (_, sent) => {
      const result = results.get(sent.id)!;
      for (const engine of ENGINES) {
        assertNoDesync(sent, result[engine], engine);
        assertKeepAlive(result[engine], engine, sent.case.name);
      }
      sameOnBoth(sent, result);
    },
  );

  it('answers pipelined requests in order, each once', () => {
    const sent = corpus.find((s) => s.case.name === '50 pipelined requests, simple')!;
    for (const engine of ENGINES) {
      const bodies = results.get(sent.id)![engine].responses.map((r) => JSON.parse(r.body.toString()));
      expect(bodies).toEqual([
        ...Array.from({ length: 50 }, (_, i) => ({ result: `s${i}` })),
        { result: `${FOLLOW}-${sent.id}` },
      ]);
    }
  });

  it('refuses requests over the documented 16 KiB of head with a JSON 431 and closes', () => {
    for (const name of [
      'request line over 16 KiB',
      'one header over 16 KiB',
      'headers adding up to over 16 KiB',
    ]) {
      const sent = corpus.find((s) => s.case.name === name)!;
      for (const engine of ENGINES) {
        const result = results.get(sent.id)![engine];
        expect(
          result.responses.map((r) => r.status),
          `${engine}: ${name}`,
        ).toEqual([431]);
        expect(JSON.parse(result.responses[0]!.body.toString())).toEqual({
          error: 'ERR request headers too large',
        });
        expect(result.closed).toBe(true);
      }
    }
  });

  describe('one byte per write', () => {
    const small = corpus.filter((sent) => !sent.case.large);
    const bytewiseResults = new Map<string, Record<Engine, WireExchange>>();
    beforeAll(async () => {
      const all = await pool(
        small.map((sent) => () => onBoth(sent, bytewise(sent.bytes), { gapMs: 1 })),
        16,
      );
      for (const [i, sent] of small.entries()) bytewiseResults.set(sent.id, all[i]!);
    }, 180_000);

    it.each(small.map((sent) => [sent.case.name, sent] as const))(
      '%s: the same answers on both engines, as if sent in one write unless racy',
      (_, sent) => {
        const one = results.get(sent.id)!;
        const split = bytewiseResults.get(sent.id)!;
        for (const engine of ENGINES) assertNoDesync(sent, split[engine], engine);
        // A racy case's answers depend on the reads and their timing, on node:http already.
        if (sent.case.racy !== undefined) return;
        expect(comparableExchange(split.fast)).toEqual(comparableExchange(split.node));
        for (const engine of ENGINES) {
          expect(comparableExchange(split[engine]), engine).toEqual(comparableExchange(one[engine]));
        }
      },
    );
  });
});

describe('split in two at every byte boundary', () => {
  const subset = [
    'GET /get/key',
    'POST / JSON SET',
    'POST /pipeline',
    'chunked body (handed over)',
    'CL.TE: Content-Length then chunked',
    'duplicate Content-Length, different values',
    '2 pipelined requests, simple',
    '2 pipelined requests, mixed',
  ];
  it.each(subset)(
    '%s: every split gives the one-write answers on both engines',
    async (name) => {
      const sent = corpus.find((s) => s.case.name === name)!;
      const reference = await onBoth(sent, [sent.bytes]);
      const expected = comparableExchange(reference.node);
      expect(comparableExchange(reference.fast)).toEqual(expected);
      const offsets = Array.from({ length: sent.bytes.length - 1 }, (_, i) => i + 1);
      const splits = await pool(
        offsets.map((at) => () => onBoth(sent, cut(sent.bytes, [at]), { gapMs: 2 })),
        16,
      );
      const wrong: string[] = [];
      splits.forEach((split, i) => {
        for (const engine of ENGINES) {
          assertNoDesync(sent, split[engine], engine);
          if (JSON.stringify(comparableExchange(split[engine])) !== JSON.stringify(expected)) {
            wrong.push(`${engine} split at ${offsets[i]}`);
          }
        }
      });
      expect(wrong).toEqual([]);
    },
    120_000,
  );
});
