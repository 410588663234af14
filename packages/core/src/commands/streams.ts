import {
  type Apply,
  asRecord,
  type CommandTable,
  cmd,
  entries,
  int,
  type Kind,
  k,
  keyList,
  nonEmpty,
  num,
  opts,
  str,
  word,
} from '../command.js';
import { invalidArgument } from '../errors.js';
import type { Decoder, Key, WireArg } from '../values.js';

/** A stream entry: its ID and its fields (values deserialized unless in raw mode). */
export interface StreamEntry<T = unknown> {
  id: string;
  fields: Record<string, T>;
}

/** The entries read from one stream by XREAD/XREADGROUP. */
export interface StreamRead<T = unknown> {
  stream: string;
  entries: StreamEntry<T>[];
}

/** Trimming of XADD and XTRIM. */
export interface StreamTrim {
  /** `MAXLEN`: keep at most `threshold` entries; `MINID`: drop entries with lower IDs. */
  type: 'MAXLEN' | 'MINID' | 'maxlen' | 'minid';
  /** `~` lets Redis trim less, in whole nodes (faster). @default '=' */
  comparison?: '=' | '~';
  threshold: number | string;
  /** With `~`: trim at most this many entries. */
  limit?: number;
}

/** Options of XADD. */
export interface XAddOptions {
  /** Do not create the stream if it does not exist (the reply is then `null`). */
  nomkStream?: boolean;
  trim?: StreamTrim;
}

/** What XGROUP does: create a group or consumer, delete one, destroy a group, move its last ID. */
export type XGroupOptions =
  | { type: 'CREATE'; group: string; id: string; options?: { MKSTREAM?: boolean; ENTRIESREAD?: number } }
  | { type: 'CREATECONSUMER'; group: string; consumer: string }
  | { type: 'DELCONSUMER'; group: string; consumer: string }
  | { type: 'DESTROY'; group: string }
  | { type: 'SETID'; group: string; id: string; options?: { ENTRIESREAD?: number } };

/** The summary form of XPENDING. */
export interface PendingSummary {
  count: number;
  minId: string | null;
  maxId: string | null;
  consumers: { name: string; count: number }[];
}

/** One pending entry of the detailed form of XPENDING. */
export interface PendingEntry {
  id: string;
  consumer: string;
  idleMs: number;
  deliveries: number;
}

/** Stream commands, including consumer groups. Blocking reads cannot work over HTTP and are not offered. */
export interface StreamCommands<K extends Kind, V> {
  /** Acknowledges entries; returns how many were pending. @see https://redis.io/commands/xack */
  xack(key: Key, group: string, ...ids: string[]): Apply<K, number>;
  /** Appends an entry; returns its ID (`null` with `nomkStream` when the stream is missing). @see https://redis.io/commands/xadd */
  xadd(
    key: Key,
    id: '*' | string,
    fields: Record<string, unknown>,
    options?: XAddOptions & { nomkStream?: false },
  ): Apply<K, string>;
  xadd(
    key: Key,
    id: '*' | string,
    fields: Record<string, unknown>,
    options?: XAddOptions,
  ): Apply<K, string | null>;
  /** Claims entries idle for `minIdleTime` ms, from `start`: `{ next, entries, deleted }`. @see https://redis.io/commands/xautoclaim */
  xautoclaim<T = V>(
    key: Key,
    group: string,
    consumer: string,
    minIdleTime: number,
    start: string,
    options?: { count?: number },
  ): Apply<K, { next: string; entries: StreamEntry<T>[]; deleted: string[] }>;
  /** Claims entries for `consumer`; returns them. @see https://redis.io/commands/xclaim */
  xclaim<T = V>(
    key: Key,
    group: string,
    consumer: string,
    minIdleTime: number,
    ids: string[],
    options?: { idleMs?: number; timeMs?: number; retryCount?: number; force?: boolean; lastId?: string },
  ): Apply<K, StreamEntry<T>[]>;
  /** Deletes entries; returns how many existed. @see https://redis.io/commands/xdel */
  xdel(key: Key, ...ids: string[]): Apply<K, number>;
  /** Manages consumer groups. @see https://redis.io/commands/xgroup */
  xgroup(key: Key, options: XGroupOptions): Apply<K, 'OK' | number>;
  /**
   * Information about a stream (`full` for every entry, group and pending entry,
   * up to `count`), its groups, or a group's consumers, as objects.
   * @see https://redis.io/commands/xinfo
   */
  xinfo(
    key: Key,
    options:
      | { type: 'STREAM'; full?: boolean | { count: number } }
      | { type: 'GROUPS' }
      | { type: 'CONSUMERS'; group: string },
  ): Apply<K, Record<string, unknown> | Record<string, unknown>[]>;
  /** The number of entries. @see https://redis.io/commands/xlen */
  xlen(key: Key): Apply<K, number>;
  /**
   * Pending entries of a group: the summary, or with `start`/`end`/`count` the entries.
   * @see https://redis.io/commands/xpending
   */
  xpending<T = PendingSummary>(key: Key, group: string): Apply<K, T>;
  xpending<T = PendingEntry[]>(
    key: Key,
    group: string,
    options: { start: string; end: string; count: number; consumer?: string; idleMs?: number },
  ): Apply<K, T>;
  xpending<T = PendingSummary | PendingEntry[]>(
    key: Key,
    group: string,
    options?: { start: string; end: string; count: number; consumer?: string; idleMs?: number },
  ): Apply<K, T>;
  /** Entries between two IDs (`-` and `+` for the ends). @see https://redis.io/commands/xrange */
  xrange<T = V>(key: Key, start?: string, end?: string, count?: number): Apply<K, StreamEntry<T>[]>;
  /** Entries after the given IDs of each stream, or `null` if none. @see https://redis.io/commands/xread */
  xread<T = V>(
    keys: Key | Key[],
    ids: string | string[],
    options?: { count?: number },
  ): Apply<K, StreamRead<T>[] | null>;
  /** Reads as a group consumer (`>` for new entries). @see https://redis.io/commands/xreadgroup */
  xreadgroup<T = V>(
    group: string,
    consumer: string,
    keys: Key | Key[],
    ids: string | string[],
    options?: { count?: number; noAck?: boolean },
  ): Apply<K, StreamRead<T>[] | null>;
  /** Entries between two IDs, newest first. @see https://redis.io/commands/xrevrange */
  xrevrange<T = V>(key: Key, end?: string, start?: string, count?: number): Apply<K, StreamEntry<T>[]>;
  /** Sets the last ID of a stream. @see https://redis.io/commands/xsetid */
  xsetid(
    key: Key,
    lastId: string,
    options?: { entriesAdded?: number; maxDeletedId?: string },
  ): Apply<K, 'OK'>;
  /** Trims the stream; returns how many entries were removed. @see https://redis.io/commands/xtrim */
  xtrim(key: Key, trim: StreamTrim): Apply<K, number>;
}

function trimArgs(trim: StreamTrim, command: string): WireArg[] {
  if (opts(trim, command, 'trim') === undefined)
    throw invalidArgument('trim: pass { type, threshold }', command);
  const type = word('trim type', trim.type, ['MAXLEN', 'MINID'], command);
  const comparison =
    trim.comparison === undefined ? '=' : word('comparison', trim.comparison, ['=', '~'], command);
  const threshold =
    typeof trim.threshold === 'string' ? trim.threshold : num('threshold', trim.threshold, command);
  const args: WireArg[] = [type, comparison, threshold];
  if (trim.limit !== undefined) {
    if (trim.comparison !== '~') throw invalidArgument("trim limit needs comparison '~'", command);
    args.push('LIMIT', int('limit', trim.limit, command));
  }
  return args;
}

function entry(raw: unknown, value: Decoder): StreamEntry | null {
  if (!Array.isArray(raw)) return null;
  const [id, list] = raw as [string, unknown[] | null];
  const fields: Record<string, unknown> = {};
  if (list) for (let i = 0; i < list.length; i += 2) fields[String(list[i])] = value(list[i + 1]);
  return { id: String(id), fields };
}

function entryList(reply: unknown, value: Decoder): StreamEntry[] {
  const out: StreamEntry[] = [];
  for (const raw of (reply as unknown[]) ?? []) {
    const parsed = entry(raw, value);
    if (parsed) out.push(parsed);
  }
  return out;
}

function reads(reply: unknown, value: Decoder): StreamRead[] | null {
  if (reply === null) return null;
  return (reply as [string, unknown[]][]).map(([stream, list]) => ({
    stream: String(stream),
    entries: entryList(list, value),
  }));
}

function streamsArgs(keys: Key | Key[], ids: string | string[], command: string): WireArg[] {
  const keyArray = keyList(keys, command);
  const idArray = Array.isArray(ids) ? ids : [ids];
  if (keyArray.length !== idArray.length) throw invalidArgument('give one ID per stream key', command);
  return ['STREAMS', ...keyArray, ...idArray];
}

export const streams: CommandTable<StreamCommands<Kind, unknown>> = {
  xack: (key, group, ...ids) => cmd(['XACK', k(key), group, ...nonEmpty(ids, 'XACK', 'ids')]),
  xadd: (key, id, fields, options) => {
    const args: WireArg[] = ['XADD', k(key)];
    opts(options, 'XADD');
    if (options?.nomkStream) args.push('NOMKSTREAM');
    if (options?.trim) args.push(...trimArgs(options.trim, 'XADD'));
    return cmd([...args, str('id', id, 'XADD'), ...entries(fields, 'XADD', 'fields')]);
  },
  xautoclaim: (key, group, consumer, minIdleTime, start, options) => {
    const args: WireArg[] = [
      'XAUTOCLAIM',
      k(key),
      group,
      consumer,
      int('minIdleTime', minIdleTime, 'XAUTOCLAIM'),
      start,
    ];
    if (opts(options, 'XAUTOCLAIM')?.count !== undefined)
      args.push('COUNT', int('count', options?.count, 'XAUTOCLAIM'));
    return cmd(args, (reply: [string, unknown[], unknown[]?], value: Decoder) => ({
      next: String(reply[0]),
      entries: entryList(reply[1], value),
      deleted: (reply[2] ?? []).map(String),
    }));
  },
  xclaim: (key, group, consumer, minIdleTime, ids, options) => {
    const args: WireArg[] = [
      'XCLAIM',
      k(key),
      group,
      consumer,
      int('minIdleTime', minIdleTime, 'XCLAIM'),
      ...nonEmpty(ids, 'XCLAIM', 'ids'),
    ];
    opts(options, 'XCLAIM');
    if (options?.idleMs !== undefined) args.push('IDLE', int('idleMs', options.idleMs, 'XCLAIM'));
    if (options?.timeMs !== undefined) args.push('TIME', int('timeMs', options.timeMs, 'XCLAIM'));
    if (options?.retryCount !== undefined)
      args.push('RETRYCOUNT', int('retryCount', options.retryCount, 'XCLAIM'));
    if (options?.force) args.push('FORCE');
    if (options?.lastId !== undefined) args.push('LASTID', options.lastId);
    return cmd(args, entryList);
  },
  xdel: (key, ...ids) => cmd(['XDEL', k(key), ...nonEmpty(ids, 'XDEL', 'ids')]),
  xgroup: (key, options) => {
    if (opts(options, 'XGROUP') === undefined)
      throw invalidArgument('options: pass { type, group, … }', 'XGROUP');
    switch (options.type) {
      case 'CREATE': {
        const args: WireArg[] = ['XGROUP', 'CREATE', k(key), options.group, options.id];
        if (options.options?.MKSTREAM) args.push('MKSTREAM');
        if (options.options?.ENTRIESREAD !== undefined) args.push('ENTRIESREAD', options.options.ENTRIESREAD);
        return cmd(args);
      }
      case 'CREATECONSUMER':
      case 'DELCONSUMER':
        return cmd(['XGROUP', options.type, k(key), options.group, options.consumer]);
      case 'DESTROY':
        return cmd(['XGROUP', 'DESTROY', k(key), options.group]);
      case 'SETID': {
        const args: WireArg[] = ['XGROUP', 'SETID', k(key), options.group, options.id];
        if (options.options?.ENTRIESREAD !== undefined) args.push('ENTRIESREAD', options.options.ENTRIESREAD);
        return cmd(args);
      }
      default:
        throw invalidArgument(
          `type must be CREATE, CREATECONSUMER, DELCONSUMER, DESTROY or SETID, got ${(options as { type: unknown }).type}`,
          'XGROUP',
        );
    }
  },
  xinfo: (key, options) => {
    if (opts(options, 'XINFO') === undefined) throw invalidArgument('options: pass { type }', 'XINFO');
    if (options.type !== 'STREAM' && options.type !== 'GROUPS' && options.type !== 'CONSUMERS') {
      throw invalidArgument(
        `type must be STREAM, GROUPS or CONSUMERS, got ${String((options as { type: unknown }).type)}`,
        'XINFO',
      );
    }
    if (options.type === 'STREAM') {
      const args: WireArg[] = ['XINFO', 'STREAM', k(key)];
      const { full } = options;
      if (full) args.push('FULL');
      if (typeof full === 'object') args.push('COUNT', int('count', full.count, 'XINFO'));
      return cmd(args, asRecord);
    }
    const args: WireArg[] =
      options.type === 'GROUPS' ? ['XINFO', 'GROUPS', k(key)] : ['XINFO', 'CONSUMERS', k(key), options.group];
    return cmd(args, (reply: unknown[]) => reply.map(asRecord));
  },
  xlen: (key) => cmd(['XLEN', k(key)]),
  xpending: (key, group, options) => {
    if (!opts(options, 'XPENDING') || !options) {
      return cmd(
        ['XPENDING', k(key), group],
        (reply: [number, string | null, string | null, [string, string][] | null]) => ({
          count: reply[0],
          minId: reply[1],
          maxId: reply[2],
          consumers: (reply[3] ?? []).map(([name, count]) => ({ name: String(name), count: Number(count) })),
        }),
      );
    }
    const args: WireArg[] = ['XPENDING', k(key), group];
    if (options.idleMs !== undefined) args.push('IDLE', int('idleMs', options.idleMs, 'XPENDING'));
    args.push(options.start, options.end, int('count', options.count, 'XPENDING'));
    if (options.consumer !== undefined) args.push(options.consumer);
    return cmd(args, (reply: [string, string, number, number][]) =>
      reply.map(([id, consumer, idleMs, deliveries]) => ({ id, consumer, idleMs, deliveries })),
    );
  },
  xrange: (key, start = '-', end = '+', count) =>
    cmd(
      [
        'XRANGE',
        k(key),
        start,
        end,
        ...(count === undefined ? [] : ['COUNT', int('count', count, 'XRANGE')]),
      ],
      entryList,
    ),
  xread: (keys, ids, options) => {
    opts(options, 'XREAD');
    return cmd(
      [
        'XREAD',
        ...(options?.count === undefined ? [] : ['COUNT', int('count', options.count, 'XREAD')]),
        ...streamsArgs(keys, ids, 'XREAD'),
      ],
      reads,
    );
  },
  xreadgroup: (group, consumer, keys, ids, options) => {
    opts(options, 'XREADGROUP');
    const args: WireArg[] = ['XREADGROUP', 'GROUP', group, consumer];
    if (options?.count !== undefined) args.push('COUNT', int('count', options.count, 'XREADGROUP'));
    if (options?.noAck) args.push('NOACK');
    return cmd([...args, ...streamsArgs(keys, ids, 'XREADGROUP')], reads);
  },
  xrevrange: (key, end = '+', start = '-', count) =>
    cmd(
      [
        'XREVRANGE',
        k(key),
        end,
        start,
        ...(count === undefined ? [] : ['COUNT', int('count', count, 'XREVRANGE')]),
      ],
      entryList,
    ),
  xsetid: (key, lastId, options) => {
    opts(options, 'XSETID');
    const args: WireArg[] = ['XSETID', k(key), lastId];
    if (options?.entriesAdded !== undefined)
      args.push('ENTRIESADDED', int('entriesAdded', options.entriesAdded, 'XSETID'));
    if (options?.maxDeletedId !== undefined) args.push('MAXDELETEDID', options.maxDeletedId);
    return cmd(args);
  },
  xtrim: (key, trim) => cmd(['XTRIM', k(key), ...trimArgs(trim, 'XTRIM')]),
};
