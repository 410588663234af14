import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Redis } from './client.js';
import type { ScoreMember } from './commands/sorted-sets.js';
import type { PendingEntry, PendingSummary } from './commands/streams.js';
import type { LcsIndex } from './commands/strings.js';
import type { PipelineEntry } from './pipeline.js';

/**
 * Type tests: checked by `tsc -p tsconfig.json` (the package's typecheck), never
 * run. Each command whose result shape depends on its arguments gets the type
 * of the shape it returns.
 */
function resultTypes(redis: Redis, raw: Redis<string>) {
  // SET: `OK`, `OK | null` with nx/xx, the previous value with get.
  expectTypeOf(redis.set('k', 'v')).toEqualTypeOf<Promise<'OK'>>();
  expectTypeOf(redis.set('k', 'v', { ex: 10 })).toEqualTypeOf<Promise<'OK'>>();
  expectTypeOf(redis.set('k', 'v', { nx: true })).toEqualTypeOf<Promise<'OK' | null>>();
  expectTypeOf(redis.set('k', 'v', { xx: true, px: 5 })).toEqualTypeOf<Promise<'OK' | null>>();
  expectTypeOf(redis.set<number>('k', 1, { get: true })).toEqualTypeOf<Promise<number | null>>();
  expectTypeOf(raw.set('k', 'v', { get: true, nx: true })).toEqualTypeOf<Promise<string | null>>();
  const options: { ex?: number; get?: boolean } = {};
  expectTypeOf(redis.set('k', 'v', options)).toEqualTypeOf<Promise<unknown>>();
  expectTypeOf(raw.set('k', 'v', options)).toEqualTypeOf<Promise<string | null>>();

  // Pops and random members: one value, or an array with a count.
  expectTypeOf(redis.lpop<string>('l')).toEqualTypeOf<Promise<string | null>>();
  expectTypeOf(redis.lpop<string>('l', 2)).toEqualTypeOf<Promise<string[] | null>>();
  expectTypeOf(redis.lpop<string[]>('l', 2)).toEqualTypeOf<Promise<string[] | null>>();
  expectTypeOf(raw.rpop('l')).toEqualTypeOf<Promise<string | null>>();
  expectTypeOf(raw.rpop('l', 3)).toEqualTypeOf<Promise<string[] | null>>();
  expectTypeOf(raw.spop('s')).toEqualTypeOf<Promise<string | null>>();
  expectTypeOf(raw.spop('s', 2)).toEqualTypeOf<Promise<string[]>>();
  expectTypeOf(redis.srandmember<number>('s')).toEqualTypeOf<Promise<number | null>>();
  expectTypeOf(redis.srandmember<number>('s', -5)).toEqualTypeOf<Promise<number[]>>();
  expectTypeOf(raw.zrandmember('z')).toEqualTypeOf<Promise<string | null>>();
  expectTypeOf(raw.zrandmember('z', 2)).toEqualTypeOf<Promise<string[]>>();
  expectTypeOf(raw.zrandmember('z', 2, true)).toEqualTypeOf<Promise<ScoreMember<string>[]>>();
  expectTypeOf(raw.hrandfield('h')).toEqualTypeOf<Promise<string | null>>();
  expectTypeOf(raw.hrandfield('h', 2)).toEqualTypeOf<Promise<string[]>>();
  expectTypeOf(raw.hrandfield('h', 2, true)).toEqualTypeOf<Promise<Record<string, string>>>();

  // Options that change the shape.
  expectTypeOf(redis.lpos('l', 'x')).toEqualTypeOf<Promise<number | null>>();
  expectTypeOf(redis.lpos('l', 'x', { rank: 2 })).toEqualTypeOf<Promise<number | null>>();
  expectTypeOf(redis.lpos('l', 'x', { count: 0 })).toEqualTypeOf<Promise<number[]>>();
  expectTypeOf(redis.zadd('z', { score: 1, member: 'a' })).toEqualTypeOf<Promise<number>>();
  expectTypeOf(redis.zadd('z', { nx: true }, { score: 1, member: 'a' })).toEqualTypeOf<Promise<number>>();
  expectTypeOf(redis.zadd('z', { incr: true }, { score: 1, member: 'a' })).toEqualTypeOf<
    Promise<number | null>
  >();
  expectTypeOf(raw.zrange('z', 0, -1)).toEqualTypeOf<Promise<string[]>>();
  expectTypeOf(raw.zrange('z', 0, -1, { withScores: true })).toEqualTypeOf<Promise<ScoreMember<string>[]>>();
  expectTypeOf(raw.zunion(['a', 'b'], { withScores: true })).toEqualTypeOf<Promise<ScoreMember<string>[]>>();
  expectTypeOf(raw.zinter(2, ['a', 'b'])).toEqualTypeOf<Promise<string[]>>();
  expectTypeOf(raw.zdiff(['a', 'b'])).toEqualTypeOf<Promise<string[]>>();
  expectTypeOf(redis.lcs('a', 'b')).toEqualTypeOf<Promise<string>>();
  expectTypeOf(redis.lcs('a', 'b', { len: true })).toEqualTypeOf<Promise<number>>();
  expectTypeOf(redis.lcs('a', 'b', { idx: true })).toEqualTypeOf<Promise<LcsIndex>>();
  expectTypeOf(redis.xadd('x', '*', { a: 1 })).toEqualTypeOf<Promise<string>>();
  expectTypeOf(redis.xadd('x', '*', { a: 1 }, { nomkStream: true })).toEqualTypeOf<Promise<string | null>>();
  expectTypeOf(redis.xpending('x', 'g')).toEqualTypeOf<Promise<PendingSummary>>();
  expectTypeOf(redis.xpending('x', 'g', { start: '-', end: '+', count: 10 })).toEqualTypeOf<
    Promise<PendingEntry[]>
  >();
  expectTypeOf(redis.aclLog()).toEqualTypeOf<Promise<Record<string, unknown>[]>>();
  expectTypeOf(redis.aclLog({ reset: true })).toEqualTypeOf<Promise<'OK'>>();
  expectTypeOf(redis.zunionstore('d', 2, ['a', 'b'])).toEqualTypeOf<Promise<number>>();
  expectTypeOf(redis.zdiffstore('d', 2, 'a', 'b')).toEqualTypeOf<Promise<number>>();

  // Type arguments written for @upstash/redis: element types, and <TArgs, TData> of EVAL.
  expectTypeOf(redis.lpush<{ id: number }>('l', { id: 1 }, { id: 2 })).toEqualTypeOf<Promise<number>>();
  expectTypeOf(redis.rpush('l', 'a', { c: 3 }, 4)).toEqualTypeOf<Promise<number>>();
  expectTypeOf(redis.sadd<string>('s', 'a')).toEqualTypeOf<Promise<number>>();
  expectTypeOf(redis.eval<[string], string>('return ARGV[1]', [], ['x'])).toEqualTypeOf<Promise<string>>();
  expectTypeOf(redis.eval<number>('return 1')).toEqualTypeOf<Promise<number>>();
}

function pipelineTypes(redis: Redis) {
  // Chained: inferred. Not chained: named with exec<[…]>(), as with @upstash/redis.
  expectTypeOf(redis.pipeline().set('k', 1).incr('k').get<number>('k').exec()).toEqualTypeOf<
    Promise<['OK', number, number | null]>
  >();
  const p = redis.pipeline();
  p.set('k', { greeting: 'hello' });
  p.get('k');
  expectTypeOf(p.exec<['OK', { greeting: string }]>()).toEqualTypeOf<Promise<['OK', { greeting: string }]>>();
  expectTypeOf(redis.multi().incr('a').exec<[number]>()).toEqualTypeOf<Promise<[number]>>();
  expectTypeOf(redis.multi().incr('a').lpop<string>('l', 2).exec({ keepErrors: true })).toEqualTypeOf<
    Promise<[PipelineEntry<number>, PipelineEntry<string[] | null>]>
  >();
  expectTypeOf(p.exec<[string, number]>({ keepErrors: true })).toEqualTypeOf<
    Promise<[PipelineEntry<string>, PipelineEntry<number>]>
  >();
}

describe('result types', () => {
  it('follow the arguments (checked by tsc, see resultTypes and pipelineTypes)', () => {
    expect(typeof resultTypes).toBe('function');
    expect(typeof pipelineTypes).toBe('function');
  });
});
