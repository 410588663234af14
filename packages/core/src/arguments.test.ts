import { describe, expect, it } from 'vitest';
import { Redis } from './client.js';
import { RestashError } from './errors.js';
import type { Requester, RequesterRequest } from './requester.js';

/** A requester that records what would have been sent; nothing must reach it here. */
function recorder() {
  const sent: RequesterRequest[] = [];
  const requester: Requester = {
    async request(request) {
      sent.push(request);
      return request.commands.map(() => ({ result: 'OK' }));
    },
  };
  return { sent, redis: new Redis({ requester }) };
}

/**
 * Wrong shapes, as plain JavaScript (or `as never` TypeScript) can pass them: each
 * would otherwise build a different valid command (or `null` in JSON). Grouped by
 * family; every family of the client is here.
 */
const wrong: Record<string, [method: string, args: unknown[], message?: RegExp][]> = {
  strings: [
    ['get', [undefined], /expected a string or Uint8Array key, got undefined/],
    ['set', ['k', 'v', 'EX', 10], /options: expected an object, got string/],
    ['set', ['k', 'v', { ex: Number.POSITIVE_INFINITY }], /ex must be an integer/],
    ['incrby', ['k', Number.NaN], /increment must be an integer, got number/],
    ['incrbyfloat', ['k', Number.POSITIVE_INFINITY], /increment must be a finite number/],
    ['getrange', ['k', 0], /end must be an integer, got undefined/],
    ['getex', ['k', 'PERSIST'], /options: expected an object/],
    ['lcs', ['a', 'b', ['LEN']], /options: expected an object, got an array/],
    ['mget', [{ a: 1 }], /expected a string or Uint8Array key, got an object/],
    ['mset', [['k', 'v']], /expected an object of field → value/],
    ['setex', ['k', 'v', 10], /seconds must be an integer, got string/],
    ['psetex', ['k', 100], /undefined cannot be sent/],
  ],
  bitmaps: [
    ['setbit', ['k', 1, 2], /bit must be 0 or 1/],
    ['bitpos', ['k', '1'], /bit must be 0 or 1/],
    ['bitcount', ['k', 0, 1, 'bits'], /mode must be one of BYTE, BIT/],
    ['bitop', ['nand', 'd', 'a'], /operation must be one of AND, OR, XOR, NOT/],
    ['bitop', ['and', 'd'], /sources: pass at least one/],
    ['bitfield', ['k', { get: ['u8', 0] }], /operations: expected an array/],
    ['bitfield', ['k', ['GET', 'u8', 0]], /operation: expected an object, got string/],
    ['bitfieldRo', ['k', [['u8', Number.NaN]]], /argument 4 is NaN/],
  ],
  hashes: [
    ['hset', ['h', 'f', 'v'], /expected an object of field → value/],
    ['hget', ['h'], /expected a string or Uint8Array key, got undefined/],
    ['hdel', ['h'], /fields: pass at least one/],
    ['hincrby', ['h', 'f', '1'], /increment must be an integer, got string/],
    ['hexpire', ['h', 'f', 10, 'nx!'], /condition must be one of NX, XX, GT, LT/],
    ['hexpire', ['h', 5, 10], /fields: expected an array of keys, got 5/],
    ['hgetex', ['h', 'f'], /options: expected an object/],
    ['hsetex', ['h', { conditional: 'NX' }, { f: 1 }], /conditional must be one of FNX, FXX/],
    ['hscan', ['h', undefined], /cursor must be a string, got undefined/],
    ['hrandfield', ['h', '2'], /count must be an integer/],
  ],
  lists: [
    ['lpush', ['l'], /elements: pass at least one/],
    ['lpush', ['l', undefined], /undefined cannot be sent/],
    ['lrange', ['l', 0, '-1'], /stop must be an integer, got string/],
    ['lpop', ['l', Number.NaN], /count must be an integer/],
    ['lmove', ['a', 'b', 'up', 'left'], /side must be one of LEFT, RIGHT/],
    ['linsert', ['l', 'beside', 'p', 'v'], /direction must be one of BEFORE, AFTER/],
    ['lmpop', [2, ['a', 'b'], 'left'], /keys: expected an array of keys, got 2/],
    ['lpos', ['l', 'x', 2], /options: expected an object/],
    ['lrem', ['l', 'x', 0], /count must be an integer/],
  ],
  sets: [
    ['sadd', ['s'], /members: pass at least one/],
    ['smismember', ['s', 'a'], /members: expected an array, got string/],
    ['sintercard', [2, ['a', 'b']], /keys: expected an array of keys, got 2/],
    ['sintercard', [['a', 'b'], 5], /options: expected an object/],
    ['sscan', ['s', 0, 'MATCH'], /options: expected an object/],
    ['spop', ['s', 1.5], /count must be an integer/],
    ['sdiffstore', ['d'], /keys: pass at least one/],
  ],
  'sorted sets': [
    // The @upstash/redis form with the wrong count: would send ZUNIONSTORE dest 1 1 and empty dest.
    ['zunionstore', ['dest', 1, ['a', 'b']], /numKeys is 1 but 2 keys were given/],
    ['zunionstore', ['dest', ['a'], ['b']], /options: expected an object, got an array/],
    ['zunionstore', ['dest', 'a', { weights: [1] }, {}], /expected \(keys, options\), got 3 arguments/],
    ['zinterstore', ['dest', 2, 'a'], /numKeys is 2 but 1 key was given/],
    ['zinterstore', ['dest', ['a'], { weights: [Number.NaN] }], /weight must be a number/],
    ['zunion', [['a', 'b'], { weights: [1] }], /weights: give one per key/],
    ['zinter', [['a'], { aggregate: 'avg' }], /aggregate must be one of SUM, MIN, MAX/],
    ['zdiffstore', ['dest', 3, 'a', 'b'], /numKeys is 3 but 2 keys were given/],
    ['zadd', ['z', 1, 'a'], /options: expected an object, got 1$/],
    ['zadd', ['z', { score: 1 }], /members must be \{ score, member \} objects/],
    ['zadd', ['z', { score: Number.NaN, member: 'a' }], /score must be a number/],
    [
      'zadd',
      ['z', { incr: true }, { score: 1, member: 'a' }, { score: 2, member: 'b' }],
      /incr takes exactly/,
    ],
    ['zrange', ['z', 0, -1, 'WITHSCORES'], /options: expected an object/],
    ['zrange', ['z', 0, undefined], /stop must be a number or a range string/],
    ['zincrby', ['z', Number.POSITIVE_INFINITY, 'a'], /increment must be a finite number/],
    ['zmscore', ['z', 'a'], /members: expected an array, got string/],
    ['zmpop', [['a'], 'lowest'], /which must be one of MIN, MAX/],
    ['zlexcount', ['z', '-'], /max must be a string, got undefined/],
    ['zrangestore', ['d', 'z', 0, 1, { offset: 1 }], /offset and count go together/],
  ],
  geo: [
    ['geoadd', ['g', 13.4, 52.5, 'berlin'], /options: expected an object, got 13.4/],
    ['geoadd', ['g', { longitude: 'x', latitude: 1, member: 'm' }], /longitude must be a number/],
    ['geodist', ['g', 'a', 'b', 'miles'], /unit must be one of M, KM, MI, FT/],
    ['geosearch', ['g', 'FROMMEMBER', { radius: 1, unit: 'km' }], /from: expected an object/],
    ['geosearch', ['g', { member: 'a' }, { radius: 1, unit: 'yards' }], /unit must be one of/],
    ['geosearch', ['g', { member: 'a' }, { radius: 1, unit: 'km' }, { order: 'up' }], /order must be one of/],
    ['geosearch', ['g', { member: 'a' }, { radius: 1, unit: 'km' }, { any: true }], /any needs count/],
    ['geosearchstore', ['d', 'g', { member: 'a' }, 'BYRADIUS'], /by: expected an object/],
    ['geopos', ['g'], /members: pass at least one/],
  ],
  hyperloglog: [
    ['pfadd', ['h'], /elements: pass at least one/],
    ['pfcount', [undefined], /expected a string or Uint8Array key/],
    ['pfmerge', ['d'], /sources: pass at least one/],
  ],
  streams: [
    ['xadd', ['x', '*', 'field', 'value'], /options: expected an object, got string/],
    ['xadd', ['x', undefined, { a: 1 }], /id must be a string, got undefined/],
    [
      'xadd',
      ['x', '*', { a: 1 }, { trim: { type: 'count', threshold: 1 } }],
      /trim type must be one of MAXLEN/,
    ],
    ['xadd', ['x', '*', { a: 1 }, { trim: { type: 'MAXLEN', threshold: Number.NaN } }], /threshold must be/],
    ['xack', ['x', 'g'], /ids: pass at least one/],
    ['xclaim', ['x', 'g', 'c', 0, '0-1'], /ids: expected an array, got string/],
    ['xread', [['a', 'b'], ['0']], /give one ID per stream key/],
    ['xread', ['a', '0', 10], /options: expected an object/],
    ['xgroup', ['x', 'CREATE'], /options: expected an object/],
    ['xinfo', ['x', { type: 'STREAMS' }], /type must be STREAM, GROUPS or CONSUMERS/],
    ['xpending', ['x', 'g', { start: '-', end: '+' }], /count must be an integer/],
    ['xrange', ['x', '-', '+', '10'], /count must be an integer/],
    ['xtrim', ['x', 'MAXLEN'], /trim: expected an object/],
  ],
  scripting: [
    ['eval', ['return 1', 'key'], /keys: expected an array, got string/],
    ['eval', ['return 1', [], 'arg'], /args: expected an array, got string/],
    ['evalsha', [undefined, []], /script must be a string, got undefined/],
    ['fcall', ['fn', ['k'], [undefined]], /undefined cannot be sent/],
    ['functionLoad', ['#!lua name=x', true], /options: expected an object/],
    ['functionFlush', ['later'], /mode must be one of ASYNC, SYNC/],
    ['scriptFlush', ['now'], /mode must be one of ASYNC, SYNC/],
    ['scriptExists', [], /sha1s: pass at least one/],
    ['functionRestore', ['bytes'], /expected the Uint8Array from functionDump/],
  ],
  keys: [
    ['del', [], /keys: pass at least one/],
    ['del', [{ key: 'a' }], /expected a string or Uint8Array key, got an object/],
    ['expire', ['k', '10'], /seconds must be an integer, got string/],
    ['expire', ['k', 10, 'if-not-set'], /condition must be one of NX, XX, GT, LT/],
    ['pexpire', ['k', 1.5], /milliseconds must be an integer/],
    ['scan', [{ match: '*' }], /cursor must be a string, got an object/],
    ['scan', [0, 'MATCH', '*'], /options: expected an object/],
    ['keys', [undefined], /pattern must be a string/],
    ['copy', ['a', 'b', 'REPLACE'], /options: expected an object/],
    ['sort', ['k', { order: 'up' }], /order must be one of ASC, DESC/],
    ['sort', ['k', { get: '#' }], /get: expected an array/],
    ['restore', ['k', 0, 'not bytes'], /expected the Uint8Array from dump/],
    ['move', ['k', '1'], /db must be an integer/],
  ],
  server: [
    ['flushdb', ['ASYNC'], /options: expected an object/],
    ['flushall', [true], /options: expected an object/],
    ['echo', [undefined], /argument 1 is undefined/],
    ['publish', ['chan'], /undefined cannot be sent/],
    ['configSet', ['maxmemory', '10mb'], /expected an object of field → value/],
    ['configGet', [], /patterns: pass at least one/],
    ['memoryUsage', ['k', 5], /options: expected an object/],
    ['slowlogGet', ['10'], /count must be an integer/],
    ['swapdb', [0], /index2 must be an integer/],
    ['aclLog', ['RESET'], /options: expected an object/],
    ['commandList', ['pattern'], /filter: expected an object/],
    ['info', [null], /argument 1 is null/],
  ],
};

describe('argument checks: a wrong shape is an invalid-argument error and nothing is sent', () => {
  for (const [family, cases] of Object.entries(wrong)) {
    it(`refuses wrong shapes for ${family} commands`, async () => {
      for (const [method, args, message] of cases) {
        const { sent, redis } = recorder();
        const call = (redis as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!;
        const error = await call.apply(redis, args).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, `${method}(${args.map(String).join(', ')})`).toBeInstanceOf(RestashError);
        expect((error as RestashError).code, method).toBe('invalid-argument');
        if (message) expect((error as RestashError).message, method).toMatch(message);
        await new Promise((resolve) => setTimeout(resolve, 0));
        expect(sent, `${method} sent a request`).toEqual([]);
      }
    });
  }

  it('throws synchronously from a pipeline builder, so the pipeline never holds a wrong command', () => {
    const { redis } = recorder();
    const p = redis.pipeline();
    expect(() => (p.zunionstore as (...a: unknown[]) => unknown)('d', 1, ['a', 'b'])).toThrow(
      /numKeys is 1 but 2 keys were given/,
    );
    expect(p.length).toBe(0);
  });

  it('accepts the @upstash/redis numKeys forms when the count matches', async () => {
    const { sent, redis } = recorder();
    await redis.zunionstore('d', 2, ['a', 'b'], { weights: [1, 2] });
    await redis.zinterstore('d', 1, 'a', { aggregate: 'max' });
    await redis.zdiffstore('d', 2, 'a', 'b');
    await redis.zunionstore('d', ['a'], { weight: 3 });
    expect(sent.map((r) => r.commands[0]!.args)).toEqual([
      ['ZUNIONSTORE', 'd', 2, 'a', 'b', 'WEIGHTS', 1, 2],
      ['ZINTERSTORE', 'd', 1, 'a', 'AGGREGATE', 'MAX'],
      ['ZDIFFSTORE', 'd', 2, 'a', 'b'],
      ['ZUNIONSTORE', 'd', 1, 'a', 'WEIGHTS', 3],
    ]);
  });

  it('covers every command family of the client', () => {
    expect(Object.keys(wrong).sort()).toEqual(
      [
        'bitmaps',
        'geo',
        'hashes',
        'hyperloglog',
        'keys',
        'lists',
        'scripting',
        'server',
        'sets',
        'sorted sets',
        'streams',
        'strings',
      ].sort(),
    );
  });
});
