/**
 * Many connections at once, each pipelining requests cut at random places, on
 * both HTTP engines: every answer must be its own request's, in order, whatever
 * else the engine is reading and answering meanwhile (an engine that reuses
 * buffers must never answer from bytes another read has overwritten).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, type Engine, engineOption } from './fixtures/http/differential.js';
import { cut, exchange, pool } from './fixtures/http/wire.js';
import { seeded, startRedis, startServer, type TestRedis, TOKEN } from './helpers.js';

const CONNECTIONS = 48;
const REQUESTS = 30;

let redis: TestRedis;
const ports = {} as Record<Engine, number>;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  redis = await startRedis();
  for (const engine of ENGINES) {
    const server = await startServer({ redisUrl: redis.url, ...engineOption(engine) });
    ports[engine] = Number(new URL(server.baseUrl).port);
    closers.push(() => server.close());
  }
});

afterAll(async () => {
  for (const close of closers) await close();
  await redis?.stop();
});

const auth = `Authorization: Bearer ${TOKEN}\r\n`;

/** One connection's requests (the last closes it) and the answers they must get, in order. */
function script(engine: Engine, connection: number, int: (n: number) => number) {
  const parts: string[] = [];
  const expected: unknown[] = [];
  const heads: boolean[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const marker = `${engine}-${connection}-${i}`;
    const last = i === REQUESTS - 1 ? 'Connection: close\r\n' : '';
    // Values of many sizes, so that bodies end anywhere in a read.
    const value = `${marker}:${'v'.repeat(int(3) === 0 ? int(40_000) : int(300))}`;
    const key = `hc:${marker}`;
    switch (int(6)) {
      case 0:
        parts.push(`GET /echo/${marker} HTTP/1.1\r\nHost: x\r\n${auth}${last}\r\n`);
        expected.push({ result: marker });
        heads.push(false);
        break;
      case 1: {
        const body = JSON.stringify(['SET', key, value]);
        parts.push(
          `POST / HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: ${body.length}\r\n${last}\r\n${body}`,
        );
        expected.push({ result: 'OK' });
        heads.push(false);
        break;
      }
      case 2: {
        const body = JSON.stringify([
          ['SET', key, value],
          ['GET', key],
          ['ECHO', marker],
        ]);
        parts.push(
          `POST /pipeline HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: ${body.length}\r\n${last}\r\n${body}`,
        );
        expected.push([{ result: 'OK' }, { result: value }, { result: marker }]);
        heads.push(false);
        break;
      }
      case 3: {
        const body = JSON.stringify(['ECHO', value]);
        parts.push(
          `POST / HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\n${last}\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
        );
        expected.push({ result: value });
        heads.push(false);
        break;
      }
      case 4:
        parts.push(`HEAD /echo/${marker} HTTP/1.1\r\nHost: x\r\n${auth}${last}\r\n`);
        expected.push(undefined);
        heads.push(true);
        break;
      default: {
        const body = value;
        parts.push(
          `POST /echo HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: ${Buffer.byteLength(body)}\r\n${last}\r\n${body}`,
        );
        expected.push({ result: value });
        heads.push(false);
      }
    }
  }
  const bytes = Buffer.from(parts.join(''));
  // Cut into pieces of random sizes, from one byte to a few KiB.
  const cuts: number[] = [];
  for (let at = 1 + int(2000); at < bytes.length; at += 1 + (int(4) === 0 ? int(8) : int(6000)))
    cuts.push(at);
  return { bytes, cuts, expected, heads };
}

describe(`${CONNECTIONS} connections pipelining ${REQUESTS} requests each, cut at random`, () => {
  it.each(ENGINES)(
    '%s: every answer is its own request’s, in order',
    async (engine) => {
      const { int } = seeded(17 + engine.length);
      const scripts = Array.from({ length: CONNECTIONS }, (_, c) => script(engine, c, int));
      const results = await pool(
        scripts.map(
          ({ bytes, cuts, heads }, c) =>
            () =>
              // Half the connections pause a millisecond between pieces, so that the server reads them apart.
              exchange(ports[engine], cut(bytes, cuts), { heads, deadlineMs: 10_000, gapMs: c % 2 }),
        ),
        CONNECTIONS,
      );
      for (const [c, result] of results.entries()) {
        const bodies = result.responses.map((response) =>
          response.body.length === 0 ? undefined : JSON.parse(response.body.toString()),
        );
        expect(bodies, `${engine} connection ${c}`).toEqual(scripts[c]!.expected);
        expect(result.closed).toBe(true);
      }
    },
    120_000,
  );
});
