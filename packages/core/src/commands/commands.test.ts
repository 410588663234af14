import { describe, expect, it } from 'vitest';
import type { CommandSpec } from '../command.js';
import { RestashError } from '../errors.js';
import { deserializeValue, rawValue } from '../values.js';
import { commandTable } from './index.js';

const t = commandTable as unknown as Record<string, (...args: unknown[]) => CommandSpec>;
const args = (name: string, ...rest: unknown[]) => t[name]!(...rest).args;
const parse = (name: string, input: unknown[], reply: unknown, raw = false) => {
  const spec = t[name]!(...input);
  return spec.parse ? spec.parse(reply as never, raw ? rawValue : deserializeValue) : reply;
};
const fails = (name: string, ...rest: unknown[]) => {
  try {
    t[name]!(...rest);
  } catch (error) {
    expect(error).toBeInstanceOf(RestashError);
    expect((error as RestashError).code).toBe('invalid-argument');
    return (error as RestashError).message;
  }
  throw new Error(`${name} accepted ${JSON.stringify(rest)}`);
};

describe('string commands', () => {
  it('serialize SET options in Redis order and values as JSON when they are not scalars', () => {
    expect(args('set', 'k', { a: 1 })).toEqual(['SET', 'k', '{"a":1}']);
    expect(args('set', 'k', 'v', { nx: true, get: true, px: 1500 })).toEqual([
      'SET',
      'k',
      'v',
      'NX',
      'GET',
      'PX',
      1500,
    ]);
    expect(args('set', 'k', 1, { keepTtl: true, xx: true })).toEqual(['SET', 'k', 1, 'XX', 'KEEPTTL']);
    expect(args('set', 'k', true)).toEqual(['SET', 'k', true]);
    expect(args('set', 'k', 10n)).toEqual(['SET', 'k', '10']);
  });

  it('refuse conflicting or malformed options before sending anything', () => {
    expect(fails('set', 'k', 'v', { ex: 1, px: 2 })).toBe(
      '[restash/core] pass only one of ex, px, exat, pxat, keepTtl, persist (got ex and px)',
    );
    expect(fails('set', 'k', 'v', { nx: true, xx: true })).toMatch(/only one of nx, xx/);
    expect(fails('set', 'k', 'v', { ex: 1.5 })).toMatch(/ex must be an integer/);
    expect(fails('set', 'k', undefined)).toMatch(/undefined cannot be sent/);
    expect(fails('set', { not: 'a key' }, 'v')).toMatch(/expected a string or Uint8Array key, got an object/);
    expect(fails('incrby', 'k', '5')).toMatch(/increment must be an integer, got string/);
    expect(fails('mget')).toMatch(/keys: pass at least one/);
    expect(fails('mset', {})).toMatch(/at least one field/);
    expect(fails('set', 'k', Number.NaN)).toMatch(/NaN/);
  });

  it('deserialize values automatically, and not in raw mode', () => {
    expect(parse('get', ['k'], '{"a":1}')).toEqual({ a: 1 });
    expect(parse('get', ['k'], '{"a":1}', true)).toBe('{"a":1}');
    expect(parse('mget', [['a', 'b']], ['1', null])).toEqual([1, null]);
    expect(args('mget', 'a', ['b', 'c'])).toEqual(['MGET', 'a', 'b', 'c']);
    expect(parse('incrbyfloat', ['k', 1.5], '3.5')).toBe(3.5);
    expect(parse('set', ['k', 'v', { get: true }], '[1]')).toEqual([1]);
    expect(t.getBytes!('k').bytes).toBe(true);
  });

  it('build GETEX, GETRANGE, LCS and BITFIELD', () => {
    expect(args('getex', 'k', { persist: true })).toEqual(['GETEX', 'k', 'PERSIST']);
    expect(args('getex', 'k', { exat: 100 })).toEqual(['GETEX', 'k', 'EXAT', 100]);
    expect(args('lcs', 'a', 'b', { len: true })).toEqual(['LCS', 'a', 'b', 'LEN']);
    expect(
      args('bitfield', 'k', [
        { set: ['u8', 0, 200] },
        { overflow: 'SAT' },
        { incrby: ['u8', '#1', 5] },
        { get: ['i4', 0] },
      ]),
    ).toEqual([
      'BITFIELD',
      'k',
      'SET',
      'u8',
      0,
      200,
      'OVERFLOW',
      'SAT',
      'INCRBY',
      'u8',
      '#1',
      5,
      'GET',
      'i4',
      0,
    ]);
    expect(args('bitcount', 'k', 0, -1, 'BIT')).toEqual(['BITCOUNT', 'k', 0, -1, 'BIT']);
    expect(fails('bitcount', 'k', undefined, 5)).toMatch(/end and mode need start/);
  });
});

describe('hash commands', () => {
  it('turn HGETALL into an object and HMGET into fields by name', () => {
    expect(parse('hgetall', ['h'], ['a', '1', 'b', 'x'])).toEqual({ a: 1, b: 'x' });
    expect(parse('hgetall', ['h'], [])).toBeNull();
    expect(parse('hmget', ['h', 'a', 'b'], ['1', null])).toEqual({ a: 1, b: null });
    expect(parse('hmget', ['h', 'a'], [null])).toBeNull();
    expect(parse('hmget', ['h', new TextEncoder().encode('fé')], ['1'])).toEqual({ fé: 1 });
    expect(parse('hscan', ['h', 0], ['7', ['f', '{"x":1}']])).toEqual(['7', ['f', { x: 1 }]]);
  });

  it('build the field-expiry commands with FIELDS and a count', () => {
    expect(args('hexpire', 'h', ['a', 'b'], 10, 'NX')).toEqual([
      'HEXPIRE',
      'h',
      10,
      'NX',
      'FIELDS',
      2,
      'a',
      'b',
    ]);
    expect(args('httl', 'h', 'a')).toEqual(['HTTL', 'h', 'FIELDS', 1, 'a']);
    expect(args('hgetex', 'h', { px: 5 }, 'a')).toEqual(['HGETEX', 'h', 'PX', 5, 'FIELDS', 1, 'a']);
    expect(args('hsetex', 'h', { conditional: 'FNX', expiration: { ex: 9 } }, { a: 1, b: 'x' })).toEqual([
      'HSETEX',
      'h',
      'FNX',
      'EX',
      9,
      'FIELDS',
      2,
      'a',
      1,
      'b',
      'x',
    ]);
    expect(args('hset', 'h', { a: { n: 1 } })).toEqual(['HSET', 'h', 'a', '{"n":1}']);
    expect(fails('hset', 'h', [])).toMatch(/expected an object/);
  });
});

describe('list and set commands', () => {
  it('pop one element as a value or several as a list', () => {
    expect(parse('lpop', ['l'], '1')).toBe(1);
    expect(args('lpop', 'l', 2)).toEqual(['LPOP', 'l', 2]);
    expect(parse('lpop', ['l', 2], ['1', 'a'])).toEqual([1, 'a']);
    expect(args('lmpop', ['a', 'b'], 'left', 3)).toEqual(['LMPOP', 2, 'a', 'b', 'LEFT', 'COUNT', 3]);
    expect(parse('lmpop', [['a'], 'left'], ['a', ['1']])).toEqual(['a', [1]]);
    expect(fails('lmove', 'a', 'b', 'up', 'left')).toMatch(/side must be one of LEFT, RIGHT, got up/);
    expect(fails('lpush', 'l')).toMatch(/elements: pass at least one/);
    expect(args('lpos', 'l', 'x', { rank: -1, count: 0, maxLen: 10 })).toEqual([
      'LPOS',
      'l',
      'x',
      'RANK',
      -1,
      'COUNT',
      0,
      'MAXLEN',
      10,
    ]);
    expect(args('sintercard', ['a', 'b'], { limit: 5 })).toEqual(['SINTERCARD', 2, 'a', 'b', 'LIMIT', 5]);
    expect(parse('sscan', ['s', '0'], ['0', ['1', 'x']])).toEqual(['0', [1, 'x']]);
  });
});

describe('sorted set commands', () => {
  it('build ZADD with options and members', () => {
    expect(args('zadd', 'z', { score: 1, member: 'a' }, { score: 2, member: 'b' })).toEqual([
      'ZADD',
      'z',
      1,
      'a',
      2,
      'b',
    ]);
    expect(
      args('zadd', 'z', { nx: true, ch: true }, { score: Number.POSITIVE_INFINITY, member: 'a' }),
    ).toEqual(['ZADD', 'z', 'NX', 'CH', '+inf', 'a']);
    expect(args('zadd', 'z', { xx: true, gt: true, incr: true }, { score: 2, member: 'a' })).toEqual([
      'ZADD',
      'z',
      'XX',
      'GT',
      'INCR',
      2,
      'a',
    ]);
    expect(parse('zadd', ['z', { incr: true }, { score: 2, member: 'a' }], '4.5')).toBe(4.5);
    expect(fails('zadd', 'z', { incr: true }, { score: 1, member: 'a' }, { score: 2, member: 'b' })).toMatch(
      /exactly one/,
    );
    expect(fails('zadd', 'z', { nx: true })).toMatch(/members: pass at least one/);
  });

  it('build ZRANGE by score, lex, reversed and paged, and pair members with scores', () => {
    expect(
      args('zrange', 'z', '(1', '+inf', { byScore: true, rev: true, offset: 0, count: 2, withScores: true }),
    ).toEqual(['ZRANGE', 'z', '(1', '+inf', 'BYSCORE', 'REV', 'LIMIT', 0, 2, 'WITHSCORES']);
    expect(args('zrange', 'z', '[a', '+', { byLex: true })).toEqual(['ZRANGE', 'z', '[a', '+', 'BYLEX']);
    expect(parse('zrange', ['z', 0, -1, { withScores: true }], ['a', '1', 'b', 'inf'])).toEqual([
      { member: 'a', score: 1 },
      { member: 'b', score: Number.POSITIVE_INFINITY },
    ]);
    expect(fails('zrange', 'z', 0, 1, { byScore: true, byLex: true })).toMatch(/only one of byScore, byLex/);
    expect(fails('zrange', 'z', 0, 1, { offset: 1 })).toMatch(/offset and count go together/);
    expect(args('zunionstore', 'd', ['a', 'b'], { weights: [1, 2], aggregate: 'max' })).toEqual([
      'ZUNIONSTORE',
      'd',
      2,
      'a',
      'b',
      'WEIGHTS',
      1,
      2,
      'AGGREGATE',
      'MAX',
    ]);
    expect(fails('zinter', ['a', 'b'], { weights: [1] })).toMatch(/one per key/);
    expect(parse('zscore', ['z', 'a'], null)).toBeNull();
    expect(parse('zmscore', ['z', ['a', 'b']], ['1.5', null])).toEqual([1.5, null]);
  });
});

describe('geo commands', () => {
  it('build GEOSEARCH and read its optional fields in Redis order', () => {
    expect(
      args(
        'geosearch',
        'g',
        { longitude: 1, latitude: 2 },
        { radius: 5, unit: 'km' },
        { order: 'asc', count: 3, any: true, withDist: true, withCoord: true },
      ),
    ).toEqual([
      'GEOSEARCH',
      'g',
      'FROMLONLAT',
      1,
      2,
      'BYRADIUS',
      5,
      'KM',
      'ASC',
      'COUNT',
      3,
      'ANY',
      'WITHCOORD',
      'WITHDIST',
    ]);
    expect(
      parse(
        'geosearch',
        [
          'g',
          { member: 'a' },
          { width: 1, height: 2, unit: 'm' },
          { withDist: true, withHash: true, withCoord: true },
        ],
        [['a', '0.5', 123, ['1.5', '2.5']]],
      ),
    ).toEqual([{ member: 'a', dist: 0.5, hash: 123, coord: { longitude: 1.5, latitude: 2.5 } }]);
    expect(parse('geopos', ['g', 'a', 'b'], [['1', '2'], null])).toEqual([
      { longitude: 1, latitude: 2 },
      null,
    ]);
    expect(fails('geosearch', 'g', { member: 'a' }, { radius: 1, unit: 'm' }, { any: true })).toMatch(
      /any needs count/,
    );
  });
});

describe('stream commands', () => {
  it('build XADD with trimming and parse entries', () => {
    expect(
      args(
        'xadd',
        's',
        '*',
        { a: 1 },
        { nomkStream: true, trim: { type: 'MAXLEN', comparison: '~', threshold: 100, limit: 10 } },
      ),
    ).toEqual(['XADD', 's', 'NOMKSTREAM', 'MAXLEN', '~', 100, 'LIMIT', 10, '*', 'a', 1]);
    expect(fails('xtrim', 's', { type: 'MAXLEN', threshold: 1, limit: 5 })).toMatch(/needs comparison '~'/);
    expect(parse('xrange', ['s'], [['1-0', ['a', '1', 'b', 'x']]])).toEqual([
      { id: '1-0', fields: { a: 1, b: 'x' } },
    ]);
    expect(
      parse(
        'xread',
        [
          ['a', 'b'],
          ['0', '0'],
        ],
        [['a', [['1-0', ['f', 'v']]]]],
      ),
    ).toEqual([{ stream: 'a', entries: [{ id: '1-0', fields: { f: 'v' } }] }]);
    expect(fails('xread', ['a', 'b'], '0')).toMatch(/one ID per stream key/);
    expect(parse('xpending', ['s', 'g'], [2, '1-0', '2-0', [['c', '2']]])).toEqual({
      count: 2,
      minId: '1-0',
      maxId: '2-0',
      consumers: [{ name: 'c', count: 2 }],
    });
    expect(fails('xgroup', 's', { type: 'NOPE' })).toMatch(/type must be CREATE/);
  });
});

describe('scripting, key and server commands', () => {
  it('count keys for EVAL and deserialize script results deeply', () => {
    expect(args('eval', 'return 1', ['a', 'b'], [1, { x: 1 }])).toEqual([
      'EVAL',
      'return 1',
      2,
      'a',
      'b',
      1,
      '{"x":1}',
    ]);
    expect(args('fcall', 'f')).toEqual(['FCALL', 'f', 0]);
    expect(parse('eval', ['s'], ['1', ['{"a":2}', 'x']])).toEqual([1, [{ a: 2 }, 'x']]);
  });

  it('build SORT, RESTORE and SCAN, and keep key names as strings', () => {
    expect(
      args('sort', 'l', { by: 'w_*', offset: 0, count: 5, get: ['#', 'o_*'], order: 'desc', alpha: true }),
    ).toEqual(['SORT', 'l', 'BY', 'w_*', 'LIMIT', 0, 5, 'GET', '#', 'GET', 'o_*', 'DESC', 'ALPHA']);
    const bytes = new Uint8Array([1, 2]);
    expect(args('restore', 'k', 0, bytes, { replace: true, idleTime: 5 })).toEqual([
      'RESTORE',
      'k',
      0,
      bytes,
      'REPLACE',
      'IDLETIME',
      5,
    ]);
    expect(fails('restore', 'k', 0, 'not bytes')).toMatch(/expected the Uint8Array/);
    expect(args('scan', 0, { match: 'a*', count: 10, type: 'hash' })).toEqual([
      'SCAN',
      '0',
      'MATCH',
      'a*',
      'COUNT',
      10,
      'TYPE',
      'hash',
    ]);
    expect(parse('scan', [0], ['5', ['123', 'true']])).toEqual(['5', ['123', 'true']]);
    expect(parse('keys', ['*'], ['123'])).toEqual(['123']);
    expect(parse('time', [], ['1700000000', '42'])).toEqual([1700000000, 42]);
    expect(parse('pubsubNumsub', ['a', 'b'], ['a', 1, 'b', 0])).toEqual({ a: 1, b: 0 });
    expect(args('expire', 'k', 10, 'GT')).toEqual(['EXPIRE', 'k', 10, 'GT']);
  });

  it('build the server commands and shape their replies', () => {
    expect(args('configSet', { maxmemory: '10mb', hz: 20 })).toEqual([
      'CONFIG',
      'SET',
      'maxmemory',
      '10mb',
      'hz',
      20,
    ]);
    expect(parse('configGet', ['maxmemory', 'hz'], ['maxmemory', '0', 'hz', '10'])).toEqual({
      maxmemory: '0',
      hz: '10',
    });
    expect(args('commandList', { pattern: 'x*' })).toEqual(['COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'x*']);
    expect(args('commandList', { aclCategory: 'string' })).toEqual([
      'COMMAND',
      'LIST',
      'FILTERBY',
      'ACLCAT',
      'string',
    ]);
    expect(fails('commandList', { nope: 1 })).toMatch(/filter: pass/);
    expect(args('commandGetkeys', ['SET', 'k', 'v'])).toEqual(['COMMAND', 'GETKEYS', 'SET', 'k', 'v']);
    expect(
      parse('slowlogGet', [2], [[7, '1700000000', 1500, ['SET', 'k', 'v'], '127.0.0.1:5000', '']]),
    ).toEqual([
      {
        id: 7,
        timestamp: 1700000000,
        durationMicros: 1500,
        args: ['SET', 'k', 'v'],
        client: '127.0.0.1:5000',
        clientName: '',
      },
    ]);
    expect(args('slowlogGet', 2)).toEqual(['SLOWLOG', 'GET', 2]);
    expect(args('aclLog', { reset: true })).toEqual(['ACL', 'LOG', 'RESET']);
    expect(args('aclLog', { count: 3 })).toEqual(['ACL', 'LOG', 3]);
    expect(parse('aclGetuser', ['nobody'], null)).toBeNull();
    expect(parse('aclGetuser', ['u'], ['flags', ['on'], 'passwords', []])).toEqual({
      flags: ['on'],
      passwords: [],
    });
    expect(args('aclRestToken', 'u', 'p')).toEqual(['ACL', 'RESTTOKEN', 'u', 'p']);
    expect(args('lolwut', { version: 5 })).toEqual(['LOLWUT', 'VERSION', 5]);
    expect(args('bgsave', { schedule: true })).toEqual(['BGSAVE', 'SCHEDULE']);
    expect(args('spublish', 's', { a: 1 })).toEqual(['SPUBLISH', 's', '{"a":1}']);
    expect(parse('pubsubShardnumsub', ['a'], ['a', 2])).toEqual({ a: 2 });
    expect(args('move', 'k', 1)).toEqual(['MOVE', 'k', 1]);
    expect(args('swapdb', 0, 1)).toEqual(['SWAPDB', 0, 1]);
    expect(args('scriptKill')).toEqual(['SCRIPT', 'KILL']);
    expect(args('functionKill')).toEqual(['FUNCTION', 'KILL']);
    expect(args('xinfo', 's', { type: 'STREAM', full: { count: 5 } })).toEqual([
      'XINFO',
      'STREAM',
      's',
      'FULL',
      'COUNT',
      5,
    ]);
  });

  it('build LCS with IDX and read the matches', () => {
    expect(args('lcs', 'a', 'b', { idx: true, minMatchLen: 2, withMatchLen: true })).toEqual([
      'LCS',
      'a',
      'b',
      'IDX',
      'MINMATCHLEN',
      2,
      'WITHMATCHLEN',
    ]);
    expect(
      parse(
        'lcs',
        ['a', 'b', { idx: true, withMatchLen: true }],
        [
          'matches',
          [
            [[4, 7], [5, 8], 4],
            [[2, 3], [0, 1], 2],
          ],
          'len',
          6,
        ],
      ),
    ).toEqual({
      matches: [
        { a: [4, 7], b: [5, 8], len: 4 },
        { a: [2, 3], b: [0, 1], len: 2 },
      ],
      len: 6,
    });
    expect(fails('lcs', 'a', 'b', { idx: true, len: true })).toMatch(/only one of len, idx/);
  });
});
