import {
  type Apply,
  asValues,
  type CommandTable,
  cmd,
  int,
  type Kind,
  k,
  keyList,
  list,
  oneOf,
  opts,
  str,
  word,
} from '../command.js';
import { invalidArgument } from '../errors.js';
import type { Key, WireArg } from '../values.js';
import { type ScanOptions, scanArgs } from './scan.js';

/** Condition of EXPIRE and friends (Redis 7). */
export type ExpireCondition = 'NX' | 'XX' | 'GT' | 'LT';

/** Options of SORT and SORT_RO. */
export interface SortOptions {
  /** Sort by the values of these keys (`weight_*`), or `nosort`. */
  by?: string;
  offset?: number;
  count?: number;
  /** Return these keys' values (`#` is the element itself) instead of the elements. */
  get?: string[];
  order?: 'ASC' | 'DESC' | 'asc' | 'desc';
  /** Compare as strings, not numbers. */
  alpha?: boolean;
}

/** Options of RESTORE. */
export interface RestoreOptions {
  replace?: boolean;
  /** `ttl` is a Unix time in milliseconds. */
  absTtl?: boolean;
  idleTime?: number;
  freq?: number;
}

/** Generic key commands. Key names come back as strings, never deserialized. */
export interface KeyCommands<K extends Kind, V> {
  /** Copies `source` to `destination`; 1 if copied. @see https://redis.io/commands/copy */
  copy(source: Key, destination: Key, options?: { replace?: boolean }): Apply<K, number>;
  /** Deletes keys; returns how many existed. @see https://redis.io/commands/del */
  del(...keys: Key[]): Apply<K, number>;
  /** The serialized value of a key (exact bytes for RESTORE), or `null`. @see https://redis.io/commands/dump */
  dump(key: Key): Apply<K, Uint8Array | null>;
  /** How many of the keys exist. @see https://redis.io/commands/exists */
  exists(...keys: Key[]): Apply<K, number>;
  /** Sets a time to live in seconds; 1 if set. @see https://redis.io/commands/expire */
  expire(key: Key, seconds: number, condition?: ExpireCondition): Apply<K, 0 | 1>;
  /** Sets an expiry Unix time in seconds. @see https://redis.io/commands/expireat */
  expireat(key: Key, timestamp: number, condition?: ExpireCondition): Apply<K, 0 | 1>;
  /** The expiry Unix time in seconds (-1 none, -2 no key). @see https://redis.io/commands/expiretime */
  expiretime(key: Key): Apply<K, number>;
  /** Every key matching `pattern` (prefer `scanIterator` on big databases). @see https://redis.io/commands/keys */
  keys(pattern: string): Apply<K, string[]>;
  /** Moves a key to database `db` of the same Redis; 1 if moved. @see https://redis.io/commands/move */
  move(key: Key, db: number): Apply<K, 0 | 1>;
  /** The internal encoding of a value. @see https://redis.io/commands/object-encoding */
  objectEncoding(key: Key): Apply<K, string | null>;
  /** The LFU access counter (LFU eviction policies only). @see https://redis.io/commands/object-freq */
  objectFreq(key: Key): Apply<K, number | null>;
  /** Seconds since the key was last accessed. @see https://redis.io/commands/object-idletime */
  objectIdletime(key: Key): Apply<K, number | null>;
  /** The reference count of the value. @see https://redis.io/commands/object-refcount */
  objectRefcount(key: Key): Apply<K, number | null>;
  /** Removes the time to live; 1 if there was one. @see https://redis.io/commands/persist */
  persist(key: Key): Apply<K, 0 | 1>;
  /** Sets a time to live in milliseconds. @see https://redis.io/commands/pexpire */
  pexpire(key: Key, milliseconds: number, condition?: ExpireCondition): Apply<K, 0 | 1>;
  /** Sets an expiry Unix time in milliseconds. @see https://redis.io/commands/pexpireat */
  pexpireat(key: Key, timestamp: number, condition?: ExpireCondition): Apply<K, 0 | 1>;
  /** The expiry Unix time in milliseconds. @see https://redis.io/commands/pexpiretime */
  pexpiretime(key: Key): Apply<K, number>;
  /** The time to live in milliseconds (-1 none, -2 no key). @see https://redis.io/commands/pttl */
  pttl(key: Key): Apply<K, number>;
  /** A random key, or `null`. @see https://redis.io/commands/randomkey */
  randomkey(): Apply<K, string | null>;
  /** Renames a key. @see https://redis.io/commands/rename */
  rename(source: Key, destination: Key): Apply<K, 'OK'>;
  /** Renames a key if the new name is free; 1 if renamed. @see https://redis.io/commands/renamenx */
  renamenx(source: Key, destination: Key): Apply<K, 0 | 1>;
  /** Creates a key from DUMP bytes, with a time to live in ms (0: none). @see https://redis.io/commands/restore */
  restore(key: Key, ttl: number, serialized: Uint8Array, options?: RestoreOptions): Apply<K, 'OK'>;
  /** One step of a key scan: the next cursor and key names. @see https://redis.io/commands/scan */
  scan(cursor: string | number, options?: ScanOptions): Apply<K, [cursor: string, keys: string[]]>;
  /** Sorts a list, set or sorted set. @see https://redis.io/commands/sort */
  sort<T = V>(key: Key, options?: SortOptions): Apply<K, T[]>;
  /** SORT stored into `destination`; returns its length. @see https://redis.io/commands/sort */
  sortStore(key: Key, destination: Key, options?: SortOptions): Apply<K, number>;
  /** The read-only SORT. @see https://redis.io/commands/sort_ro */
  sortRo<T = V>(key: Key, options?: SortOptions): Apply<K, T[]>;
  /** Touches keys; returns how many exist. @see https://redis.io/commands/touch */
  touch(...keys: Key[]): Apply<K, number>;
  /** The time to live in seconds (-1 none, -2 no key). @see https://redis.io/commands/ttl */
  ttl(key: Key): Apply<K, number>;
  /** The type of a key (`none` if missing). @see https://redis.io/commands/type */
  type(key: Key): Apply<K, 'string' | 'list' | 'set' | 'zset' | 'hash' | 'stream' | 'none' | (string & {})>;
  /** Deletes keys in the background; returns how many existed. @see https://redis.io/commands/unlink */
  unlink(...keys: Key[]): Apply<K, number>;
}

function expireArgs(command: string, name: string) {
  return (key: Key, time: number, condition?: ExpireCondition) =>
    cmd([
      command,
      k(key),
      int(name, time, command),
      ...(condition === undefined ? [] : [word('condition', condition, ['NX', 'XX', 'GT', 'LT'], command)]),
    ]);
}

function sortArgs(options: SortOptions | undefined, command: string): WireArg[] {
  const args: WireArg[] = [];
  if (!opts(options, command) || !options) return args;
  if (options.by !== undefined) args.push('BY', str('by', options.by, command));
  if (options.offset !== undefined || options.count !== undefined) {
    if (options.offset === undefined || options.count === undefined)
      throw invalidArgument('offset and count go together', command);
    args.push('LIMIT', int('offset', options.offset, command), int('count', options.count, command));
  }
  for (const pattern of list(options.get ?? [], command, 'get'))
    args.push('GET', str('get', pattern, command));
  if (options.order !== undefined) args.push(word('order', options.order, ['ASC', 'DESC'], command));
  if (options.alpha) args.push('ALPHA');
  return args;
}

const object = (sub: string) => (key: Key) => cmd(['OBJECT', sub, k(key)]);

export const keys: CommandTable<KeyCommands<Kind, unknown>> = {
  copy: (source, destination, options) =>
    cmd(['COPY', k(source), k(destination), ...(opts(options, 'COPY')?.replace ? ['REPLACE'] : [])]),
  del: (...list) => cmd(['DEL', ...keyList(list, 'DEL')]),
  dump: (key) => ({ args: ['DUMP', k(key)], bytes: true }),
  exists: (...list) => cmd(['EXISTS', ...keyList(list, 'EXISTS')]),
  expire: expireArgs('EXPIRE', 'seconds'),
  expireat: expireArgs('EXPIREAT', 'timestamp'),
  expiretime: (key) => cmd(['EXPIRETIME', k(key)]),
  keys: (pattern) => cmd(['KEYS', str('pattern', pattern, 'KEYS')]),
  move: (key, db) => cmd(['MOVE', k(key), int('db', db, 'MOVE')]),
  objectEncoding: object('ENCODING'),
  objectFreq: object('FREQ'),
  objectIdletime: object('IDLETIME'),
  objectRefcount: object('REFCOUNT'),
  persist: (key) => cmd(['PERSIST', k(key)]),
  pexpire: expireArgs('PEXPIRE', 'milliseconds'),
  pexpireat: expireArgs('PEXPIREAT', 'timestamp'),
  pexpiretime: (key) => cmd(['PEXPIRETIME', k(key)]),
  pttl: (key) => cmd(['PTTL', k(key)]),
  randomkey: () => cmd(['RANDOMKEY']),
  rename: (source, destination) => cmd(['RENAME', k(source), k(destination)]),
  renamenx: (source, destination) => cmd(['RENAMENX', k(source), k(destination)]),
  restore: (key, ttl, serialized, options) => {
    if (!(serialized instanceof Uint8Array))
      throw invalidArgument('serialized: expected the Uint8Array from dump()', 'RESTORE');
    const args: WireArg[] = ['RESTORE', k(key), int('ttl', ttl, 'RESTORE'), serialized];
    oneOf(options, ['idleTime', 'freq'], 'RESTORE');
    if (options?.replace) args.push('REPLACE');
    if (options?.absTtl) args.push('ABSTTL');
    if (options?.idleTime !== undefined) args.push('IDLETIME', int('idleTime', options.idleTime, 'RESTORE'));
    if (options?.freq !== undefined) args.push('FREQ', int('freq', options.freq, 'RESTORE'));
    return cmd(args);
  },
  scan: (cursor, options) =>
    cmd(
      ['SCAN', str('cursor', cursor, 'SCAN'), ...scanArgs(options, 'SCAN')],
      (reply: [string, string[]]) => [String(reply[0]), reply[1]],
    ),
  sort: (key, options) => cmd(['SORT', k(key), ...sortArgs(options, 'SORT')], asValues),
  sortStore: (key, destination, options) =>
    cmd(['SORT', k(key), ...sortArgs(options, 'SORT'), 'STORE', k(destination)]),
  sortRo: (key, options) => cmd(['SORT_RO', k(key), ...sortArgs(options, 'SORT_RO')], asValues),
  touch: (...list) => cmd(['TOUCH', ...keyList(list, 'TOUCH')]),
  ttl: (key) => cmd(['TTL', k(key)]),
  type: (key) => cmd(['TYPE', k(key)]),
  unlink: (...list) => cmd(['UNLINK', ...keyList(list, 'UNLINK')]),
};
