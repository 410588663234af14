import {
  type Apply,
  asValue,
  asValues,
  type CommandTable,
  cmd,
  int,
  type Kind,
  k,
  keyList,
  type Many,
  nonEmpty,
  opts,
  v,
  word,
} from '../command.js';
import type { Decoder, Key, WireArg } from '../values.js';

/** An end of a list. */
export type ListSide = 'left' | 'right' | 'LEFT' | 'RIGHT';

/** Options of LPOS. */
export interface LPosOptions {
  /** Which match to return: 1 the first, 2 the second, -1 the last… */
  rank?: number;
  /** Return up to this many positions (0: all) as an array. */
  count?: number;
  /** Compare at most this many elements. */
  maxLen?: number;
}

/** List commands. Elements are deserialized unless in raw mode. */
export interface ListCommands<K extends Kind, V> {
  /** The element at `index`, or `null`. @see https://redis.io/commands/lindex */
  lindex<T = V>(key: Key, index: number): Apply<K, T | null>;
  /** Inserts `value` before or after `pivot`; the new length, or -1 if `pivot` is absent. @see https://redis.io/commands/linsert */
  linsert(
    key: Key,
    direction: 'before' | 'after' | 'BEFORE' | 'AFTER',
    pivot: unknown,
    value: unknown,
  ): Apply<K, number>;
  /** The length of the list. @see https://redis.io/commands/llen */
  llen(key: Key): Apply<K, number>;
  /** Pops from one end of `source` and pushes to one end of `destination`. @see https://redis.io/commands/lmove */
  lmove<T = V>(source: Key, destination: Key, from: ListSide, to: ListSide): Apply<K, T | null>;
  /** Pops up to `count` elements from the first non-empty list: `[key, elements]` or `null`. @see https://redis.io/commands/lmpop */
  lmpop<T = V>(keys: Key[], side: ListSide, count?: number): Apply<K, [key: string, elements: T[]] | null>;
  /** Pops the first element, or `count` elements as an array (`null` if the list does not exist). @see https://redis.io/commands/lpop */
  lpop<T = V>(key: Key): Apply<K, T | null>;
  lpop<T = V>(key: Key, count: number): Apply<K, Many<T> | null>;
  lpop<T = V>(key: Key, count?: number): Apply<K, T | Many<T> | null>;
  /** The position of `element` (`null` if absent), or with `count` an array of positions. @see https://redis.io/commands/lpos */
  lpos<T = number | null>(
    key: Key,
    element: unknown,
    options?: LPosOptions & { count?: undefined },
  ): Apply<K, T>;
  lpos<T = number[]>(key: Key, element: unknown, options: LPosOptions & { count: number }): Apply<K, T>;
  lpos<T = number | number[] | null>(key: Key, element: unknown, options?: LPosOptions): Apply<K, T>;
  /** Prepends elements; returns the new length. @see https://redis.io/commands/lpush */
  lpush<T = unknown>(key: Key, ...elements: NoInfer<T>[]): Apply<K, number>;
  /** Prepends elements if the list exists. @see https://redis.io/commands/lpushx */
  lpushx<T = unknown>(key: Key, ...elements: NoInfer<T>[]): Apply<K, number>;
  /** Elements from `start` to `stop` (inclusive; -1 is the last). @see https://redis.io/commands/lrange */
  lrange<T = V>(key: Key, start: number, stop: number): Apply<K, T[]>;
  /** Removes `count` occurrences of `element` (negative: from the end, 0: all). @see https://redis.io/commands/lrem */
  lrem(key: Key, count: number, element: unknown): Apply<K, number>;
  /** Sets the element at `index`. @see https://redis.io/commands/lset */
  lset(key: Key, index: number, element: unknown): Apply<K, 'OK'>;
  /** Keeps only elements from `start` to `stop`. @see https://redis.io/commands/ltrim */
  ltrim(key: Key, start: number, stop: number): Apply<K, 'OK'>;
  /** Pops the last element, or `count` elements as an array (`null` if the list does not exist). @see https://redis.io/commands/rpop */
  rpop<T = V>(key: Key): Apply<K, T | null>;
  rpop<T = V>(key: Key, count: number): Apply<K, Many<T> | null>;
  rpop<T = V>(key: Key, count?: number): Apply<K, T | Many<T> | null>;
  /** Pops the last element of `source` and prepends it to `destination`. @see https://redis.io/commands/rpoplpush */
  rpoplpush<T = V>(source: Key, destination: Key): Apply<K, T | null>;
  /** Appends elements; returns the new length. @see https://redis.io/commands/rpush */
  rpush<T = unknown>(key: Key, ...elements: NoInfer<T>[]): Apply<K, number>;
  /** Appends elements if the list exists. @see https://redis.io/commands/rpushx */
  rpushx<T = unknown>(key: Key, ...elements: NoInfer<T>[]): Apply<K, number>;
}

function side(value: string, command: string): string {
  return word('side', value, ['LEFT', 'RIGHT'], command);
}

function push(command: string) {
  return (key: Key, ...elements: unknown[]) =>
    cmd([command, k(key), ...nonEmpty(elements, command, 'elements').map((element) => v(element, command))]);
}

function pop(command: string) {
  return (key: Key, count?: number) =>
    count === undefined
      ? cmd([command, k(key)], asValue)
      : cmd([command, k(key), int('count', count, command)], asValues);
}

export const lists: CommandTable<ListCommands<Kind, unknown>> = {
  lindex: (key, index) => cmd(['LINDEX', k(key), int('index', index, 'LINDEX')], asValue),
  linsert: (key, direction, pivot, value) =>
    cmd([
      'LINSERT',
      k(key),
      word('direction', direction, ['BEFORE', 'AFTER'], 'LINSERT'),
      v(pivot, 'LINSERT'),
      v(value, 'LINSERT'),
    ]),
  llen: (key) => cmd(['LLEN', k(key)]),
  lmove: (source, destination, from, to) =>
    cmd(['LMOVE', k(source), k(destination), side(from, 'LMOVE'), side(to, 'LMOVE')], asValue),
  lmpop: (keys, where, count) => {
    const list = keyList(keys, 'LMPOP');
    const args: WireArg[] = ['LMPOP', list.length, ...list, side(where, 'LMPOP')];
    if (count !== undefined) args.push('COUNT', int('count', count, 'LMPOP'));
    return cmd(args, (reply: [string, unknown[]] | null, value: Decoder) =>
      reply === null ? null : [reply[0], reply[1].map(value)],
    );
  },
  lpop: pop('LPOP'),
  lpos: (key, element, options) => {
    const args: WireArg[] = ['LPOS', k(key), v(element, 'LPOS')];
    opts(options, 'LPOS');
    if (options?.rank !== undefined) args.push('RANK', int('rank', options.rank, 'LPOS'));
    if (options?.count !== undefined) args.push('COUNT', int('count', options.count, 'LPOS'));
    if (options?.maxLen !== undefined) args.push('MAXLEN', int('maxLen', options.maxLen, 'LPOS'));
    return cmd(args);
  },
  lpush: push('LPUSH'),
  lpushx: push('LPUSHX'),
  lrange: (key, start, stop) =>
    cmd(['LRANGE', k(key), int('start', start, 'LRANGE'), int('stop', stop, 'LRANGE')], asValues),
  lrem: (key, count, element) => cmd(['LREM', k(key), int('count', count, 'LREM'), v(element, 'LREM')]),
  lset: (key, index, element) => cmd(['LSET', k(key), int('index', index, 'LSET'), v(element, 'LSET')]),
  ltrim: (key, start, stop) =>
    cmd(['LTRIM', k(key), int('start', start, 'LTRIM'), int('stop', stop, 'LTRIM')]),
  rpop: pop('RPOP'),
  rpoplpush: (source, destination) => cmd(['RPOPLPUSH', k(source), k(destination)], asValue),
  rpush: push('RPUSH'),
  rpushx: push('RPUSHX'),
};
