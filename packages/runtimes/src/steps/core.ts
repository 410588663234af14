import { check, isRestashError, rejection, type Step, same, show } from '../conformance.js';

/** Every byte value once, 0 to 255. */
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

/** A Lua loop that keeps Redis busy for ARGV[1] microseconds, for the timeout step. */
const SPIN = `local s = redis.call('TIME')
local start = tonumber(s[1]) * 1000000 + tonumber(s[2])
repeat
  local t = redis.call('TIME')
until tonumber(t[1]) * 1000000 + tonumber(t[2]) - start >= tonumber(ARGV[1])
return 1`;

/**
 * The conformance steps of `@restash/core`, in the order the matrix runs them.
 * Each one uses only what a user's code would: the public client API.
 */
export const steps = {
  /** `Redis.fromEnv()` the runtime's way reaches the server. */
  async 'Redis.fromEnv()'({ redis, prefix }) {
    const client = redis();
    same(await client.ping(), 'PONG', 'PING');
    same(await client.set(`${prefix}env`, 'from-env'), 'OK', 'SET');
    same(await client.get(`${prefix}env`), 'from-env', 'GET');
    return { process: typeof (globalThis as { process?: unknown }).process };
  },

  /** Objects, arrays, numbers, booleans and non-ASCII text round-trip as JSON. */
  async 'JSON values'({ redis, prefix }) {
    const client = redis();
    const values: Record<string, unknown> = {
      object: { name: 'Ada', tags: ['x', 1, null, { deep: true }], n: -1.5 },
      array: [1, 'two', [3]],
      number: 42,
      float: 3.25,
      boolean: true,
      text: 'héllo, wörld ✓ 🎉 "quoted"\nnext line',
      numeric: '007',
    };
    for (const [name, value] of Object.entries(values)) await client.set(`${prefix}json:${name}`, value);
    for (const [name, value] of Object.entries(values)) {
      same(await client.get(`${prefix}json:${name}`), value, `GET ${name}`);
    }
    same(await client.mget(`${prefix}json:object`, `${prefix}json:missing`), [values.object, null], 'MGET');
    await client.hset(`${prefix}json:hash`, { a: { x: 1 }, b: 2 });
    same(await client.hgetall(`${prefix}json:hash`), { a: { x: 1 }, b: 2 }, 'HGETALL');
    const raw = redis({ automaticDeserialization: false });
    same(await raw.get(`${prefix}json:object`), JSON.stringify(values.object), 'GET in raw mode');
  },

  /** All 256 byte values round-trip exactly, as values, hash fields and keys. */
  async 'raw bytes (all 256 values)'({ redis, prefix }) {
    const client = redis();
    same(await client.set(`${prefix}bytes`, ALL_BYTES), 'OK', 'SET bytes');
    same(await client.getBytes(`${prefix}bytes`), ALL_BYTES, 'GETBYTES');
    same(await client.strlen(`${prefix}bytes`), 256, 'STRLEN');
    await client.hset(`${prefix}bytes:hash`, { field: ALL_BYTES });
    same(await client.hgetBytes(`${prefix}bytes:hash`, 'field'), ALL_BYTES, 'HGETBYTES');
    const key = new Uint8Array([...new TextEncoder().encode(`${prefix}bytes:key:`), ...ALL_BYTES]);
    await client.set(key, 'under a binary key');
    same(await client.get(key), 'under a binary key', 'GET of a binary key');
    const raw = await client.sendCommand<Uint8Array>(['GET', `${prefix}bytes`], { bytes: true });
    same(raw, ALL_BYTES, 'sendCommand GET { bytes: true }');
  },

  /** A pipeline runs in one request, replies in order, errors kept per command. */
  async pipeline({ redis, prefix }) {
    const client = redis();
    const key = `${prefix}pipe`;
    const results = await client
      .pipeline()
      .set(key, 1)
      .incr(key)
      .get<number>(key)
      .hset(`${key}:h`, { a: { x: 1 } })
      .hget(`${key}:h`, 'a')
      .exec();
    same(results, ['OK', 2, 2, 1, { x: 1 }], 'exec');
    const kept = await client.pipeline().get(`${key}:h`).incr(key).exec({ keepErrors: true });
    check(
      typeof kept[0]?.error === 'string' && kept[0].error.startsWith('WRONGTYPE'),
      `keepErrors: expected a WRONGTYPE entry, got ${show(kept[0])}`,
    );
    same(kept[1], { result: 3 }, 'keepErrors second entry');
  },

  /** `multi()` runs atomically over /multi-exec. */
  async transaction({ redis, prefix }) {
    const client = redis();
    const key = `${prefix}tx`;
    same(await client.multi().set(key, 'a').append(key, 'b').get(key).exec(), ['OK', 2, 'ab'], 'exec');
    const error = await rejection(client.multi().set(key, 'c').incr(key).exec(), 'a failing transaction');
    isRestashError(error, 'redis', 'a failing transaction');
  },

  /** A script goes out as EVALSHA, falls back to EVAL on NOSCRIPT, then EVALSHA hits the cache. */
  async 'script with EVALSHA fallback'({ redis, prefix }) {
    const client = redis();
    const key = `${prefix}script`;
    const nonce = Math.random().toString(36).slice(2);
    const lua = `-- ${nonce}\nreturn {ARGV[1], redis.call('INCR', KEYS[1])}`;
    const script = client.createScript<[string, number]>(lua);
    check(/^[0-9a-f]{40}$/.test(script.sha1), `sha1: got ${show(script.sha1)}`);
    same(await client.scriptExists(script.sha1), [0], 'SCRIPT EXISTS before');
    same(await script.exec([key], ['first']), ['first', 1], 'first exec (EVAL fallback)');
    same(await client.scriptExists(script.sha1), [1], 'SCRIPT EXISTS after');
    same(await script.exec([key], ['second']), ['second', 2], 'second exec (EVALSHA)');
    same(await client.scriptLoad(lua), script.sha1, 'SCRIPT LOAD agrees with the local SHA1');
  },

  /** Concurrent calls in one tick go out as one /pipeline request, each caller getting its own result. */
  async 'auto-pipelined concurrent calls'({ redis, prefix }) {
    const client = redis();
    const key = `${prefix}auto`;
    await client.set(`${key}:text`, 'not a number');
    const before = client.pipelineCounter;
    const calls = Array.from({ length: 20 }, (_, i) => client.incrby(key, i + 1));
    const failing = client.incr(`${key}:text`);
    const outcome = await Promise.allSettled([...calls, failing]);
    same(client.pipelineCounter - before, 1, 'requests sent');
    const values = outcome.slice(0, 20).map((o) => (o.status === 'fulfilled' ? o.value : o.reason));
    same(
      values,
      Array.from({ length: 20 }, (_, i) => ((i + 1) * (i + 2)) / 2),
      'each caller gets its own result',
    );
    const last = outcome[20];
    check(last?.status === 'rejected', `the failing call: expected a rejection, got ${show(last)}`);
    isRestashError(last.reason, 'redis', 'the failing call');
  },

  /** A Redis error is a `RestashError` with code `redis` and Redis's own text. */
  async 'RestashError from a Redis error'({ redis, prefix }) {
    const client = redis();
    await client.set(`${prefix}err`, 'text');
    const error = await rejection(client.incr(`${prefix}err`), 'INCR of text');
    isRestashError(error, 'redis', 'INCR of text');
    check(
      error.message.startsWith('ERR value is not an integer'),
      `message: expected Redis's text, got ${show(error.message)}`,
    );
    same(error.command?.toUpperCase(), 'INCR', 'command');
  },

  /** A call whose answer takes longer than its timeout fails with code `timeout`. */
  async timeout({ redis }) {
    const client = redis({ retry: false });
    // Redis stays busy for 1 s; the call gives up after 100 ms.
    const error = await rejection(client.with({ timeout: 100 }).eval(SPIN, [], [1_000_000]), 'a slow EVAL');
    isRestashError(error, 'timeout', 'a slow EVAL with timeout 100');
    // Wait for Redis to be free again, so the next step starts on an idle server.
    same(await client.ping(), 'PONG', 'PING after the script');
  },

  /** `subscribe` receives a published message over server-sent events, then unsubscribes. */
  async 'subscribe over SSE'({ redis, prefix }) {
    const client = redis();
    const channel = `${prefix}chat, room`;
    const sub = client.subscribe<{ text: string }>([channel]);
    try {
      await sub.ready;
      const received = (async () => {
        for await (const message of sub) return message;
        return undefined;
      })();
      same(await client.publish(channel, { text: 'hi\nthere' }), 1, 'PUBLISH receivers');
      same(await received, { channel, message: { text: 'hi\nthere' } }, 'the message');
    } finally {
      await sub.unsubscribe();
    }
  },
} satisfies Record<string, Step>;
