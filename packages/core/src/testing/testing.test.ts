import { describe, expect, it } from 'vitest';
import { RestashError } from '../errors.js';
import type { Requester } from '../requester.js';
import { assertEqual, assertRejects, ConformanceError, deepEqual, requesterSuite } from './index.js';

describe('conformance helpers', () => {
  it('compare values deeply, bytes included', () => {
    expect(deepEqual({ a: [1, new Uint8Array([1])] }, { a: [1, new Uint8Array([1])] })).toBe(true);
    expect(deepEqual([1, 2], [1, 3])).toBe(false);
    expect(deepEqual(new Uint8Array([1]), [1])).toBe(false);
    expect(() => assertEqual('a', 'b', 'GET')).toThrow(new ConformanceError('GET: expected "b", got "a"'));
  });

  it('check rejections by code and message', async () => {
    await assertRejects(Promise.reject(new RestashError('redis', 'NOSCRIPT x')), 'redis', /^NOSCRIPT/, 'x');
    await expect(assertRejects(Promise.resolve(1), 'redis', /x/, 'EVALSHA')).rejects.toThrow(
      'EVALSHA: expected a rejection',
    );
    await expect(assertRejects(Promise.reject(new Error('plain')), 'redis', /x/, 'w')).rejects.toThrow(
      /expected a RestashError/,
    );
  });

  it('make a requester that breaks the contract fail the suite', async () => {
    const tests: { name: string; body: () => Promise<void> | void }[] = [];
    const broken: Requester = { request: async ({ commands }) => commands.map(() => ({ result: 'OK' })) };
    requesterSuite(
      { describe: (_name, body) => body(), it: (name, body) => tests.push({ name, body }) },
      { name: 'broken', requester: () => broken },
    );
    const outcomes = await Promise.all(
      tests.map(async (test) => {
        try {
          await test.body();
          return 'passed';
        } catch {
          return 'failed';
        }
      }),
    );
    expect(outcomes.filter((o) => o === 'failed').length).toBeGreaterThanOrEqual(4);
  });
});
