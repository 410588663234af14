import { type Redis, RestashError } from '@restash/core';
import { prefix, useStack } from '@restash/test-harness';
import { beforeAll, describe, expect, it } from 'vitest';

const stack = useStack();
const p = prefix();
let redis: Redis;
beforeAll(() => {
  redis = stack.client();
});

describe('scripts', () => {
  it('runs EVAL with keys and arguments and deserializes the result', async () => {
    expect(await redis.eval('return {KEYS[1], ARGV[1], ARGV[2]}', [`${p}k`], [1, { a: 1 }])).toEqual([
      `${p}k`,
      1,
      { a: 1 },
    ]);
    expect(await redis.evalRo("return redis.call('GET', KEYS[1])", [`${p}missing`])).toBeNull();
  });

  it('falls back from EVALSHA to EVAL on NOSCRIPT, then runs by SHA1', async () => {
    const script = redis.createScript<number>(`return redis.call('INCRBY', KEYS[1], ARGV[1]) -- ${p}`);
    expect(script.sha1).toMatch(/^[0-9a-f]{40}$/);
    const error = await script.evalsha([`${p}n`], [2]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RestashError);
    expect(error).toMatchObject({ code: 'redis', command: 'EVALSHA' });
    expect((error as Error).message).toMatch(/^NOSCRIPT(?:\s|$)/);
    expect(await script.exec([`${p}n`], [2])).toBe(2);
    expect(await redis.scriptExists(script.sha1, '0'.repeat(40))).toEqual([1, 0]);
    expect(await script.evalsha([`${p}n`], [3])).toBe(5);
    expect(await script.load()).toBe(script.sha1);
  });

  it('runs read-only scripts with EVALSHA_RO and EVAL_RO', async () => {
    await redis.set(`${p}ro`, 'value');
    const script = redis.createScript<string>(`return redis.call('GET', KEYS[1]) -- ro ${p}`, {
      readonly: true,
    });
    expect(await script.exec([`${p}ro`])).toBe('value');
    expect(await redis.evalshaRo(script.sha1, [`${p}ro`])).toBe('value');
    await expect(
      redis
        .createScript(`return redis.call('SET', KEYS[1], 'x') -- ${p}`, { readonly: true })
        .exec([`${p}ro`]),
    ).rejects.toMatchObject({
      code: 'redis',
    });
  });

  it('loads scripts and flushes the cache', async () => {
    const sha = await redis.scriptLoad(`return 'loaded ${p}'`);
    expect(await redis.evalsha(sha)).toBe(`loaded ${p}`);
    expect(await redis.scriptFlush('SYNC')).toBe('OK');
    expect(await redis.scriptExists(sha)).toEqual([0]);
  });

  it('passes Redis script errors through with their own text', async () => {
    await expect(redis.eval("return redis.error_reply('MYERR custom failure')")).rejects.toThrow(
      /^MYERR custom failure/,
    );
  });
});

describe('functions', () => {
  const library = `#!lua name=${p.replace(/\W/g, '')}\nredis.register_function('hello', function(keys, args) return 'hi ' .. args[1] end)\nredis.register_function{function_name='peek', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}`;
  const name = p.replace(/\W/g, '');

  it('loads, calls, lists, dumps, restores and deletes a library', async () => {
    expect(await redis.functionLoad(library)).toBe(name);
    expect(await redis.functionLoad(library, { replace: true })).toBe(name);
    expect(await redis.fcall('hello', [], ['you'])).toBe('hi you');
    await redis.set(`${p}f`, 'seen');
    expect(await redis.fcallRo('peek', [`${p}f`])).toBe('seen');
    const [lib] = await redis.functionList({ libraryName: name, withCode: true });
    expect(lib).toMatchObject({ libraryName: name, engine: 'LUA', libraryCode: library });
    expect(lib!.functions.map((f) => f.name).sort()).toEqual(['hello', 'peek']);
    const stats = await redis.functionStats();
    expect(stats).toHaveProperty('engines');
    const dump = await redis.functionDump();
    expect(dump).toBeInstanceOf(Uint8Array);
    expect(await redis.functionDelete(name)).toBe('OK');
    await expect(redis.fcall('hello', [], ['x'])).rejects.toThrow(/^ERR Function not found/);
    expect(await redis.functionRestore(dump, 'REPLACE')).toBe('OK');
    expect(await redis.fcall('hello', [], ['again'])).toBe('hi again');
    expect(await redis.functionFlush('SYNC')).toBe('OK');
  });
});
