import { describe, expect, expectTypeOf, it } from 'vitest';
import { Redis } from './client.js';
import { RestashError } from './errors.js';
import { bigIntsToStrings, hasBigInt, parseJsonExact } from './json.js';
import type { Requester } from './requester.js';

describe('parseJsonExact', () => {
  it('keeps integers beyond Number.MAX_SAFE_INTEGER exact as bigint, at any depth', () => {
    expect(parseJsonExact('{"result":9007199254740993}')).toEqual({ result: 9007199254740993n });
    expect(parseJsonExact('[{"result":[1,-9223372036854775808,"x"]},{"error":"E"}]')).toEqual([
      { result: [1, -9223372036854775808n, 'x'] },
      { error: 'E' },
    ]);
  });

  it('returns what JSON.parse returns for everything else', () => {
    const texts = [
      '{"result":9007199254740991}',
      '{"result":"12345678901234567890"}',
      '{"result":["a\\"b\\\\", "\\u00e9\\n", 1.5, -0.25e3, true, false, null, {}, []]}',
      ' [ 1 , { "k" : [ ] } ] ',
      '{"result":"MTIzNDU2Nzg5MDEyMzQ1Njc4OTA="}',
      '{"result":1234567890123456.5}',
    ];
    for (const text of texts) expect(parseJsonExact(text)).toEqual(JSON.parse(text));
  });

  it('throws a SyntaxError on text that is not JSON, like JSON.parse', () => {
    for (const text of [
      '{"result":12345678901234567',
      '[1234567890123456789,]',
      '<html>1234567890123456</html>',
    ]) {
      expect(() => parseJsonExact(text)).toThrow(SyntaxError);
    }
  });

  it('finds and converts bigints in replies', () => {
    expect(hasBigInt([1, ['a', 2n]])).toBe(true);
    expect(hasBigInt([1, ['a', 2]])).toBe(false);
    expect(bigIntsToStrings([1, [2n]])).toEqual([1, ['2']]);
  });
});

describe('integers beyond 2^53 in replies', () => {
  const requester: Requester = {
    async request({ commands }) {
      return commands.map(() => ({ result: 9007199254740993n }));
    },
  };

  it('fail with an unsafe-integer error by default instead of being rounded', async () => {
    const redis = new Redis({ requester });
    const error = await redis.incr('k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RestashError);
    expect((error as RestashError).code).toBe('unsafe-integer');
    expect((error as RestashError).command).toBe('INCR');
    expect((error as RestashError).message).toMatch(/INCR ran, but its reply holds an integer beyond/);
    await expect(redis.pipeline().incr('k').exec()).rejects.toThrow(/unsafe|MAX_SAFE_INTEGER/);
  });

  it('come back as bigint or exact strings from redis.with({ integers }), typed so', async () => {
    const redis = new Redis({ requester });
    const big = redis.with({ integers: 'bigint' });
    const text = redis.with({ integers: 'string' });
    expect(await big.incr('k')).toBe(9007199254740993n);
    expect(await text.incr('k')).toBe('9007199254740993');
    expect(await big.pipeline().incr('k').exec()).toEqual([9007199254740993n]);
    expectTypeOf(big.incr('k')).toEqualTypeOf<Promise<number | bigint>>();
    expectTypeOf(text.incr('k')).toEqualTypeOf<Promise<number | string>>();
    expectTypeOf(big.get<string>('k')).toEqualTypeOf<Promise<string | null>>();
    expectTypeOf(big.pipeline().incr('k').exec()).toEqualTypeOf<Promise<[number | bigint]>>();
    expectTypeOf(redis.incr).returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf(redis.with({ timeout: 10 })).toEqualTypeOf<Redis>();
  });

  it('leave auto-pipelining on for an integers-only view', async () => {
    const kinds: string[] = [];
    const redis = new Redis({
      requester: {
        async request({ kind, commands }) {
          kinds.push(kind);
          return commands.map(() => ({ result: 1 }));
        },
      },
    });
    const big = redis.with({ integers: 'bigint' });
    await Promise.all([big.incr('a'), big.incr('b')]);
    expect(kinds).toEqual(['pipeline']);
    expect(redis.pipelineCounter).toBe(1);
  });
});
