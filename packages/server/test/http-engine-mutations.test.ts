/**
 * Seeded mutations of well-formed requests (a byte inserted, deleted or replaced
 * by one that matters to HTTP framing: CR, LF, SP, HTAB, NUL, `:`, `,`, digits…),
 * each followed by a follow-up request, sent to both HTTP engines. What the
 * corpus cannot list by hand: each mutant must be answered alike on both engines
 * (see `http-engine.test.ts` for what may differ) and never desync.
 *
 * RESTASH_HTTP_MUTATIONS (default 1000) and RESTASH_HTTP_MUTATIONS_SEED (default:
 * the day) change the run; a failure prints the seed and the mutant's bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CorpusContext, FOLLOW, followUp, request, SMUGGLED } from './fixtures/http/corpus.js';
import { ENGINES, type Pair, startCorpusPair } from './fixtures/http/differential.js';
import {
  agreeUpToRefusalRace,
  comparableExchange,
  cut,
  exchange,
  pool,
  type WireExchange,
} from './fixtures/http/wire.js';
import { READ_ONLY_TOKEN, seeded, type TestRedis, TOKEN } from './helpers.js';

const COUNT = Number(process.env.RESTASH_HTTP_MUTATIONS ?? 1000);
const SEED = Number(process.env.RESTASH_HTTP_MUTATIONS_SEED ?? Math.floor(Date.now() / 86_400_000));
const DEADLINE_MS = 3000;

const run = Math.random().toString(36).slice(2, 8);
const ctx: CorpusContext = {
  token: TOKEN,
  readOnlyToken: READ_ONLY_TOKEN,
  key: (name) => `hm${run}:${name}`,
  maxRequestSize: 8 * 1024,
};

const BASES = [
  request(ctx, { target: `/get/${ctx.key('a')}` }),
  request(ctx, { method: 'POST', target: '/', body: JSON.stringify(['GET', ctx.key('a')]) }),
  request(ctx, { method: 'POST', target: '/pipeline', body: JSON.stringify([['ECHO', 'x'], ['PING']]) }),
  request(ctx, { method: 'HEAD', target: '/ping' }),
  request(ctx, { target: '/echo/x', headers: ['Upstash-Encoding: base64', 'Connection: keep-alive'] }),
  request(ctx, {
    method: 'POST',
    target: '/',
    headers: ['Transfer-Encoding: chunked'],
    body: '8\r\n["PING"]\r\n0\r\n\r\n',
    length: false,
  }),
];
const BYTES = [
  ' ',
  '\t',
  '\r',
  '\n',
  '\r\n',
  '\0',
  ':',
  ',',
  '0',
  '9',
  '-',
  '+',
  'a',
  '\x7f',
  '\xff',
  '"',
  '/',
  '\r\n\r\n',
  ';',
];

interface Mutant {
  description: string;
  bytes: Buffer;
  /** Offsets the bytes are cut at into separate writes (every fourth mutant; none otherwise). */
  cuts: number[];
  head: boolean;
  id: string;
}

function mutants(seed: number, count: number): Mutant[] {
  const random = seeded(seed);
  return Array.from({ length: count }, (_, i) => {
    const base = random.pick(BASES);
    let text = base;
    const steps: string[] = [];
    // One to three edits: a byte inserted, deleted or replaced, or a header line repeated.
    for (let edits = 1 + random.int(3); edits > 0; edits--) {
      const at = random.int(text.length);
      const kind = random.int(4);
      const byte = random.pick(BYTES);
      if (kind === 3) {
        const start = text.lastIndexOf('\r\n', at) + 2;
        const end = text.indexOf('\r\n', at);
        if (start < 2 || end === -1) continue;
        text = text.slice(0, end + 2) + text.slice(start, end + 2) + text.slice(end + 2);
        steps.push(`repeat the line at ${at}`);
        continue;
      }
      text =
        kind === 0
          ? text.slice(0, at) + byte + text.slice(at)
          : kind === 1
            ? text.slice(0, at) + text.slice(at + 1)
            : text.slice(0, at) + byte + text.slice(at + 1);
      steps.push(
        `${['insert', 'delete', 'replace'][kind]}${kind === 1 ? '' : ` ${JSON.stringify(byte)}`} at ${at}`,
      );
    }
    const id = `m${i}`;
    const description = `${steps.join(', ')}: ${JSON.stringify(text)}`;
    const bytes = Buffer.concat([Buffer.from(text, 'latin1'), Buffer.from(followUp(ctx, id))]);
    const cuts =
      i % 4 === 3
        ? [...new Set([random.int(bytes.length), random.int(bytes.length)])].sort((a, b) => a - b)
        : [];
    return {
      description: cuts.length > 0 ? `${description}, cut at ${cuts.join(' and ')}` : description,
      bytes,
      cuts,
      head: /^[\r\n]*HEAD /.test(text),
      id,
    };
  });
}

let redis: TestRedis;
let pair: Pair;

beforeAll(async () => {
  ({ redis, pair } = await startCorpusPair(ctx, { maxRequestSize: ctx.maxRequestSize }));
});

afterAll(async () => {
  await pair?.close();
  await redis?.stop();
});

/** What is wrong with one engine's answers to a mutant: a desync, or nothing. */
function desync(mutant: Mutant, result: WireExchange): string | undefined {
  const bodies = result.responses.map((response) => response.body.toString('latin1'));
  if (bodies.some((body) => body.includes(`"result":"${SMUGGLED}`))) return 'a hidden request was answered';
  const marker = `${FOLLOW}-${mutant.id}`;
  const follows = bodies.flatMap((body, i) => (body.includes(marker) ? [i] : []));
  if (follows.length > 1) return 'the follow-up was answered twice';
  if (follows.length === 1 && follows[0] !== bodies.length - 1) return 'the follow-up is not answered last';
  return undefined;
}

describe(`${COUNT} mutants of well-formed requests (seed ${SEED})`, () => {
  it('are answered alike on both engines and never desync either', async () => {
    const all = mutants(SEED, COUNT);
    const results = await pool(
      all.map((mutant) => async () => {
        const [node, fast] = await Promise.all(
          ENGINES.map((engine) =>
            exchange(pair.ports[engine], cut(mutant.bytes, mutant.cuts), {
              gapMs: 2,
              deadlineMs: DEADLINE_MS,
              heads: mutant.head ? [true] : [],
            }),
          ),
        );
        return { node: node!, fast: fast! };
      }),
      12,
    );
    const problems: string[] = [];
    for (const [i, mutant] of all.entries()) {
      const result = results[i]!;
      for (const engine of ENGINES) {
        const problem = desync(mutant, result[engine]);
        if (problem) problems.push(`${engine}: ${problem}: ${mutant.description}`);
      }
      const node = comparableExchange(result.node);
      const fast = comparableExchange(result.fast);
      if (!agreeUpToRefusalRace(node, fast)) {
        problems.push(
          `different answers: ${mutant.description}\n  node: ${JSON.stringify(node.responses.map((r) => `${r.statusLine} ${r.body}`))}\n  fast: ${JSON.stringify(fast.responses.map((r) => `${r.statusLine} ${r.body}`))}`,
        );
      }
    }
    expect(problems, `seed ${SEED}`).toEqual([]);
  }, 180_000);
});
