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
  str,
  v,
} from '../command.js';
import type { Decoder, Key, WireArg } from '../values.js';
import { type ScanOptions, scanArgs } from './scan.js';

/** Set commands. Members are deserialized unless in raw mode. */
export interface SetCommands<K extends Kind, V> {
  /** Adds members; returns how many were new. @see https://redis.io/commands/sadd */
  sadd<T = unknown>(key: Key, ...members: NoInfer<T>[]): Apply<K, number>;
  /** The number of members. @see https://redis.io/commands/scard */
  scard(key: Key): Apply<K, number>;
  /** Members of the first set that are in none of the others. @see https://redis.io/commands/sdiff */
  sdiff<T = V>(key: Key, ...keys: Key[]): Apply<K, T[]>;
  /** SDIFF stored into `destination`; returns its size. @see https://redis.io/commands/sdiffstore */
  sdiffstore(destination: Key, ...keys: Key[]): Apply<K, number>;
  /** Members in every set. @see https://redis.io/commands/sinter */
  sinter<T = V>(key: Key, ...keys: Key[]): Apply<K, T[]>;
  /** The size of the intersection, counting up to `limit`. @see https://redis.io/commands/sintercard */
  sintercard(keys: Key[], options?: { limit?: number }): Apply<K, number>;
  /** SINTER stored into `destination`. @see https://redis.io/commands/sinterstore */
  sinterstore(destination: Key, ...keys: Key[]): Apply<K, number>;
  /** 1 if `member` is in the set, else 0. @see https://redis.io/commands/sismember */
  sismember(key: Key, member: unknown): Apply<K, 0 | 1>;
  /** Every member. @see https://redis.io/commands/smembers */
  smembers<T = V>(key: Key): Apply<K, T[]>;
  /** 1 or 0 for each of `members`. @see https://redis.io/commands/smismember */
  smismember(key: Key, members: unknown[]): Apply<K, (0 | 1)[]>;
  /** Moves `member` to `destination`; 1 if moved. @see https://redis.io/commands/smove */
  smove(source: Key, destination: Key, member: unknown): Apply<K, 0 | 1>;
  /** Removes and returns a random member (`null` if none), or `count` members as an array. @see https://redis.io/commands/spop */
  spop<T = V>(key: Key): Apply<K, T | null>;
  spop<T = V>(key: Key, count: number): Apply<K, Many<T>>;
  spop<T = V>(key: Key, count?: number): Apply<K, T | Many<T> | null>;
  /** A random member (`null` if none), or `count` members as an array (negative: may repeat). @see https://redis.io/commands/srandmember */
  srandmember<T = V>(key: Key): Apply<K, T | null>;
  srandmember<T = V>(key: Key, count: number): Apply<K, Many<T>>;
  srandmember<T = V>(key: Key, count?: number): Apply<K, T | Many<T> | null>;
  /** Removes members; returns how many existed. @see https://redis.io/commands/srem */
  srem<T = unknown>(key: Key, ...members: NoInfer<T>[]): Apply<K, number>;
  /** One step of a set scan: the next cursor and members. @see https://redis.io/commands/sscan */
  sscan<T = V>(
    key: Key,
    cursor: string | number,
    options?: Omit<ScanOptions, 'type'>,
  ): Apply<K, [cursor: string, members: T[]]>;
  /** Members of any of the sets. @see https://redis.io/commands/sunion */
  sunion<T = V>(key: Key, ...keys: Key[]): Apply<K, T[]>;
  /** SUNION stored into `destination`. @see https://redis.io/commands/sunionstore */
  sunionstore(destination: Key, ...keys: Key[]): Apply<K, number>;
}

function combine(command: string) {
  return (key: Key, ...keys: Key[]) => cmd([command, k(key), ...keys.map((x) => k(x, command))], asValues);
}

function store(command: string) {
  return (destination: Key, ...keys: Key[]) => cmd([command, k(destination), ...keyList(keys, command)]);
}

function members(list: unknown[], command: string): WireArg[] {
  return nonEmpty(list, command, 'members').map((member) => v(member, command));
}

function random(command: string) {
  return (key: Key, count?: number) =>
    count === undefined
      ? cmd([command, k(key)], asValue)
      : cmd([command, k(key), int('count', count, command)], asValues);
}

export const sets: CommandTable<SetCommands<Kind, unknown>> = {
  sadd: (key, ...list) => cmd(['SADD', k(key), ...members(list, 'SADD')]),
  scard: (key) => cmd(['SCARD', k(key)]),
  sdiff: combine('SDIFF'),
  sdiffstore: store('SDIFFSTORE'),
  sinter: combine('SINTER'),
  sintercard: (keys, options) => {
    const list = keyList(keys, 'SINTERCARD');
    opts(options, 'SINTERCARD');
    const args: WireArg[] = ['SINTERCARD', list.length, ...list];
    if (options?.limit !== undefined) args.push('LIMIT', int('limit', options.limit, 'SINTERCARD'));
    return cmd(args);
  },
  sinterstore: store('SINTERSTORE'),
  sismember: (key, member) => cmd(['SISMEMBER', k(key), v(member, 'SISMEMBER')]),
  smembers: (key) => cmd(['SMEMBERS', k(key)], asValues),
  smismember: (key, list) => cmd(['SMISMEMBER', k(key), ...members(list, 'SMISMEMBER')]),
  smove: (source, destination, member) => cmd(['SMOVE', k(source), k(destination), v(member, 'SMOVE')]),
  spop: random('SPOP'),
  srandmember: random('SRANDMEMBER'),
  srem: (key, ...list) => cmd(['SREM', k(key), ...members(list, 'SREM')]),
  sscan: (key, cursor, options) =>
    cmd(
      ['SSCAN', k(key), str('cursor', cursor, 'SSCAN'), ...scanArgs(options, 'SSCAN')],
      (reply: [string, unknown[]], value: Decoder) => [String(reply[0]), reply[1].map(value)],
    ),
  sunion: combine('SUNION'),
  sunionstore: store('SUNIONSTORE'),
};
