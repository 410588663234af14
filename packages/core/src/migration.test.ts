import type { RedisConfigNodejs } from '@upstash/redis';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { Redis, type RedisOptions } from './client.js';
import type { FunctionLibrary } from './commands/scripting.js';
import { RestashError } from './errors.js';
import { HttpRequester } from './http.js';
import type { RestReply } from './protocol/index.js';
import type { Requester, RequesterRequest } from './requester.js';

/** A requester that records requests and answers from a function of the arguments. */
function recorder(answer: (args: readonly unknown[]) => unknown = () => 'OK') {
  const sent: RequesterRequest[] = [];
  const requester: Requester = {
    async request(request) {
      sent.push(request);
      return request.commands.map((command) => ({ result: answer(command.args) }));
    },
  };
  return { sent, requester, args: () => sent.flatMap((r) => r.commands.map((c) => c.args)) };
}

describe('what a user leaving @upstash/redis writes', () => {
  it('compiles: the @upstash/redis constructor options are accepted', () => {
    const upstash: RedisConfigNodejs = {
      url: 'http://127.0.0.1:1',
      token: 'tok',
      enableTelemetry: false,
      latencyLogging: false,
      cache: 'no-store',
      agent: undefined,
      signal: () => new AbortController().signal,
      keepAlive: true,
      readYourWrites: true,
      retry: { retries: 1, backoff: () => 1 },
      responseEncoding: false,
      automaticDeserialization: true,
      enableAutoPipelining: true,
    };
    const options: RedisOptions = upstash;
    expect(new Redis(options)).toBeInstanceOf(Redis);
  });

  it('says how to give a missing url or token, and the constructor never reads the environment', () => {
    expect(() => new Redis({})).toThrow(
      '[restash/core] missing url: pass { url }, or use Redis.fromEnv() to read RESTASH_URL',
    );
    expect(() => new Redis({ url: 'http://127.0.0.1:1' })).toThrow(
      '[restash/core] missing token: pass { token }, or use Redis.fromEnv() to read RESTASH_TOKEN',
    );
  });

  it('takes a Worker env typed by an interface in fromEnv', () => {
    interface WorkerEnv {
      RESTASH_URL: string;
      RESTASH_TOKEN: string;
    }
    const env: WorkerEnv = { RESTASH_URL: 'http://127.0.0.1:1', RESTASH_TOKEN: 't' };
    expect(Redis.fromEnv({ env })).toBeInstanceOf(Redis);
  });

  it('passes the client-wide signal and cache mode to fetch', async () => {
    const inits: RequestInit[] = [];
    const fetch = (async (_url: string, init: RequestInit) => {
      inits.push(init);
      return new Response('{"result":"PONG"}');
    }) as typeof globalThis.fetch;
    const controller = new AbortController();
    const redis = new Redis({
      url: 'http://127.0.0.1:1',
      token: 't',
      fetch,
      signal: controller.signal,
      cache: 'no-store',
    });
    await redis.ping();
    expect(inits[0]!.signal).toBe(controller.signal);
    expect(inits[0]!.cache).toBe('no-store');
    controller.abort();
    await expect(redis.ping()).rejects.toMatchObject({ code: 'aborted' });
  });

  it('logs request latency with latencyLogging', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const redis = new Redis({ requester: recorder().requester, latencyLogging: true });
      await redis.get('k');
      expect(log).toHaveBeenCalledWith(expect.stringMatching(/^\[restash\/core\] GET took \d+\.\d ms$/));
    } finally {
      log.mockRestore();
    }
  });

  it('runs redis.exec([...]) as sendCommand', async () => {
    const { requester, args } = recorder(() => 'embstr');
    const redis = new Redis({ requester });
    expect(await redis.exec<string>(['OBJECT', 'ENCODING', 'k'])).toBe('embstr');
    const ping = redis.exec<string>(['PING']);
    expectTypeOf(ping).toEqualTypeOf<Promise<string>>();
    await ping;
    expect(args()).toEqual([['OBJECT', 'ENCODING', 'k'], ['PING']]);
  });

  it('wraps every request in use() middlewares, the last added outermost, pipelines and views included', async () => {
    const { requester, args } = recorder((a) => (a[0] === 'GET' ? 'v' : 'OK'));
    const redis = new Redis({ requester });
    const seen: string[] = [];
    redis.use(async (request, next) => {
      seen.push(`inner ${request.kind}`);
      return next(request);
    });
    redis.use(async (request, next) => {
      seen.push(`outer ${request.kind}`);
      const replies: RestReply[] = await next({
        ...request,
        commands: request.commands.map((c) => ({ ...c, args: c.args.map((a) => (a === 'old' ? 'new' : a)) })),
      });
      return replies.map((reply) => ('result' in reply && reply.result === 'v' ? { result: 'V!' } : reply));
    });
    expect(await redis.get('old')).toBe('V!');
    await redis.pipeline().set('old', 1).exec();
    await redis.with({ timeout: 1000 }).ping();
    expect(args()).toEqual([['GET', 'new'], ['SET', 'new', 1], ['PING']]);
    expect(seen).toEqual([
      'outer command',
      'inner command',
      'outer pipeline',
      'inner pipeline',
      'outer command',
      'inner command',
    ]);
    expect(() => redis.use('nope' as never)).toThrow(RestashError);
  });

  it('sends json.* commands as given and parses their JSON replies', async () => {
    const { requester, args } = recorder((a) =>
      a[0] === 'JSON.GET'
        ? '[{"name":"Ada"}]'
        : a[0] === 'JSON.NUMINCRBY'
          ? '[2]'
          : a[0] === 'JSON.ARRLEN'
            ? [3]
            : 'OK',
    );
    const redis = new Redis({ requester });
    expect(await redis.json.set('u', '$', { name: 'Ada', tags: [] }, { nx: true })).toBe('OK');
    expect(await redis.json.get<{ name: string }[]>('u', '$')).toEqual([{ name: 'Ada' }]);
    expect(await redis.json.get('u', { indent: '  ' }, '$.name', '$.tags')).toEqual([{ name: 'Ada' }]);
    expect(await redis.json.numincrby('u', '$.n', 1)).toEqual([2]);
    expect(await redis.json.arrlen('u', '$.tags')).toEqual([3]);
    await redis.json.mset([{ key: 'a', path: '$', value: 1 }]);
    await redis.json.arrappend('u', '$.tags', '"x"', 2);
    const [, got] = await redis.pipeline().json.set('u', '$', 1).json.get<number>('u').exec();
    expect(got).toEqual([{ name: 'Ada' }]);
    expect(args()).toEqual([
      ['JSON.SET', 'u', '$', '{"name":"Ada","tags":[]}', 'NX'],
      ['JSON.GET', 'u', '$'],
      ['JSON.GET', 'u', 'INDENT', '  ', '$.name', '$.tags'],
      ['JSON.NUMINCRBY', 'u', '$.n', 1],
      ['JSON.ARRLEN', 'u', '$.tags'],
      ['JSON.MSET', 'a', '$', 1],
      ['JSON.ARRAPPEND', 'u', '$.tags', '"x"', 2],
      ['JSON.SET', 'u', '$', 1],
      ['JSON.GET', 'u'],
    ]);
    expectTypeOf(redis.json.get<{ a: number }>('k')).toEqualTypeOf<Promise<{ a: number } | null>>();
    expectTypeOf(redis.json.arrlen('k')).toEqualTypeOf<Promise<(number | null)[]>>();
    await expect(redis.json.set('u', '$', undefined)).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(redis.json.mget('u' as never, '$')).resolves.toBeDefined();
    await expect(redis.json.mget(5 as never, '$')).rejects.toMatchObject({ code: 'invalid-argument' });
  });

  it('offers the functions namespace, in plain JavaScript too', async () => {
    const { requester, args } = recorder((a) =>
      a[1] === 'STATS'
        ? ['running_script', null, 'engines', ['LUA', ['libraries_count', 1, 'functions_count', 2]]]
        : a[1] === 'LIST'
          ? [
              [
                'library_name',
                'lib',
                'engine',
                'LUA',
                'functions',
                [['name', 'f', 'description', null, 'flags', []]],
              ],
            ]
          : a[0] === 'FCALL'
            ? 'called'
            : 'lib',
    );
    const redis = new Redis({ requester });
    expect(await redis.functions.load({ code: '#!lua name=lib\n', replace: true })).toBe('lib');
    expect(await redis.functions.call('f', ['k'], ['1'])).toBe('called');
    await redis.functions.callRo('f');
    await redis.functions.delete('lib');
    await redis.functions.flush();
    expect(await redis.functions.stats()).toEqual({
      engines: { LUA: { librariesCount: 1, functionsCount: 2 } },
    });
    expect(await redis.functions.list({ withCode: false })).toEqual([
      { libraryName: 'lib', engine: 'LUA', functions: [{ name: 'f', description: null, flags: [] }] },
    ]);
    expectTypeOf(redis.functions.list()).toEqualTypeOf<Promise<FunctionLibrary[]>>();
    expect(args()).toEqual([
      ['FUNCTION', 'LOAD', 'REPLACE', '#!lua name=lib\n'],
      ['FCALL', 'f', 1, 'k', '1'],
      ['FCALL_RO', 'f', 0],
      ['FUNCTION', 'DELETE', 'lib'],
      ['FUNCTION', 'FLUSH'],
      ['FUNCTION', 'STATS'],
      ['FUNCTION', 'LIST'],
    ]);
    await expect((redis.functions.load as (code: unknown) => Promise<string>)('code')).rejects.toMatchObject({
      code: 'invalid-argument',
    });
  });
});

describe('RestashError.status', () => {
  const answer = (body: unknown, status: number) =>
    (async () =>
      new Response(JSON.stringify(body), {
        status,
        headers: { 'content-type': 'application/json' },
      })) as unknown as typeof globalThis.fetch;

  it('is the HTTP status that carried a Redis error: 400 for a command alone, 200 inside a pipeline', async () => {
    const alone = new Redis({
      url: 'http://127.0.0.1:1',
      token: 't',
      fetch: answer({ error: 'WRONGTYPE x' }, 400),
    });
    await expect(alone.incr('k')).rejects.toMatchObject({
      code: 'redis',
      status: 400,
      message: 'WRONGTYPE x',
    });
    const piped = new Redis({
      url: 'http://127.0.0.1:1',
      token: 't',
      fetch: answer([{ result: 1 }, { error: 'WRONGTYPE y' }], 200),
    });
    await expect(piped.pipeline().incr('a').incr('b').exec()).rejects.toMatchObject({ status: 200 });
    // The status does not change what a reply looks like.
    const requester = new HttpRequester({
      url: 'http://127.0.0.1:1',
      token: 't',
      fetch: answer({ error: 'E' }, 400),
    });
    expect(await requester.request({ kind: 'command', commands: [{ args: ['GET', 'k'] }] })).toEqual([
      { error: 'E' },
    ]);
  });
});
