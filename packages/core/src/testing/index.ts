/**
 * Shared conformance suites for everything built on `@restash/core`: run them
 * in your own test runner (vitest, jest, node:test) against a live server.
 *
 * - {@link requesterSuite}: a `Requester` (the HTTP one, or your own) speaks the protocol.
 * - {@link clientSuite}: a `Redis` client does what framework adapters rely on
 *   (raw strings, millisecond TTLs, SCAN iteration, scripts with NOSCRIPT fallback,
 *   the raw escape hatch, binary values, pipelines and transactions).
 *
 * @example
 * import { describe, it } from 'vitest';
 * import { clientSuite } from '@restash/core/testing';
 * clientSuite({ describe, it }, { name: 'my store', client: () => new Redis({ url, token, automaticDeserialization: false }) });
 */
import type { Redis } from '../client.js';
import { RestashError } from '../errors.js';
import type { RestReply } from '../protocol/index.js';
import type { Requester } from '../requester.js';

/** The parts of a test runner the suites use. */
export interface TestApi {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void> | void, timeout?: number): void;
}

/** Thrown when a conformance check fails. */
export class ConformanceError extends Error {
  override readonly name = 'ConformanceError';
}

/** Deep equality of JSON-like values and byte arrays. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false;
    return a.every((byte, i) => byte === b[i]);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!(Array.isArray(a) && Array.isArray(b)) || a.length !== b.length) return false;
    return a.every((item, i) => deepEqual(item, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keysA = Object.keys(a).filter((key) => (a as Record<string, unknown>)[key] !== undefined);
    const keysB = Object.keys(b).filter((key) => (b as Record<string, unknown>)[key] !== undefined);
    if (keysA.length !== keysB.length) return false;
    return keysA.every((key) =>
      deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
    );
  }
  return false;
}

function show(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item instanceof Uint8Array ? `bytes(${[...item].join(',')})` : item,
  );
}

/** Fails unless `actual` deep-equals `expected`. */
export function assertEqual(actual: unknown, expected: unknown, what: string): void {
  if (!deepEqual(actual, expected))
    throw new ConformanceError(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

/** Fails unless `promise` rejects with a `RestashError` of `code` whose message matches `pattern`. */
export async function assertRejects(
  promise: Promise<unknown>,
  code: string,
  pattern: RegExp,
  what: string,
): Promise<void> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof RestashError))
      throw new ConformanceError(`${what}: expected a RestashError, got ${String(error)}`);
    if (error.code !== code)
      throw new ConformanceError(`${what}: expected code ${code}, got ${error.code} (${error.message})`);
    if (!pattern.test(error.message))
      throw new ConformanceError(
        `${what}: message ${JSON.stringify(error.message)} does not match ${pattern}`,
      );
    return;
  }
  throw new ConformanceError(`${what}: expected a rejection`);
}

function uniquePrefix(): string {
  return `conformance:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}:`;
}

const text = (value: string) => new TextEncoder().encode(value);

/** Options of {@link requesterSuite}. */
export interface RequesterSuiteOptions {
  /** Shown in the suite's name. */
  name: string;
  /** A requester with a standard token, talking to a live server (called once per test). */
  requester: () => Requester | Promise<Requester>;
  /** @default 10000 */
  timeout?: number;
}

/**
 * Registers tests that check a {@link Requester} against a live server: one
 * reply per command in order, Redis errors as entries, atomic transactions,
 * discarded transactions as a `redis` error, exact bytes, sync tokens.
 */
export function requesterSuite(test: TestApi, options: RequesterSuiteOptions): void {
  const timeout = options.timeout ?? 10_000;
  const result = (reply: RestReply | undefined) => (reply && 'result' in reply ? reply.result : reply);
  test.describe(`requester conformance: ${options.name}`, () => {
    test.it(
      'answers one command with its result',
      async () => {
        const requester = await options.requester();
        const key = `${uniquePrefix()}k`;
        const replies = await requester.request({
          kind: 'command',
          commands: [{ args: ['SET', key, 'v', 'PX', 60_000] }],
        });
        assertEqual(replies, [{ result: 'OK' }], 'SET');
        assertEqual(
          await requester.request({ kind: 'command', commands: [{ args: ['GET', key] }] }),
          [{ result: 'v' }],
          'GET',
        );
      },
      timeout,
    );

    test.it(
      'returns a failed command as an error entry with Redis text',
      async () => {
        const requester = await options.requester();
        const replies = await requester.request({
          kind: 'command',
          commands: [{ args: ['INCR', `${uniquePrefix()}k`, 'extra'] }],
        });
        if (
          replies.length !== 1 ||
          !replies[0] ||
          !('error' in replies[0]) ||
          !/^ERR /.test(replies[0].error)
        ) {
          throw new ConformanceError(`expected one { error: "ERR …" } entry, got ${show(replies)}`);
        }
      },
      timeout,
    );

    test.it(
      'answers a pipeline in order, with per-command errors',
      async () => {
        const requester = await options.requester();
        const key = `${uniquePrefix()}k`;
        const replies = await requester.request({
          kind: 'pipeline',
          commands: [
            { args: ['SET', key, 'x', 'PX', 60_000] },
            { args: ['INCR', key] },
            { args: ['STRLEN', key] },
          ],
        });
        assertEqual(result(replies[0]), 'OK', 'entry 1');
        if (!replies[1] || !('error' in replies[1]))
          throw new ConformanceError(`entry 2: expected an error, got ${show(replies[1])}`);
        assertEqual(result(replies[2]), 1, 'entry 3');
      },
      timeout,
    );

    test.it(
      'runs a transaction atomically and rejects a discarded one',
      async () => {
        const requester = await options.requester();
        const key = `${uniquePrefix()}k`;
        const replies = await requester.request({
          kind: 'transaction',
          commands: [{ args: ['INCR', key] }, { args: ['INCR', key] }, { args: ['PEXPIRE', key, 60_000] }],
        });
        assertEqual(replies.map(result), [1, 2, 1], 'MULTI/EXEC results');
        await assertRejects(
          requester.request({ kind: 'transaction', commands: [{ args: ['INCR', key] }, { args: ['GET'] }] }),
          'redis',
          /^(EXECABORT|ERR)/,
          'a transaction with a malformed command',
        );
      },
      timeout,
    );

    test.it(
      'carries exact bytes in and out',
      async () => {
        const requester = await options.requester();
        const key = `${uniquePrefix()}bin`;
        const bytes = new Uint8Array([0, 255, 128, 10, 13, 37, 47]);
        assertEqual(
          await requester.request({
            kind: 'command',
            commands: [{ args: ['SET', key, bytes, 'PX', 60_000] }],
          }),
          [{ result: 'OK' }],
          'SET bytes',
        );
        assertEqual(
          await requester.request({ kind: 'command', commands: [{ args: ['GET', key], bytes: true }] }),
          [{ result: bytes }],
          'GET bytes',
        );
        const utf8 = text('héllo ✓');
        await requester.request({
          kind: 'pipeline',
          commands: [{ args: ['SET', key, utf8, 'PX', 60_000] }, { args: ['GET', key] }],
        });
        assertEqual(
          await requester.request({ kind: 'command', commands: [{ args: ['GET', key] }] }),
          [{ result: 'héllo ✓' }],
          'UTF-8 text',
        );
      },
      timeout,
    );

    test.it(
      'tracks the read-your-writes token when it has one',
      async () => {
        const requester = await options.requester();
        if (requester.syncToken === undefined) return;
        await requester.request({ kind: 'command', commands: [{ args: ['PING'] }] });
        const first = requester.syncToken;
        await requester.request({ kind: 'command', commands: [{ args: ['PING'] }] });
        if (typeof first !== 'string' || first === '' || requester.syncToken === first) {
          throw new ConformanceError(
            `expected a new non-empty sync token per response, got ${show([first, requester.syncToken])}`,
          );
        }
      },
      timeout,
    );
  });
}

/** Options of {@link clientSuite}. */
export interface ClientSuiteOptions {
  /** Shown in the suite's name. */
  name: string;
  /** A client in raw mode (`automaticDeserialization: false`), talking to a live server. */
  client: () => Redis<unknown> | Promise<Redis<unknown>>;
  /** @default 10000 */
  timeout?: number;
}

/**
 * Registers tests of what framework adapters need from the client (see the
 * adapters research): exact strings in raw mode, millisecond TTLs, SCAN
 * iteration, multi-key commands, scripts with NOSCRIPT fallback and errors
 * that start with Redis's text, `sendCommand`, binary values, pipelines and
 * transactions.
 */
export function clientSuite(test: TestApi, options: ClientSuiteOptions): void {
  const timeout = options.timeout ?? 10_000;
  test.describe(`client conformance: ${options.name}`, () => {
    test.it(
      'returns stored strings exactly in raw mode',
      async () => {
        const redis = await options.client();
        const key = `${uniquePrefix()}k`;
        const json = '{"cookie":{"maxAge":1000},"n":1}';
        await redis.set(key, json, { px: 60_000 });
        assertEqual(await redis.get(key), json, 'GET of JSON text');
        await redis.set(key, '123', { px: 60_000 });
        assertEqual(await redis.get(key), '123', 'GET of digits');
      },
      timeout,
    );

    test.it(
      'sets and reads millisecond TTLs',
      async () => {
        const redis = await options.client();
        const key = `${uniquePrefix()}k`;
        await redis.set(key, 'v', { px: 5_000 });
        const pttl = await redis.pttl(key);
        if (!(pttl > 0 && pttl <= 5_000)) throw new ConformanceError(`PTTL: expected 1…5000, got ${pttl}`);
        assertEqual(await redis.pexpire(key, 50_000), 1, 'PEXPIRE');
      },
      timeout,
    );

    test.it(
      'walks keys with scanIterator and handles many keys at once',
      async () => {
        const redis = await options.client();
        const p = uniquePrefix();
        const names = Array.from({ length: 25 }, (_, i) => `${p}${i}`);
        await redis.mset(Object.fromEntries(names.map((name) => [name, name])));
        const seen: string[] = [];
        for await (const key of redis.scanIterator({ match: `${p}*`, count: 7 })) seen.push(key);
        assertEqual(seen.sort(), [...names].sort(), 'scanned keys');
        assertEqual(await redis.mget(names.slice(0, 3)), names.slice(0, 3), 'MGET');
        assertEqual(await redis.exists(...names), 25, 'EXISTS');
        assertEqual(await redis.del(...names.slice(0, 20)), 20, 'DEL');
        assertEqual(await redis.unlink(...names), 5, 'UNLINK');
      },
      timeout,
    );

    test.it(
      'runs scripts by SHA1 with a NOSCRIPT fallback, and reports NOSCRIPT first in the message',
      async () => {
        const redis = await options.client();
        const body = `return {KEYS[1], ARGV[1], '${uniquePrefix()}'}`;
        const script = redis.createScript<string[]>(body);
        await assertRejects(
          redis.evalsha(script.sha1, ['k'], ['a']),
          'redis',
          /^NOSCRIPT(?:\s|$)/,
          'EVALSHA before load',
        );
        const [key, arg] = await script.exec(['k'], ['a']);
        assertEqual([key, arg], ['k', 'a'], 'script result');
        assertEqual(await redis.scriptExists(script.sha1), [1], 'cached after the fallback');
      },
      timeout,
    );

    test.it(
      'sends raw commands with sendCommand',
      async () => {
        const redis = await options.client();
        const key = `${uniquePrefix()}k`;
        assertEqual(await redis.sendCommand(['SET', key, 'v', 'PX', '60000']), 'OK', 'SET');
        assertEqual(await redis.sendCommand(['GET', key]), 'v', 'GET');
      },
      timeout,
    );

    test.it(
      'round-trips binary values',
      async () => {
        const redis = await options.client();
        const key = `${uniquePrefix()}k`;
        const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
        await redis.set(key, bytes, { px: 60_000 });
        assertEqual(await redis.getBytes(key), bytes, 'GET bytes');
      },
      timeout,
    );

    test.it(
      'runs pipelines and transactions',
      async () => {
        const redis = await options.client();
        const key = `${uniquePrefix()}k`;
        assertEqual(
          await redis.pipeline().set(key, '1', { px: 60_000 }).incr(key).get(key).exec(),
          ['OK', 2, '2'],
          'pipeline',
        );
        assertEqual(
          await redis
            .multi()
            .incr(key)
            .pttl(key)
            .exec()
            .then(([n]) => n),
          3,
          'transaction',
        );
      },
      timeout,
    );
  });
}
