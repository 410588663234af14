import {
  type Apply,
  asFloat,
  asFloats,
  asScored,
  asValues,
  bound,
  type CommandTable,
  cmd,
  int,
  type Kind,
  k,
  keyList,
  list as list_,
  type Many,
  nonEmpty,
  num,
  oneOf,
  opts,
  str,
  v,
  word,
} from '../command.js';
import { invalidArgument } from '../errors.js';
import { type Decoder, type Key, toNumber, type WireArg } from '../values.js';
import { type ScanOptions, scanArgs } from './scan.js';

/** A member with its score. */
export interface ScoreMember<T = unknown> {
  score: number;
  member: T;
}

/** Options of ZADD; at most one of `nx`/`xx` and one of `gt`/`lt`. */
export interface ZAddOptions {
  nx?: boolean;
  xx?: boolean;
  gt?: boolean;
  lt?: boolean;
  /** Return the number of changed members, not only added ones. */
  ch?: boolean;
  /** Increment the score of the one member given; returns the new score. */
  incr?: boolean;
}

/** A bound of ZRANGE: a rank, a score (number, `'(1'`, `'-inf'`) or a lex bound (`'[a'`, `'-'`, `'+'`). */
export type RangeBound = number | string;

/** Options of ZRANGE and ZRANGESTORE. */
export interface ZRangeOptions {
  /** `start`/`stop` are scores. */
  byScore?: boolean;
  /** `start`/`stop` are lexicographic bounds. */
  byLex?: boolean;
  /** Highest first. */
  rev?: boolean;
  /** With `byScore`/`byLex`: skip `offset` results, return at most `count`. */
  offset?: number;
  count?: number;
  /** Return `{ member, score }` objects. */
  withScores?: boolean;
}

/** Options of ZINTER, ZUNION and their STORE forms. */
export interface ZCombineOptions {
  /** One weight per key. */
  weights?: number[];
  /** The weight of the one key (the `@upstash/redis` spelling of `weights: [n]`). */
  weight?: number;
  aggregate?: 'sum' | 'min' | 'max' | 'SUM' | 'MIN' | 'MAX';
}

type Scored<O, T> = O extends { withScores: true } ? ScoreMember<T>[] : T[];

/** Sorted set commands. Members are deserialized unless in raw mode; scores are numbers. */
export interface SortedSetCommands<K extends Kind, V> {
  /**
   * Adds members with scores: `zadd(key, { score, member }, …)` or
   * `zadd(key, { nx: true }, { score, member }, …)`. Returns the number added
   * (changed with `ch`), or the new score with `incr` (`null` if not applied).
   * @see https://redis.io/commands/zadd
   */
  zadd<T = V>(key: Key, first: ScoreMember<T>, ...members: ScoreMember<T>[]): Apply<K, number>;
  zadd<T = V>(
    key: Key,
    options: ZAddOptions & { incr?: false },
    first: ScoreMember<T>,
    ...members: ScoreMember<T>[]
  ): Apply<K, number>;
  zadd<T = V>(
    key: Key,
    options: ZAddOptions & { incr: true },
    member: ScoreMember<T>,
  ): Apply<K, number | null>;
  zadd<T = V>(
    key: Key,
    first: ZAddOptions | ScoreMember<T>,
    ...members: ScoreMember<T>[]
  ): Apply<K, number | null>;
  /** The number of members. @see https://redis.io/commands/zcard */
  zcard(key: Key): Apply<K, number>;
  /** Members with scores between `min` and `max`. @see https://redis.io/commands/zcount */
  zcount(key: Key, min: RangeBound, max: RangeBound): Apply<K, number>;
  /** Members of the first set not in the others. @see https://redis.io/commands/zdiff */
  zdiff<T = V, O extends { withScores?: boolean } = Record<never, never>>(
    keys: Key[],
    options?: O,
  ): Apply<K, Scored<O, T>>;
  /**
   * ZDIFF stored into `destination`. The `@upstash/redis` form
   * `(destination, numKeys, ...keys)` is accepted too; `numKeys` must match.
   * @see https://redis.io/commands/zdiffstore
   */
  zdiffstore(destination: Key, numKeys: number, ...keys: Key[]): Apply<K, number>;
  zdiffstore(destination: Key, keys: Key[]): Apply<K, number>;
  /** Adds `increment` to a member's score; returns the new score. @see https://redis.io/commands/zincrby */
  zincrby(key: Key, increment: number, member: unknown): Apply<K, number>;
  /** Members in every set (the `@upstash/redis` form `(numKeys, keys, options)` is accepted too). @see https://redis.io/commands/zinter */
  zinter<T = V, O extends ZCombineOptions & { withScores?: boolean } = Record<never, never>>(
    numKeys: number,
    keys: Key | Key[],
    options?: O,
  ): Apply<K, Scored<O, T>>;
  zinter<T = V, O extends ZCombineOptions & { withScores?: boolean } = Record<never, never>>(
    keys: Key[],
    options?: O,
  ): Apply<K, Scored<O, T>>;
  /** The size of the intersection, counting up to `limit`. @see https://redis.io/commands/zintercard */
  zintercard(keys: Key[], options?: { limit?: number }): Apply<K, number>;
  /**
   * ZINTER stored into `destination`. The `@upstash/redis` form
   * `(destination, numKeys, keys, options)` is accepted too; `numKeys` must match.
   * @see https://redis.io/commands/zinterstore
   */
  zinterstore(
    destination: Key,
    numKeys: number,
    keys: Key | Key[],
    options?: ZCombineOptions,
  ): Apply<K, number>;
  zinterstore(destination: Key, keys: Key[], options?: ZCombineOptions): Apply<K, number>;
  /** Members between two lex bounds. @see https://redis.io/commands/zlexcount */
  zlexcount(key: Key, min: string, max: string): Apply<K, number>;
  /** Pops the lowest or highest members of the first non-empty set: `[key, members]` or `null`. @see https://redis.io/commands/zmpop */
  zmpop<T = V>(
    keys: Key[],
    which: 'min' | 'max' | 'MIN' | 'MAX',
    count?: number,
  ): Apply<K, [key: string, members: ScoreMember<T>[]] | null>;
  /** The scores of members (`null` when absent). @see https://redis.io/commands/zmscore */
  zmscore(key: Key, members: unknown[]): Apply<K, (number | null)[]>;
  /** Pops the highest members. @see https://redis.io/commands/zpopmax */
  zpopmax<T = V>(key: Key, count?: number): Apply<K, ScoreMember<T>[]>;
  /** Pops the lowest members. @see https://redis.io/commands/zpopmin */
  zpopmin<T = V>(key: Key, count?: number): Apply<K, ScoreMember<T>[]>;
  /** A random member (`null` if none), or `count` members; with scores as `{ member, score }`. @see https://redis.io/commands/zrandmember */
  zrandmember<T = V>(key: Key): Apply<K, T | null>;
  zrandmember<T = V>(key: Key, count: number, withScores?: false): Apply<K, Many<T>>;
  zrandmember<T = V>(key: Key, count: number, withScores: true): Apply<K, ScoreMember<T>[]>;
  zrandmember<T = V>(
    key: Key,
    count?: number,
    withScores?: boolean,
  ): Apply<K, T | Many<T> | ScoreMember<T>[] | null>;
  /**
   * Members by rank, score (`byScore`) or lex (`byLex`), optionally reversed,
   * paged and with scores.
   * @example await redis.zrange('board', 0, 9, { rev: true, withScores: true })
   * @see https://redis.io/commands/zrange
   */
  zrange<T = V, O extends ZRangeOptions = Record<never, never>>(
    key: Key,
    start: RangeBound,
    stop: RangeBound,
    options?: O,
  ): Apply<K, Scored<O, T>>;
  /** ZRANGE stored into `destination`; returns its size. @see https://redis.io/commands/zrangestore */
  zrangestore(
    destination: Key,
    key: Key,
    start: RangeBound,
    stop: RangeBound,
    options?: Omit<ZRangeOptions, 'withScores'>,
  ): Apply<K, number>;
  /** The rank of a member (lowest first), or `null`. @see https://redis.io/commands/zrank */
  zrank(key: Key, member: unknown): Apply<K, number | null>;
  /** Removes members. @see https://redis.io/commands/zrem */
  zrem(key: Key, ...members: unknown[]): Apply<K, number>;
  /** Removes members between two lex bounds. @see https://redis.io/commands/zremrangebylex */
  zremrangebylex(key: Key, min: string, max: string): Apply<K, number>;
  /** Removes members between two ranks. @see https://redis.io/commands/zremrangebyrank */
  zremrangebyrank(key: Key, start: number, stop: number): Apply<K, number>;
  /** Removes members between two scores. @see https://redis.io/commands/zremrangebyscore */
  zremrangebyscore(key: Key, min: RangeBound, max: RangeBound): Apply<K, number>;
  /** The rank of a member (highest first), or `null`. @see https://redis.io/commands/zrevrank */
  zrevrank(key: Key, member: unknown): Apply<K, number | null>;
  /** One step of a sorted set scan: the next cursor and `[member, score, …]`. @see https://redis.io/commands/zscan */
  zscan<T = V>(
    key: Key,
    cursor: string | number,
    options?: Omit<ScanOptions, 'type'>,
  ): Apply<K, [cursor: string, items: (T | number)[]]>;
  /** The score of a member, or `null`. @see https://redis.io/commands/zscore */
  zscore(key: Key, member: unknown): Apply<K, number | null>;
  /** Members of any of the sets (the `@upstash/redis` form `(numKeys, keys, options)` is accepted too). @see https://redis.io/commands/zunion */
  zunion<T = V, O extends ZCombineOptions & { withScores?: boolean } = Record<never, never>>(
    numKeys: number,
    keys: Key | Key[],
    options?: O,
  ): Apply<K, Scored<O, T>>;
  zunion<T = V, O extends ZCombineOptions & { withScores?: boolean } = Record<never, never>>(
    keys: Key[],
    options?: O,
  ): Apply<K, Scored<O, T>>;
  /**
   * ZUNION stored into `destination`. The `@upstash/redis` form
   * `(destination, numKeys, keys, options)` is accepted too; `numKeys` must match.
   * @see https://redis.io/commands/zunionstore
   */
  zunionstore(
    destination: Key,
    numKeys: number,
    keys: Key | Key[],
    options?: ZCombineOptions,
  ): Apply<K, number>;
  zunionstore(destination: Key, keys: Key[], options?: ZCombineOptions): Apply<K, number>;
}

function scoreMember(item: ScoreMember, command: string): WireArg[] {
  if (item === null || typeof item !== 'object' || !('score' in item) || !('member' in item)) {
    throw invalidArgument('members must be { score, member } objects', command);
  }
  return [bound('score', item.score, command), v(item.member, command)];
}

/**
 * The keys of a ZUNION-like command, given as `keys` or (as `@upstash/redis`
 * does) as `numKeys, keys`: a count that does not match is refused, because
 * sending it would build another valid command.
 */
function counted(command: string, first: unknown, rest: readonly unknown[]): [keys: Key[], options: unknown] {
  if (typeof first !== 'number') {
    if (rest.length > 1)
      throw invalidArgument(`expected (keys, options), got ${rest.length + 1} arguments`, command);
    return [keyList(first as Key[], command), rest[0]];
  }
  const count = int('numKeys', first, command);
  const list = keyList(rest[0] as Key[], command);
  if (list.length !== count) {
    throw invalidArgument(
      `numKeys is ${count} but ${list.length} key${list.length === 1 ? ' was' : 's were'} given`,
      command,
    );
  }
  if (rest.length > 2)
    throw invalidArgument(`expected (numKeys, keys, options), got ${rest.length + 1} arguments`, command);
  return [list, rest[1]];
}

function combineArgs(
  command: string,
  list: Key[],
  options: (ZCombineOptions & { withScores?: boolean }) | undefined,
): WireArg[] {
  opts(options, command);
  const args: WireArg[] = [list.length, ...list];
  if (options?.weights !== undefined || options?.weight !== undefined) {
    if (options.weights !== undefined && options.weight !== undefined) {
      throw invalidArgument('pass only one of weights, weight', command);
    }
    const weights =
      options.weights !== undefined ? list_(options.weights, command, 'weights') : [options.weight];
    if (weights.length !== list.length) throw invalidArgument('weights: give one per key', command);
    args.push('WEIGHTS', ...weights.map((w) => num('weight', w, command)));
  }
  if (options?.aggregate !== undefined) {
    args.push('AGGREGATE', word('aggregate', options.aggregate, ['SUM', 'MIN', 'MAX'], command));
  }
  if (options?.withScores) args.push('WITHSCORES');
  return args;
}

function rangeArgs(options: ZRangeOptions | undefined, command: string): WireArg[] {
  const args: WireArg[] = [];
  opts(options, command);
  const by = oneOf(options, ['byScore', 'byLex'], command);
  if (by) args.push(by === 'byScore' ? 'BYSCORE' : 'BYLEX');
  if (options?.rev) args.push('REV');
  if (options?.offset !== undefined || options?.count !== undefined) {
    if (options.offset === undefined || options.count === undefined) {
      throw invalidArgument('offset and count go together', command);
    }
    args.push('LIMIT', int('offset', options.offset, command), int('count', options.count, command));
  }
  return args;
}

const scored = (withScores: boolean | undefined) => (withScores ? asScored : asValues);

function popScored(command: string) {
  return (key: Key, count?: number) =>
    cmd([command, k(key), ...(count === undefined ? [] : [int('count', count, command)])], asScored);
}

export const sortedSets: CommandTable<SortedSetCommands<Kind, unknown>> = {
  zadd: (key, first, ...members) => {
    const args: WireArg[] = ['ZADD', k(key)];
    if (first && typeof first === 'object' && 'score' in first) {
      args.push(...scoreMember(first, 'ZADD'));
      for (const member of members) args.push(...scoreMember(member, 'ZADD'));
      return cmd(args);
    }
    const options = first as ZAddOptions;
    const exists = oneOf(options, ['nx', 'xx'], 'ZADD');
    const compare = oneOf(options, ['gt', 'lt'], 'ZADD');
    if (exists) args.push(exists.toUpperCase());
    if (compare) args.push(compare.toUpperCase());
    if (options?.ch) args.push('CH');
    if (options?.incr) {
      if (members.length !== 1) throw invalidArgument('incr takes exactly one { score, member }', 'ZADD');
      args.push('INCR');
    }
    for (const member of nonEmpty(members, 'ZADD', 'members')) args.push(...scoreMember(member, 'ZADD'));
    return cmd(args, options?.incr ? asFloat : undefined);
  },
  zcard: (key) => cmd(['ZCARD', k(key)]),
  zcount: (key, min, max) =>
    cmd(['ZCOUNT', k(key), bound('min', min, 'ZCOUNT'), bound('max', max, 'ZCOUNT')]),
  zdiff: (keys, options) => {
    const list = keyList(keys, 'ZDIFF');
    opts(options, 'ZDIFF');
    return cmd(
      ['ZDIFF', list.length, ...list, ...(options?.withScores ? ['WITHSCORES'] : [])],
      scored(options?.withScores),
    );
  },
  zdiffstore: (destination: Key, first: number | Key[], ...rest: Key[]) => {
    const [list] =
      typeof first === 'number' ? counted('ZDIFFSTORE', first, [rest]) : counted('ZDIFFSTORE', first, rest);
    return cmd(['ZDIFFSTORE', k(destination), list.length, ...list]);
  },
  zincrby: (key, increment, member) =>
    cmd(['ZINCRBY', k(key), num('increment', increment, 'ZINCRBY'), v(member, 'ZINCRBY')], asFloat),
  zinter: (first: unknown, ...rest: unknown[]) => {
    const [list, options] = counted('ZINTER', first, rest) as [
      Key[],
      ZCombineOptions & { withScores?: boolean },
    ];
    return cmd(['ZINTER', ...combineArgs('ZINTER', list, options)], scored(options?.withScores));
  },
  zintercard: (keys, options) => {
    const list = keyList(keys, 'ZINTERCARD');
    opts(options, 'ZINTERCARD');
    const args: WireArg[] = ['ZINTERCARD', list.length, ...list];
    if (options?.limit !== undefined) args.push('LIMIT', int('limit', options.limit, 'ZINTERCARD'));
    return cmd(args);
  },
  zinterstore: (destination: Key, first: unknown, ...rest: unknown[]) => {
    const [list, options] = counted('ZINTERSTORE', first, rest) as [Key[], ZCombineOptions | undefined];
    opts(options, 'ZINTERSTORE');
    return cmd([
      'ZINTERSTORE',
      k(destination),
      ...combineArgs('ZINTERSTORE', list, options && { ...options, withScores: false }),
    ]);
  },
  zlexcount: (key, min, max) =>
    cmd(['ZLEXCOUNT', k(key), str('min', min, 'ZLEXCOUNT'), str('max', max, 'ZLEXCOUNT')]),
  zmpop: (keys, which, count) => {
    const list = keyList(keys, 'ZMPOP');
    const args: WireArg[] = ['ZMPOP', list.length, ...list, word('which', which, ['MIN', 'MAX'], 'ZMPOP')];
    if (count !== undefined) args.push('COUNT', int('count', count, 'ZMPOP'));
    return cmd(args, (reply: [string, [unknown, unknown][]] | null, value: Decoder) =>
      reply === null
        ? null
        : [reply[0], reply[1].map(([member, score]) => ({ member: value(member), score: toNumber(score) }))],
    );
  },
  zmscore: (key, members) =>
    cmd(
      ['ZMSCORE', k(key), ...nonEmpty(members, 'ZMSCORE', 'members').map((m) => v(m, 'ZMSCORE'))],
      asFloats,
    ),
  zpopmax: popScored('ZPOPMAX'),
  zpopmin: popScored('ZPOPMIN'),
  zrandmember: (key, count, withScores) => {
    if (count === undefined)
      return cmd(['ZRANDMEMBER', k(key)], (reply: unknown, value: Decoder) => value(reply));
    const args: WireArg[] = ['ZRANDMEMBER', k(key), int('count', count, 'ZRANDMEMBER')];
    if (withScores) args.push('WITHSCORES');
    return cmd(args, scored(withScores));
  },
  zrange: (key, start, stop, options) =>
    cmd(
      [
        'ZRANGE',
        k(key),
        bound('start', start, 'ZRANGE'),
        bound('stop', stop, 'ZRANGE'),
        ...rangeArgs(options, 'ZRANGE'),
        ...(options?.withScores ? ['WITHSCORES'] : []),
      ],
      scored(options?.withScores),
    ),
  zrangestore: (destination, key, start, stop, options) =>
    cmd([
      'ZRANGESTORE',
      k(destination),
      k(key),
      bound('start', start, 'ZRANGESTORE'),
      bound('stop', stop, 'ZRANGESTORE'),
      ...rangeArgs(options, 'ZRANGESTORE'),
    ]),
  zrank: (key, member) => cmd(['ZRANK', k(key), v(member, 'ZRANK')]),
  zrem: (key, ...members) =>
    cmd(['ZREM', k(key), ...nonEmpty(members, 'ZREM', 'members').map((m) => v(m, 'ZREM'))]),
  zremrangebylex: (key, min, max) =>
    cmd(['ZREMRANGEBYLEX', k(key), str('min', min, 'ZREMRANGEBYLEX'), str('max', max, 'ZREMRANGEBYLEX')]),
  zremrangebyrank: (key, start, stop) =>
    cmd([
      'ZREMRANGEBYRANK',
      k(key),
      int('start', start, 'ZREMRANGEBYRANK'),
      int('stop', stop, 'ZREMRANGEBYRANK'),
    ]),
  zremrangebyscore: (key, min, max) =>
    cmd([
      'ZREMRANGEBYSCORE',
      k(key),
      bound('min', min, 'ZREMRANGEBYSCORE'),
      bound('max', max, 'ZREMRANGEBYSCORE'),
    ]),
  zrevrank: (key, member) => cmd(['ZREVRANK', k(key), v(member, 'ZREVRANK')]),
  zscan: (key, cursor, options) =>
    cmd(
      ['ZSCAN', k(key), str('cursor', cursor, 'ZSCAN'), ...scanArgs(options, 'ZSCAN')],
      (reply: [string, unknown[]], value: Decoder) => {
        const items = reply[1];
        const out = new Array(items.length);
        for (let i = 0; i < items.length; i += 2) {
          out[i] = value(items[i]);
          out[i + 1] = toNumber(items[i + 1]);
        }
        return [String(reply[0]), out];
      },
    ),
  zscore: (key, member) => cmd(['ZSCORE', k(key), v(member, 'ZSCORE')], asFloat),
  zunion: (first: unknown, ...rest: unknown[]) => {
    const [list, options] = counted('ZUNION', first, rest) as [
      Key[],
      ZCombineOptions & { withScores?: boolean },
    ];
    return cmd(['ZUNION', ...combineArgs('ZUNION', list, options)], scored(options?.withScores));
  },
  zunionstore: (destination: Key, first: unknown, ...rest: unknown[]) => {
    const [list, options] = counted('ZUNIONSTORE', first, rest) as [Key[], ZCombineOptions | undefined];
    opts(options, 'ZUNIONSTORE');
    return cmd([
      'ZUNIONSTORE',
      k(destination),
      ...combineArgs('ZUNIONSTORE', list, options && { ...options, withScores: false }),
    ]);
  },
};
