/**
 * The two HTTP engines (`httpEngine: 'node'` and `'fast'`) side by side, in front
 * of one Redis: the same bytes to both on raw sockets, the whole responses and
 * the closing of the connection compared, for a corpus generated in code
 * (`fixtures/http/corpus.ts`) — sent in one write, one byte per write, and, for a
 * representative subset, split in two at every byte boundary. The same over TLS
 * in `http-engine-tls.test.ts`, seeded mutants in `http-engine-mutations.test.ts`,
 * limits in `http-engine-limits.test.ts`, shutdown and clients that leave in
 * `http-engine-lifecycle.test.ts`.
 *
 * Compared byte for byte: the status line, every header's name (case-insensitive:
 * RFC 9110 §5.1) and value, the body, how many responses came, whether the server
 * closed the connection after them, and any bytes left over.
 *
 * Documented, tested differences between the engines (nothing else may differ):
 * - `Date`: its value is the clock's; both engines send it on the same responses.
 * - `Upstash-Sync-Token`: its value is per server (a random prefix and a counter);
 *   both engines send it on every response.
 * - `Keep-Alive`: node:http sends `Keep-Alive: timeout=65` on responses that keep the
 *   connection open; an engine may leave it out (it is advisory, RFC 9112 §9.3), but
 *   when sent its value must be node's.
 * - `Connection: keep-alive` on an HTTP/1.1 response is the default: sending it or not
 *   means the same. `Connection: close` must be identical.
 * - Header order and the case of header names.
 * - Where node:http's own answers depend on how the bytes fall into reads (`RACES` in
 *   the corpus; such cases are marked `racy`), only what does not race is compared:
 *   - `refusal`: valid requests, then bytes node:http refuses, in one read. node:http
 *     loses the answers it had not written yet when its parser refused (and, with an
 *     answer still being written, closes without its 400). The fast engine answers
 *     the requests it served, then node:http refuses the rest. Compared: the closing,
 *     and the answers up to those lost or that missing 400 (`agreeUpToRefusalRace`).
 *   - `after-close`: a request that closes the connection (`Connection: close`,
 *     HTTP/1.0), then more bytes in the same read: node:http may answer them with a
 *     400 instead of answering the request; the fast engine answers the request and
 *     ignores the rest. Compared: both close, and the last answer says `close`.
 *   - `upgrade`: bytes after an `Upgrade` request in the same read are never read as
 *     HTTP. Compared: the first answer.
 * - Across different cuttings of the same bytes (one write, one byte per write), a 4xx
 *   refusal after which the server closes while the client is still sending may be
 *   lost to the reset that follows (TCP, on either engine): compared up to it
 *   (`assertAlikeAcrossCuts`).
 * - node:http's `request` event (on `RestashServer.http`) fires only for the requests
 *   node:http reads: the fast engine makes no `IncomingMessage` for the ones it serves.
 *
 * And on every engine the desync invariant holds after every case: a follow-up
 * request on the same socket (`GET /echo/follow-…`, `Connection: close`) is either
 * answered correctly, as its own request and last, or the connection is closed;
 * a request hidden in a body or behind a bad framing (`GET /echo/SMUGGLED`) is never
 * answered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CorpusContext,
  FOLLOW,
  fastPathBounds,
  headerReading,
  malformed,
  oversized,
  pendingAnswers,
  pipelined,
  pipelinedSimple,
  pipelinedThenRefused,
  wellFormed,
} from './fixtures/http/corpus.js';
import {
  assertAlikeAcrossCuts,
  assertKeepAlive,
  assertNoDesync,
  assertSameOnBoth,
  ENGINES,
  type Engine,
  type Pair,
  type Sent,
  startCorpusPair,
  startPair,
  withFollowUp,
} from './fixtures/http/differential.js';
import { bytewise, comparableExchange, cut, pool, type WireExchange } from './fixtures/http/wire.js';
import { READ_ONLY_TOKEN, type TestRedis, TOKEN } from './helpers.js';

const MAX_REQUEST_SIZE = 8 * 1024;
/** How long a connection that neither answers nor closes is waited for. */
const DEADLINE_MS = 4000;

const run = Math.random().toString(36).slice(2, 8);
const ctx: CorpusContext = {
  token: TOKEN,
  readOnlyToken: READ_ONLY_TOKEN,
  key: (name) => `hd${run}:${name}`,
  maxRequestSize: MAX_REQUEST_SIZE,
};

const corpus: Sent[] = [
  ...wellFormed(ctx),
  ...malformed(ctx),
  ...oversized(ctx),
  ...headerReading(ctx),
  ...pendingAnswers(ctx),
  ...fastPathBounds(ctx),
  pipelined(ctx, 2),
  pipelined(ctx, 7),
  pipelined(ctx, 21),
  pipelined(ctx, 50),
  pipelinedSimple(ctx, 2),
  pipelinedSimple(ctx, 20),
  pipelinedSimple(ctx, 50),
  pipelinedThenRefused(ctx),
].map((c, i) => withFollowUp(ctx, c, i));

let redis: TestRedis;
let pair: Pair;

beforeAll(async () => {
  ({ redis, pair } = await startCorpusPair(
    ctx,
    { maxRequestSize: MAX_REQUEST_SIZE },
    { deadlineMs: DEADLINE_MS },
  ));
});

afterAll(async () => {
  await pair?.close();
  await redis?.stop();
});

describe('the corpus in one write', () => {
  const results = new Map<string, Record<Engine, WireExchange>>();
  beforeAll(async () => {
    const all = await pool(
      corpus.map((sent) => () => pair.onBoth(sent, [sent.bytes])),
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
      assertSameOnBoth(sent, result);
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
        small.map((sent) => () => pair.onBoth(sent, bytewise(sent.bytes), { gapMs: 1 })),
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
        assertAlikeAcrossCuts(split.fast, split.node, 'fast against node');
        for (const engine of ENGINES) assertAlikeAcrossCuts(split[engine], one[engine], engine);
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
      const reference = await pair.onBoth(sent, [sent.bytes]);
      const expected = comparableExchange(reference.node);
      expect(comparableExchange(reference.fast)).toEqual(expected);
      const offsets = Array.from({ length: sent.bytes.length - 1 }, (_, i) => i + 1);
      const splits = await pool(
        offsets.map((at) => () => pair.onBoth(sent, cut(sent.bytes, [at]), { gapMs: 2 })),
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

describe('bodies around the size limits, at the default --max-request-size (10 MiB)', () => {
  const MiB = 1024 * 1024;
  let big: Pair;
  beforeAll(async () => {
    big = await startPair({ redisUrl: redis.url }, { deadlineMs: 5000 });
  });
  afterAll(async () => {
    await big?.close();
  });

  /** `POST /` of an ECHO whose JSON body is `size` bytes. */
  const echo = (size: number) => {
    const body = JSON.stringify(['ECHO', 'e'.repeat(size - 11)]);
    return `POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  };
  const sizes: [string, number][] = [
    ['just under 1 MiB', MiB - 1],
    ['1 MiB', MiB],
    ['just over 1 MiB', MiB + 1],
    ['9 MiB', 9 * MiB],
    ['10 MiB (its answer is over the limit: 413)', 10 * MiB],
    ['just over 10 MiB (413)', 10 * MiB + 1],
  ];
  it.each(sizes)(
    'a body of %s: the same answers on both engines',
    async (name, size) => {
      const sent = withFollowUp(ctx, { name, bytes: Buffer.from(echo(size)) }, 10_000 + size);
      const result = await big.onBoth(sent, [sent.bytes]);
      for (const engine of ENGINES) assertNoDesync(sent, result[engine], engine);
      assertSameOnBoth(sent, result);
      expect(result.node.responses[0]!.status).toBe(size >= 10 * MiB ? 413 : 200);
    },
    60_000,
  );
});
