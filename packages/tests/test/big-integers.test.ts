import { RestashError } from '@restash/core';
import { prefix, useStack } from '@restash/test-harness';
import { describe, expect, it } from 'vitest';

const stack = useStack();

describe('integers beyond Number.MAX_SAFE_INTEGER against a real Redis', () => {
  it('are never rounded: an unsafe-integer error by default, exact with { integers }', async () => {
    const redis = stack.client();
    const key = `${prefix()}big`;
    await redis.set(key, '9007199254740992');
    const error = await redis.incr(key).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RestashError);
    expect((error as RestashError).code).toBe('unsafe-integer');
    // The INCR ran: Redis holds …993, and a plain GET (a string reply) reads it exactly.
    expect(await redis.get(key)).toBe('9007199254740993');
    expect(await redis.with({ integers: 'bigint' }).incr(key)).toBe(9007199254740994n);
    expect(await redis.with({ integers: 'string' }).incrby(key, 1)).toBe('9007199254740995');
    const [a, b] = await redis.with({ integers: 'bigint' }).pipeline().decr(key).strlen(key).exec();
    expect(a).toBe(9007199254740994n);
    expect(b).toBe(16);
  });

  it('work without base64 responses and in raw mode too', async () => {
    const redis = stack.client({ responseEncoding: false, automaticDeserialization: false });
    const key = `${prefix()}big`;
    await redis.set(key, '-9223372036854775807');
    expect(await redis.with({ integers: 'string' }).decr(key)).toBe('-9223372036854775808');
    await expect(redis.incrby(key, 1)).rejects.toMatchObject({ code: 'unsafe-integer' });
    expect(await redis.get(key)).toBe('-9223372036854775807');
    await redis.set(key, '9007199254740990');
    expect(await redis.incr(key)).toBe(9007199254740991);
  });
});
