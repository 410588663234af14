import { prefix, useStack } from '@restash/test-harness';
import { describe, expect, it } from 'vitest';

const stack = useStack();

describe('the json.* and functions namespaces against a real Redis', () => {
  it('runs json.* where RedisJSON is present (Redis 8, or the module), and is skipped otherwise', async (context) => {
    const redis = stack.client();
    const [info] = await redis.sendCommand<unknown[]>(['COMMAND', 'INFO', 'JSON.GET']);
    if (!info) {
      context.skip();
      return;
    }
    const key = `${prefix()}doc`;
    expect(await redis.json.set(key, '$', { name: 'Ada', tags: ['x'], n: 1 })).toBe('OK');
    expect(await redis.json.get(key, '$.name')).toEqual(['Ada']);
    expect(await redis.json.arrappend(key, '$.tags', '"y"')).toEqual([2]);
    expect(await redis.json.numincrby(key, '$.n', 2)).toEqual([3]);
    expect(await redis.json.type(key, '$.tags')).toEqual(['array']);
    expect(await redis.json.set(key, '$', {}, { nx: true })).toBeNull();
  });

  it('loads, lists, calls and deletes a library through functions.*', async () => {
    const redis = stack.client();
    const lib = `lib_${prefix().replace(/[^a-zA-Z0-9]/g, '')}`;
    const code = `#!lua name=${lib}\nredis.register_function{function_name='${lib}_echo', callback=function(keys, args) return args[1] end, flags={'no-writes'}}`;
    expect(await redis.functions.load({ code })).toBe(lib);
    expect(await redis.functions.call(`${lib}_echo`, [], ['hi'])).toBe('hi');
    expect(await redis.functions.callRo(`${lib}_echo`, [], ['{"a":1}'])).toEqual({ a: 1 });
    const [listed] = await redis.functions.list({ libraryName: lib });
    expect(listed).toMatchObject({ libraryName: lib, engine: 'LUA', functions: [{ name: `${lib}_echo` }] });
    const stats = await redis.functions.stats();
    expect(stats.engines.LUA?.librariesCount).toBeGreaterThanOrEqual(1);
    expect(await redis.functions.delete(lib)).toBe('OK');
  });
});
