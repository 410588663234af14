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
  list,
  num,
  oneOf,
  opts,
  str,
  v,
} from '../command.js';
import { invalidArgument } from '../errors.js';
import type { Decoder, Key, WireArg } from '../values.js';

/** A JSON value as RedisJSON stores it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Formatting of JSON.GET. */
export interface JsonGetOptions {
  indent?: string;
  newline?: string;
  space?: string;
}

/**
 * RedisJSON commands (the `json.*` namespace of `@upstash/redis`), for Redis 8
 * or a Redis with the RedisJSON module. Arguments are sent as given — strings
 * as they are (a JSON string value must be quoted: `'"text"'`), other values
 * as JSON — and replies are typed as RedisJSON returns them for `$` paths.
 */
export interface JsonCommands<K extends Kind> {
  /** Appends values to the arrays at `path`; their new lengths. @see https://redis.io/commands/json.arrappend */
  arrappend(key: Key, path: string, ...values: unknown[]): Apply<K, (number | null)[]>;
  /** The index of `value` in the arrays at `path` (-1 if absent). @see https://redis.io/commands/json.arrindex */
  arrindex(
    key: Key,
    path: string,
    value: unknown,
    start?: number,
    stop?: number,
  ): Apply<K, (number | null)[]>;
  /** Inserts values before `index`; the new lengths. @see https://redis.io/commands/json.arrinsert */
  arrinsert(key: Key, path: string, index: number, ...values: unknown[]): Apply<K, (number | null)[]>;
  /** The lengths of the arrays at `path`. @see https://redis.io/commands/json.arrlen */
  arrlen(key: Key, path?: string): Apply<K, (number | null)[]>;
  /** Pops the element at `index` (the last by default) of the arrays at `path`. @see https://redis.io/commands/json.arrpop */
  arrpop<T = unknown>(key: Key, path?: string, index?: number): Apply<K, (T | null)[]>;
  /** Keeps only `start`…`stop` of the arrays at `path`. @see https://redis.io/commands/json.arrtrim */
  arrtrim(key: Key, path?: string, start?: number, stop?: number): Apply<K, (number | null)[]>;
  /** Empties arrays and objects, zeroes numbers; how many were cleared. @see https://redis.io/commands/json.clear */
  clear(key: Key, path?: string): Apply<K, number>;
  /** Deletes the values at `path`; how many. @see https://redis.io/commands/json.del */
  del(key: Key, path?: string): Apply<K, number>;
  /** Same as `del`. @see https://redis.io/commands/json.forget */
  forget(key: Key, path?: string): Apply<K, number>;
  /**
   * The value at the paths (the root without one), parsed unless in raw mode.
   * @example await redis.json.get<{ name: string }[]>('user:1', '$')
   * @see https://redis.io/commands/json.get
   */
  get<T = unknown>(key: Key, ...paths: string[]): Apply<K, T | null>;
  get<T = unknown>(key: Key, options: JsonGetOptions, ...paths: string[]): Apply<K, T | null>;
  /** Merges `value` into the value at `path` (RFC 7396). @see https://redis.io/commands/json.merge */
  merge(key: Key, path: string, value: unknown): Apply<K, 'OK' | null>;
  /** The values at `path` of many keys. @see https://redis.io/commands/json.mget */
  mget<T = unknown[]>(keys: Key[], path: string): Apply<K, T>;
  /** Sets many values at once. @see https://redis.io/commands/json.mset */
  mset(entries: { key: Key; path: string; value: unknown }[]): Apply<K, 'OK' | null>;
  /** Adds to the numbers at `path`; the new values. @see https://redis.io/commands/json.numincrby */
  numincrby(key: Key, path: string, value: number): Apply<K, (number | null)[]>;
  /** Multiplies the numbers at `path`; the new values. @see https://redis.io/commands/json.nummultby */
  nummultby(key: Key, path: string, value: number): Apply<K, (number | null)[]>;
  /** The keys of the objects at `path`. @see https://redis.io/commands/json.objkeys */
  objkeys(key: Key, path?: string): Apply<K, (string[] | null)[]>;
  /** The number of keys of the objects at `path`. @see https://redis.io/commands/json.objlen */
  objlen(key: Key, path?: string): Apply<K, (number | null)[]>;
  /** The value at `path` in RESP form. @see https://redis.io/commands/json.resp */
  resp(key: Key, path?: string): Apply<K, unknown>;
  /** Sets the value at `path` (`$` for the root); `null` when `nx`/`xx` prevented it. @see https://redis.io/commands/json.set */
  set(
    key: Key,
    path: string,
    value: unknown,
    options?: { nx?: boolean; xx?: boolean },
  ): Apply<K, 'OK' | null>;
  /** Appends to the strings at `path` (`value` is JSON: `'"more"'`). @see https://redis.io/commands/json.strappend */
  strappend(key: Key, path: string, value: string): Apply<K, (number | null)[]>;
  /** The lengths of the strings at `path`. @see https://redis.io/commands/json.strlen */
  strlen(key: Key, path?: string): Apply<K, (number | null)[]>;
  /** Flips the booleans at `path`; their new values as 1/0. @see https://redis.io/commands/json.toggle */
  toggle(key: Key, path: string): Apply<K, number[]>;
  /** The types of the values at `path`. @see https://redis.io/commands/json.type */
  type(key: Key, path?: string): Apply<K, string[]>;
}

/** Replies whose strings are JSON texts (JSON.NUMINCRBY…, JSON.ARRPOP): parsed at any depth unless in raw mode. */
const asJsonDeep = (reply: unknown, value: Decoder): unknown =>
  Array.isArray(reply) ? reply.map((item) => asJsonDeep(item, value)) : value(reply);

const path = (name: string, at: unknown, command: string): WireArg[] =>
  at === undefined ? [] : [str(name, at, command)];

function values(items: readonly unknown[], command: string): WireArg[] {
  if (items.length === 0) throw invalidArgument('values: pass at least one', command);
  return items.map((item) => v(item, command));
}

function keyPath(command: string) {
  return (key: Key, at?: string) => cmd([command, k(key), ...path('path', at, command)]);
}

export const json: CommandTable<JsonCommands<Kind>> = {
  arrappend: (key, at, ...items) =>
    cmd(['JSON.ARRAPPEND', k(key), str('path', at, 'JSON.ARRAPPEND'), ...values(items, 'JSON.ARRAPPEND')]),
  arrindex: (key, at, value, start, stop) => {
    const args: WireArg[] = [
      'JSON.ARRINDEX',
      k(key),
      str('path', at, 'JSON.ARRINDEX'),
      v(value, 'JSON.ARRINDEX'),
    ];
    if (start !== undefined) args.push(int('start', start, 'JSON.ARRINDEX'));
    if (stop !== undefined) {
      if (start === undefined) throw invalidArgument('stop needs start', 'JSON.ARRINDEX');
      args.push(int('stop', stop, 'JSON.ARRINDEX'));
    }
    return cmd(args);
  },
  arrinsert: (key, at, index, ...items) =>
    cmd([
      'JSON.ARRINSERT',
      k(key),
      str('path', at, 'JSON.ARRINSERT'),
      int('index', index, 'JSON.ARRINSERT'),
      ...values(items, 'JSON.ARRINSERT'),
    ]),
  arrlen: keyPath('JSON.ARRLEN'),
  arrpop: (key, at, index) => {
    const args: WireArg[] = ['JSON.ARRPOP', k(key), ...path('path', at, 'JSON.ARRPOP')];
    if (index !== undefined) {
      if (at === undefined) throw invalidArgument('index needs path', 'JSON.ARRPOP');
      args.push(int('index', index, 'JSON.ARRPOP'));
    }
    return cmd(args, asJsonDeep);
  },
  arrtrim: (key, at = '$', start = 0, stop = 0) =>
    cmd([
      'JSON.ARRTRIM',
      k(key),
      str('path', at, 'JSON.ARRTRIM'),
      int('start', start, 'JSON.ARRTRIM'),
      int('stop', stop, 'JSON.ARRTRIM'),
    ]),
  clear: keyPath('JSON.CLEAR'),
  del: keyPath('JSON.DEL'),
  forget: keyPath('JSON.FORGET'),
  get: (key: Key, ...rest: unknown[]) => {
    const args: WireArg[] = ['JSON.GET', k(key)];
    let paths = rest;
    const first = rest[0];
    if (first !== undefined && typeof first !== 'string') {
      const format = opts(first as JsonGetOptions, 'JSON.GET') ?? {};
      if (format.indent !== undefined) args.push('INDENT', str('indent', format.indent, 'JSON.GET'));
      if (format.newline !== undefined) args.push('NEWLINE', str('newline', format.newline, 'JSON.GET'));
      if (format.space !== undefined) args.push('SPACE', str('space', format.space, 'JSON.GET'));
      paths = rest.slice(1);
    }
    for (const at of paths) args.push(str('path', at, 'JSON.GET'));
    return cmd(args, asValue);
  },
  merge: (key, at, value) =>
    cmd(['JSON.MERGE', k(key), str('path', at, 'JSON.MERGE'), v(value, 'JSON.MERGE')]),
  mget: (keys, at) =>
    cmd(['JSON.MGET', ...keyList(keys, 'JSON.MGET'), str('path', at, 'JSON.MGET')], asValues),
  mset: (entries) => {
    const args: WireArg[] = ['JSON.MSET'];
    if (list(entries, 'JSON.MSET', 'entries').length === 0) {
      throw invalidArgument('entries: pass at least one', 'JSON.MSET');
    }
    for (const entry of entries) {
      if (opts(entry, 'JSON.MSET', 'entry') === undefined) {
        throw invalidArgument('entries: each is { key, path, value }', 'JSON.MSET');
      }
      args.push(k(entry.key, 'JSON.MSET'), str('path', entry.path, 'JSON.MSET'), v(entry.value, 'JSON.MSET'));
    }
    return cmd(args);
  },
  numincrby: (key, at, value) =>
    cmd(
      ['JSON.NUMINCRBY', k(key), str('path', at, 'JSON.NUMINCRBY'), num('value', value, 'JSON.NUMINCRBY')],
      asJsonDeep,
    ),
  nummultby: (key, at, value) =>
    cmd(
      ['JSON.NUMMULTBY', k(key), str('path', at, 'JSON.NUMMULTBY'), num('value', value, 'JSON.NUMMULTBY')],
      asJsonDeep,
    ),
  objkeys: keyPath('JSON.OBJKEYS'),
  objlen: keyPath('JSON.OBJLEN'),
  resp: keyPath('JSON.RESP'),
  set: (key, at, value, options) => {
    const args: WireArg[] = ['JSON.SET', k(key), str('path', at, 'JSON.SET'), v(value, 'JSON.SET')];
    const condition = oneOf(options, ['nx', 'xx'], 'JSON.SET');
    if (condition) args.push(condition.toUpperCase());
    return cmd(args);
  },
  strappend: (key, at, value) =>
    cmd(['JSON.STRAPPEND', k(key), str('path', at, 'JSON.STRAPPEND'), str('value', value, 'JSON.STRAPPEND')]),
  strlen: keyPath('JSON.STRLEN'),
  toggle: (key, at) => cmd(['JSON.TOGGLE', k(key), str('path', at, 'JSON.TOGGLE')]),
  type: keyPath('JSON.TYPE'),
};
