/**
 * The differential corpus over HTTPS (`tlsCert`/`tlsKey`): the fast engine reads
 * TLS sockets too and hands them over to node:https. The small cases of the
 * corpus, in one write and one byte per write (each byte then a TLS record of
 * its own), compared as in `http-engine.test.ts`.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  type CorpusContext,
  headerReading,
  malformed,
  pipelined,
  pipelinedSimple,
  wellFormed,
} from './fixtures/http/corpus.js';
import {
  assertAlikeAcrossCuts,
  assertNoDesync,
  assertSameOnBoth,
  ENGINES,
  type Engine,
  type Pair,
  startCorpusPair,
  withFollowUp,
} from './fixtures/http/differential.js';
import { bytewise, pool, type WireExchange } from './fixtures/http/wire.js';
import { READ_ONLY_TOKEN, type TestRedis, TOKEN } from './helpers.js';

const run = Math.random().toString(36).slice(2, 8);
const ctx: CorpusContext = {
  token: TOKEN,
  readOnlyToken: READ_ONLY_TOKEN,
  key: (name) => `ht${run}:${name}`,
  maxRequestSize: 8 * 1024,
};

const corpus = [
  ...wellFormed(ctx),
  ...malformed(ctx),
  ...headerReading(ctx),
  pipelined(ctx, 7),
  pipelinedSimple(ctx, 20),
]
  .filter((c) => !c.large || c.name.includes('pipelined'))
  .map((c, i) => withFollowUp(ctx, c, i));

let redis: TestRedis;
let pair: Pair;

beforeAll(async () => {
  ({ redis, pair } = await startCorpusPair(
    ctx,
    {
      maxRequestSize: ctx.maxRequestSize,
      tlsCert: fileURLToPath(new URL('fixtures/tls-cert.pem', import.meta.url)),
      tlsKey: fileURLToPath(new URL('fixtures/tls-key.pem', import.meta.url)),
    },
    { tls: true, deadlineMs: 4000 },
  ));
});

afterAll(async () => {
  await pair?.close();
  await redis?.stop();
});

describe('the corpus over TLS', () => {
  const one = new Map<string, Record<Engine, WireExchange>>();
  const split = new Map<string, Record<Engine, WireExchange>>();
  const small = corpus.filter((sent) => sent.bytes.length <= 400 && sent.case.racy === undefined);
  beforeAll(async () => {
    const all = await pool(
      corpus.map((sent) => () => pair.onBoth(sent, [sent.bytes])),
      8,
    );
    for (const [i, sent] of corpus.entries()) one.set(sent.id, all[i]!);
    const bytes = await pool(
      small.map((sent) => () => pair.onBoth(sent, bytewise(sent.bytes), { gapMs: 1 })),
      8,
    );
    for (const [i, sent] of small.entries()) split.set(sent.id, bytes[i]!);
  }, 180_000);

  it.each(corpus.map((sent) => [sent.case.name, sent] as const))(
    '%s: the same answers and closing on both engines over TLS, and no desync',
    (_, sent) => {
      const result = one.get(sent.id)!;
      for (const engine of ENGINES) assertNoDesync(sent, result[engine], engine);
      assertSameOnBoth(sent, result);
      const bytewiseResult = split.get(sent.id);
      if (bytewiseResult === undefined) return;
      for (const engine of ENGINES) {
        assertNoDesync(sent, bytewiseResult[engine], engine);
        assertAlikeAcrossCuts(bytewiseResult[engine], result[engine], `${engine}, one byte per record`);
      }
    },
  );
});
