import {
  type Apply,
  asFloat,
  asHash,
  asValue,
  asValues,
  type CommandTable,
  cmd,
  entries,
  int,
  type Kind,
  k,
  keyList,
  num,
  oneOf,
  opts,
  str,
  v,
  word,
} from '../command.js';
import { invalidArgument } from '../errors.js';
import type { Decoder, Key, WireArg } from '../values.js';
import { type ScanOptions, scanArgs } from './scan.js';

/** Condition of the hash-field expiry commands. */
export type FieldExpiryCondition = 'NX' | 'XX' | 'GT' | 'LT';

/** Expiry of HGETEX: at most one. */
export interface HGetExOptions {
  ex?: number;
  px?: number;
  exat?: number;
  pxat?: number;
  persist?: boolean;
}

/** Options of HSETEX. */
export interface HSetExOptions {
  /** `FNX`: only if no field exists; `FXX`: only if all exist. */
  conditional?: 'FNX' | 'FXX';
  expiration?: { ex?: number; px?: number; exat?: number; pxat?: number; keepTtl?: boolean };
}

/** Hash commands. Fields come back as strings; values are deserialized unless in raw mode. */
export interface HashCommands<K extends Kind, V> {
  /** Deletes fields; returns how many existed. @see https://redis.io/commands/hdel */
  hdel(key: Key, ...fields: Key[]): Apply<K, number>;
  /** 1 if the field exists, else 0. @see https://redis.io/commands/hexists */
  hexists(key: Key, field: Key): Apply<K, number>;
  /** Sets a time to live in seconds on fields (Redis 7.4+); one code per field. @see https://redis.io/commands/hexpire */
  hexpire(
    key: Key,
    fields: Key | Key[],
    seconds: number,
    condition?: FieldExpiryCondition,
  ): Apply<K, number[]>;
  /** Sets an expiry Unix time in seconds on fields (Redis 7.4+). @see https://redis.io/commands/hexpireat */
  hexpireat(
    key: Key,
    fields: Key | Key[],
    timestamp: number,
    condition?: FieldExpiryCondition,
  ): Apply<K, number[]>;
  /** The expiry Unix time in seconds of fields (Redis 7.4+). @see https://redis.io/commands/hexpiretime */
  hexpiretime(key: Key, fields: Key | Key[]): Apply<K, number[]>;
  /** The value of a field, or `null`. @see https://redis.io/commands/hget */
  hget<T = V>(key: Key, field: Key): Apply<K, T | null>;
  /** The exact bytes of a field, or `null`. @see https://redis.io/commands/hget */
  hgetBytes(key: Key, field: Key): Apply<K, Uint8Array | null>;
  /** Every field and value as an object, or `null` if the hash does not exist. @see https://redis.io/commands/hgetall */
  hgetall<T extends Record<string, unknown> = Record<string, V>>(key: Key): Apply<K, T | null>;
  /** Returns fields and deletes them (Redis 8+); `null` if none existed. @see https://redis.io/commands/hgetdel */
  hgetdel<T extends Record<string, unknown> = Record<string, V | null>>(
    key: Key,
    ...fields: Key[]
  ): Apply<K, T | null>;
  /** Returns fields and changes their expiry (Redis 8+). @see https://redis.io/commands/hgetex */
  hgetex<T extends Record<string, unknown> = Record<string, V | null>>(
    key: Key,
    options: HGetExOptions,
    ...fields: Key[]
  ): Apply<K, T | null>;
  /** Increments an integer field. @see https://redis.io/commands/hincrby */
  hincrby(key: Key, field: Key, increment: number): Apply<K, number>;
  /** Increments a float field. @see https://redis.io/commands/hincrbyfloat */
  hincrbyfloat(key: Key, field: Key, increment: number): Apply<K, number>;
  /** Every field name. @see https://redis.io/commands/hkeys */
  hkeys(key: Key): Apply<K, string[]>;
  /** The number of fields. @see https://redis.io/commands/hlen */
  hlen(key: Key): Apply<K, number>;
  /** The values of fields as an object keyed by field, or `null` if none exists. @see https://redis.io/commands/hmget */
  hmget<T extends Record<string, unknown> = Record<string, V | null>>(
    key: Key,
    ...fields: Key[]
  ): Apply<K, T | null>;
  /** Sets fields (same as HSET). @see https://redis.io/commands/hmset */
  hmset(key: Key, values: Record<string, unknown>): Apply<K, 'OK'>;
  /** Removes the expiry of fields (Redis 7.4+). @see https://redis.io/commands/hpersist */
  hpersist(key: Key, fields: Key | Key[]): Apply<K, number[]>;
  /** Sets a time to live in milliseconds on fields (Redis 7.4+). @see https://redis.io/commands/hpexpire */
  hpexpire(
    key: Key,
    fields: Key | Key[],
    milliseconds: number,
    condition?: FieldExpiryCondition,
  ): Apply<K, number[]>;
  /** Sets an expiry Unix time in milliseconds on fields (Redis 7.4+). @see https://redis.io/commands/hpexpireat */
  hpexpireat(
    key: Key,
    fields: Key | Key[],
    timestamp: number,
    condition?: FieldExpiryCondition,
  ): Apply<K, number[]>;
  /** The expiry Unix time in milliseconds of fields (Redis 7.4+). @see https://redis.io/commands/hpexpiretime */
  hpexpiretime(key: Key, fields: Key | Key[]): Apply<K, number[]>;
  /** The time to live in milliseconds of fields (Redis 7.4+). @see https://redis.io/commands/hpttl */
  hpttl(key: Key, fields: Key | Key[]): Apply<K, number[]>;
  /**
   * Random fields: one field name (or `null`), `count` names, or with `withValues`
   * an object of fields and values.
   * @see https://redis.io/commands/hrandfield
   */
  hrandfield<T = string | null>(key: Key): Apply<K, T>;
  hrandfield<T = string[]>(key: Key, count: number, withValues?: false): Apply<K, T>;
  hrandfield<T = Record<string, V>>(key: Key, count: number, withValues: true): Apply<K, T>;
  hrandfield<T = string | string[] | Record<string, V> | null>(
    key: Key,
    count?: number,
    withValues?: boolean,
  ): Apply<K, T>;
  /** One step of a hash scan: the next cursor and `[field, value, field, value…]`. @see https://redis.io/commands/hscan */
  hscan(
    key: Key,
    cursor: string | number,
    options?: Omit<ScanOptions, 'type'>,
  ): Apply<K, [cursor: string, items: (string | V)[]]>;
  /** Sets fields; returns how many were new. @see https://redis.io/commands/hset */
  hset(key: Key, values: Record<string, unknown>): Apply<K, number>;
  /** Sets fields with an expiry (Redis 8+); 1 if set, 0 if not. @see https://redis.io/commands/hsetex */
  hsetex(key: Key, options: HSetExOptions, values: Record<string, unknown>): Apply<K, number>;
  /** Sets a field only if it does not exist; 1 if set. @see https://redis.io/commands/hsetnx */
  hsetnx(key: Key, field: Key, value: unknown): Apply<K, number>;
  /** The length of a field's value. @see https://redis.io/commands/hstrlen */
  hstrlen(key: Key, field: Key): Apply<K, number>;
  /** The time to live in seconds of fields (Redis 7.4+). @see https://redis.io/commands/httl */
  httl(key: Key, fields: Key | Key[]): Apply<K, number[]>;
  /** Every value. @see https://redis.io/commands/hvals */
  hvals<T = V>(key: Key): Apply<K, T[]>;
}

function fieldsArgs(fields: Key | Key[], command: string): WireArg[] {
  const list = keyList(fields, command, 'fields');
  return ['FIELDS', list.length, ...list];
}

function fieldExpiry(command: string) {
  return (key: Key, fields: Key | Key[], time: number, condition?: FieldExpiryCondition) =>
    cmd([
      command,
      k(key),
      int('time', time, command),
      ...(condition === undefined ? [] : [word('condition', condition, ['NX', 'XX', 'GT', 'LT'], command)]),
      ...fieldsArgs(fields, command),
    ]);
}

function fieldQuery(command: string) {
  return (key: Key, fields: Key | Key[]) => cmd([command, k(key), ...fieldsArgs(fields, command)]);
}

const utf8 = /* @__PURE__ */ new TextDecoder();

/** Values of named fields as an object, keyed by field text; `null` when every one is missing. */
function byField(fields: readonly Key[]) {
  const names = fields.map((field) => (typeof field === 'string' ? field : utf8.decode(field)));
  return (reply: unknown[], value: Decoder) => {
    if (reply.every((item) => item === null)) return null;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) out[names[i]!] = value(reply[i] ?? null);
    return out;
  };
}

/** HSCAN items: fields as they are, values deserialized. */
export function scanPairs(reply: [string, unknown[]], value: Decoder): [string, unknown[]] {
  const items = reply[1];
  const out = new Array(items.length);
  for (let i = 0; i < items.length; i += 2) {
    out[i] = items[i];
    out[i + 1] = value(items[i + 1]);
  }
  return [String(reply[0]), out];
}

export const hashes: CommandTable<HashCommands<Kind, unknown>> = {
  hdel: (key, ...fields) => cmd(['HDEL', k(key), ...keyList(fields, 'HDEL', 'fields')]),
  hexists: (key, field) => cmd(['HEXISTS', k(key), k(field)]),
  hexpire: fieldExpiry('HEXPIRE'),
  hexpireat: fieldExpiry('HEXPIREAT'),
  hexpiretime: fieldQuery('HEXPIRETIME'),
  hget: (key, field) => cmd(['HGET', k(key), k(field)], asValue),
  hgetBytes: (key, field) => ({ args: ['HGET', k(key), k(field)], bytes: true }),
  hgetall: (key) => cmd(['HGETALL', k(key)], asHash),
  hgetdel: (key, ...fields) => {
    const list = keyList(fields, 'HGETDEL', 'fields');
    return cmd(['HGETDEL', k(key), 'FIELDS', list.length, ...list], byField(list));
  },
  hgetex: (key, options, ...fields) => {
    opts(options, 'HGETEX');
    const list = keyList(fields, 'HGETEX', 'fields');
    if (options === undefined)
      throw invalidArgument('options: pass the expiry ({ ex }, { persist: true }…)', 'HGETEX');
    const which = oneOf(options, ['ex', 'px', 'exat', 'pxat', 'persist'], 'HGETEX');
    const expiry: WireArg[] =
      which === undefined
        ? []
        : which === 'persist'
          ? ['PERSIST']
          : [which.toUpperCase(), int(which, options[which], 'HGETEX')];
    return cmd(['HGETEX', k(key), ...expiry, 'FIELDS', list.length, ...list], byField(list));
  },
  hincrby: (key, field, increment) =>
    cmd(['HINCRBY', k(key), k(field), int('increment', increment, 'HINCRBY')]),
  hincrbyfloat: (key, field, increment) =>
    cmd(['HINCRBYFLOAT', k(key), k(field), num('increment', increment, 'HINCRBYFLOAT')], asFloat),
  hkeys: (key) => cmd(['HKEYS', k(key)]),
  hlen: (key) => cmd(['HLEN', k(key)]),
  hmget: (key, ...fields) => {
    const list = keyList(fields, 'HMGET', 'fields');
    return cmd(['HMGET', k(key), ...list], byField(list));
  },
  hmset: (key, values) => cmd(['HMSET', k(key), ...entries(values, 'HMSET', 'values')]),
  hpersist: fieldQuery('HPERSIST'),
  hpexpire: fieldExpiry('HPEXPIRE'),
  hpexpireat: fieldExpiry('HPEXPIREAT'),
  hpexpiretime: fieldQuery('HPEXPIRETIME'),
  hpttl: fieldQuery('HPTTL'),
  hrandfield: (key, count, withValues) => {
    if (count === undefined) return cmd(['HRANDFIELD', k(key)]);
    const args: WireArg[] = ['HRANDFIELD', k(key), int('count', count, 'HRANDFIELD')];
    if (!withValues) return cmd(args);
    args.push('WITHVALUES');
    return cmd(args, (reply: unknown[], value: Decoder) => asHash(reply, value) ?? {});
  },
  hscan: (key, cursor, options) =>
    cmd(['HSCAN', k(key), str('cursor', cursor, 'HSCAN'), ...scanArgs(options, 'HSCAN')], scanPairs),
  hset: (key, values) => cmd(['HSET', k(key), ...entries(values, 'HSET', 'values')]),
  hsetex: (key, options, values) => {
    const args: WireArg[] = ['HSETEX', k(key)];
    opts(options, 'HSETEX');
    if (options === undefined) throw invalidArgument('options: pass { conditional?, expiration? }', 'HSETEX');
    if (options.conditional !== undefined)
      args.push(word('conditional', options.conditional, ['FNX', 'FXX'], 'HSETEX'));
    const e = options.expiration;
    const which = oneOf(e, ['ex', 'px', 'exat', 'pxat', 'keepTtl'], 'HSETEX');
    if (which === 'keepTtl') args.push('KEEPTTL');
    else if (which !== undefined) args.push(which.toUpperCase(), int(which, e?.[which], 'HSETEX'));
    const pairs = entries(values, 'HSETEX', 'values');
    return cmd([...args, 'FIELDS', pairs.length / 2, ...pairs]);
  },
  hsetnx: (key, field, value) => cmd(['HSETNX', k(key), k(field), v(value, 'HSETNX')]),
  hstrlen: (key, field) => cmd(['HSTRLEN', k(key), k(field)]),
  httl: fieldQuery('HTTL'),
  hvals: (key) => cmd(['HVALS', k(key)], asValues),
};
