import {
  type Apply,
  asFloat,
  asRecord,
  asValue,
  asValues,
  type CommandTable,
  cmd,
  entries,
  int,
  type Kind,
  k,
  num,
  oneOf,
  opts,
  v,
} from '../command.js';
import { invalidArgument } from '../errors.js';
import type { Key, WireArg } from '../values.js';

/** Expiry options of SET. At most one of `ex`, `px`, `exat`, `pxat`, `keepTtl`; at most one of `nx`, `xx`. */
export interface SetOptions {
  /** Expire after this many seconds. */
  ex?: number;
  /** Expire after this many milliseconds. */
  px?: number;
  /** Expire at this Unix time in seconds. */
  exat?: number;
  /** Expire at this Unix time in milliseconds. */
  pxat?: number;
  /** Keep the key's current time to live. */
  keepTtl?: boolean;
  /** Only set if the key does not exist (the reply is `null` when it did). */
  nx?: boolean;
  /** Only set if the key exists (the reply is `null` when it did not). */
  xx?: boolean;
  /** Return the previous value instead of `OK`. */
  get?: boolean;
}

/** Expiry options of GETEX: at most one. */
export interface GetExOptions {
  ex?: number;
  px?: number;
  exat?: number;
  pxat?: number;
  /** Remove the time to live. */
  persist?: boolean;
}

/** Where the common subsequence found by `lcs(…, { idx: true })` is. */
export interface LcsIndex {
  matches: { a: [start: number, end: number]; b: [start: number, end: number]; len?: number }[];
  /** The length of the whole common subsequence. */
  len: number;
}

/** String commands. */
export interface StringCommands<K extends Kind, V> {
  /** Appends `value` to the string at `key`; returns the new length. @see https://redis.io/commands/append */
  append(key: Key, value: string | Uint8Array): Apply<K, number>;
  /** Decrements the integer at `key` by one. @see https://redis.io/commands/decr */
  decr(key: Key): Apply<K, number>;
  /** Decrements the integer at `key` by `decrement`. @see https://redis.io/commands/decrby */
  decrby(key: Key, decrement: number): Apply<K, number>;
  /** Returns the value at `key`, or `null`. @see https://redis.io/commands/get */
  get<T = V>(key: Key): Apply<K, T | null>;
  /** Returns the exact bytes at `key`, or `null` (binary-safe GET). @see https://redis.io/commands/get */
  getBytes(key: Key): Apply<K, Uint8Array | null>;
  /** Returns the value at `key` and deletes the key. @see https://redis.io/commands/getdel */
  getdel<T = V>(key: Key): Apply<K, T | null>;
  /** Returns the value at `key` and changes its expiry. @see https://redis.io/commands/getex */
  getex<T = V>(key: Key, options?: GetExOptions): Apply<K, T | null>;
  /** Returns the substring between `start` and `end` (inclusive, negative from the end). @see https://redis.io/commands/getrange */
  getrange(key: Key, start: number, end: number): Apply<K, string>;
  /** Sets `key` and returns the previous value. @see https://redis.io/commands/getset */
  getset<T = V>(key: Key, value: unknown): Apply<K, T | null>;
  /** Increments the integer at `key` by one. @see https://redis.io/commands/incr */
  incr(key: Key): Apply<K, number>;
  /** Increments the integer at `key` by `increment`. @see https://redis.io/commands/incrby */
  incrby(key: Key, increment: number): Apply<K, number>;
  /** Increments the float at `key` by `increment`. @see https://redis.io/commands/incrbyfloat */
  incrbyfloat(key: Key, increment: number): Apply<K, number>;
  /**
   * The longest common subsequence of two strings; its length with `{ len: true }`;
   * or with `{ idx: true }` where it is: `{ matches, len }`, each match the
   * inclusive `[start, end]` ranges in both strings (and its length with `withMatchLen`),
   * longest first, shorter than `minMatchLen` left out.
   * @see https://redis.io/commands/lcs
   */
  lcs(key1: Key, key2: Key, options?: { len?: false }): Apply<K, string>;
  lcs(key1: Key, key2: Key, options: { len: true }): Apply<K, number>;
  lcs(key1: Key, key2: Key, options?: { len?: boolean }): Apply<K, string | number>;
  lcs(
    key1: Key,
    key2: Key,
    options: { idx: true; minMatchLen?: number; withMatchLen?: boolean },
  ): Apply<K, LcsIndex>;
  /** Returns the values of many keys (`null` for missing ones). @see https://redis.io/commands/mget */
  mget<T = V>(...keys: (Key | Key[])[]): Apply<K, (T | null)[]>;
  /** Sets many keys. @see https://redis.io/commands/mset */
  mset(values: Record<string, unknown>): Apply<K, 'OK'>;
  /** Sets many keys only if none exists; 1 if set, 0 if not. @see https://redis.io/commands/msetnx */
  msetnx(values: Record<string, unknown>): Apply<K, number>;
  /** Sets `key` with a time to live in milliseconds. @see https://redis.io/commands/psetex */
  psetex(key: Key, milliseconds: number, value: unknown): Apply<K, 'OK'>;
  /**
   * Sets `key` to `value` (objects are stored as JSON). Returns `OK`, `null` when
   * `nx`/`xx` prevented it, or the previous value with `get`; the result type
   * follows the options.
   * @see https://redis.io/commands/set
   */
  set<T = V>(key: Key, value: unknown, options: SetOptions & { get: true }): Apply<K, T | null>;
  set<_T = V>(
    key: Key,
    value: unknown,
    options?: SetOptions & { get?: false; nx?: false; xx?: false },
  ): Apply<K, 'OK'>;
  set<_T = V>(key: Key, value: unknown, options: SetOptions & { get?: false }): Apply<K, 'OK' | null>;
  set<T = V>(key: Key, value: unknown, options?: SetOptions): Apply<K, 'OK' | T | null>;
  /** Sets `key` with a time to live in seconds. @see https://redis.io/commands/setex */
  setex(key: Key, seconds: number, value: unknown): Apply<K, 'OK'>;
  /** Sets `key` if it does not exist; 1 if set, 0 if not. @see https://redis.io/commands/setnx */
  setnx(key: Key, value: unknown): Apply<K, number>;
  /** Overwrites part of the string at `key` from `offset`; returns the new length. @see https://redis.io/commands/setrange */
  setrange(key: Key, offset: number, value: string | Uint8Array): Apply<K, number>;
  /** The length of the string at `key`. @see https://redis.io/commands/strlen */
  strlen(key: Key): Apply<K, number>;
}

function expiry(options: SetOptions | GetExOptions | undefined, command: string): WireArg[] {
  const which = oneOf(
    options as SetOptions & GetExOptions,
    ['ex', 'px', 'exat', 'pxat', 'keepTtl', 'persist'],
    command,
  );
  if (which === undefined) return [];
  if (which === 'keepTtl') return ['KEEPTTL'];
  if (which === 'persist') return ['PERSIST'];
  return [which.toUpperCase(), int(which, (options as Record<string, unknown>)[which], command)];
}

export const strings: CommandTable<StringCommands<Kind, unknown>> = {
  append: (key, value) => cmd(['APPEND', k(key), v(value)]),
  decr: (key) => cmd(['DECR', k(key)]),
  decrby: (key, decrement) => cmd(['DECRBY', k(key), int('decrement', decrement, 'DECRBY')]),
  get: (key) => cmd(['GET', k(key)], asValue),
  getBytes: (key) => ({ args: ['GET', k(key)], bytes: true }),
  getdel: (key) => cmd(['GETDEL', k(key)], asValue),
  getex: (key, options) => cmd(['GETEX', k(key), ...expiry(options, 'GETEX')], asValue),
  getrange: (key, start, end) =>
    cmd(['GETRANGE', k(key), int('start', start, 'GETRANGE'), int('end', end, 'GETRANGE')]),
  getset: (key, value) => cmd(['GETSET', k(key), v(value)], asValue),
  incr: (key) => cmd(['INCR', k(key)]),
  incrby: (key, increment) => cmd(['INCRBY', k(key), int('increment', increment, 'INCRBY')]),
  incrbyfloat: (key, increment) =>
    cmd(['INCRBYFLOAT', k(key), num('increment', increment, 'INCRBYFLOAT')], asFloat),
  lcs: (
    key1,
    key2,
    options?: { len?: boolean; idx?: boolean; minMatchLen?: number; withMatchLen?: boolean },
  ) => {
    const args: WireArg[] = ['LCS', k(key1), k(key2)];
    opts(options, 'LCS');
    if (!options?.idx) return cmd(options?.len ? [...args, 'LEN'] : args);
    if (options.len) throw invalidArgument('pass only one of len, idx', 'LCS');
    args.push('IDX');
    if (options.minMatchLen !== undefined)
      args.push('MINMATCHLEN', int('minMatchLen', options.minMatchLen, 'LCS'));
    if (options.withMatchLen) args.push('WITHMATCHLEN');
    return cmd(args, (reply: unknown[]) => {
      const record = asRecord(reply);
      const range = (pair: unknown): [number, number] => [
        Number((pair as unknown[])[0]),
        Number((pair as unknown[])[1]),
      ];
      return {
        matches: ((record.matches as unknown[][]) ?? []).map((match) => {
          const out: LcsIndex['matches'][number] = { a: range(match[0]), b: range(match[1]) };
          if (match.length > 2) out.len = Number(match[2]);
          return out;
        }),
        len: Number(record.len),
      };
    });
  },
  mget: (...keys) => {
    const flat = keys.flat().map((key) => k(key, 'MGET'));
    if (flat.length === 0) throw invalidArgument('keys: pass at least one', 'MGET');
    return cmd(['MGET', ...flat], asValues);
  },
  mset: (values) => cmd(['MSET', ...entries(values, 'MSET', 'values')]),
  msetnx: (values) => cmd(['MSETNX', ...entries(values, 'MSETNX', 'values')]),
  psetex: (key, milliseconds, value) =>
    cmd(['PSETEX', k(key), int('milliseconds', milliseconds, 'PSETEX'), v(value)]),
  set: (key, value, options) => {
    const args: WireArg[] = ['SET', k(key), v(value, 'SET')];
    const condition = oneOf(options, ['nx', 'xx'], 'SET');
    if (condition) args.push(condition.toUpperCase());
    if (options?.get) args.push('GET');
    args.push(...expiry(options, 'SET'));
    return cmd(args, options?.get ? asValue : undefined);
  },
  setex: (key, seconds, value) => cmd(['SETEX', k(key), int('seconds', seconds, 'SETEX'), v(value)]),
  setnx: (key, value) => cmd(['SETNX', k(key), v(value)]),
  setrange: (key, offset, value) => cmd(['SETRANGE', k(key), int('offset', offset, 'SETRANGE'), v(value)]),
  strlen: (key) => cmd(['STRLEN', k(key)]),
};
