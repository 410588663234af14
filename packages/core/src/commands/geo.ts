import {
  type Apply,
  asFloat,
  type CommandTable,
  cmd,
  int,
  type Kind,
  k,
  nonEmpty,
  num,
  oneOf,
  opts,
  v,
  word,
} from '../command.js';
import { invalidArgument } from '../errors.js';
import { type Decoder, type Key, toNumber, type WireArg } from '../values.js';

/** A member with its position. */
export interface GeoMember<T = unknown> {
  longitude: number;
  latitude: number;
  member: T;
}

/** A distance unit. */
export type GeoUnit = 'm' | 'km' | 'mi' | 'ft' | 'M' | 'KM' | 'MI' | 'FT';

/** Where a search starts: an existing member, or a position. */
export type GeoFrom<T = unknown> = { member: T } | { longitude: number; latitude: number };

/** The search area: a circle or a box. */
export type GeoBy = { radius: number; unit: GeoUnit } | { width: number; height: number; unit: GeoUnit };

/** Options of GEOSEARCH. */
export interface GeoSearchOptions {
  /** Nearest first (`ASC`) or farthest first (`DESC`). */
  order?: 'ASC' | 'DESC' | 'asc' | 'desc';
  /** At most this many results; with `any`, stop at the first `count` found. */
  count?: number;
  any?: boolean;
  withCoord?: boolean;
  withDist?: boolean;
  withHash?: boolean;
}

/** One GEOSEARCH result; the optional fields are there when asked for. */
export interface GeoSearchResult<T = unknown> {
  member: T;
  dist?: number;
  hash?: number;
  coord?: { longitude: number; latitude: number };
}

/** Geospatial commands. */
export interface GeoCommands<K extends Kind, V> {
  /**
   * Adds members with positions: `geoadd(key, { longitude, latitude, member }, …)` or
   * `geoadd(key, { nx: true }, { … })`. Returns how many were added (changed with `ch`).
   * @see https://redis.io/commands/geoadd
   */
  geoadd<T = V>(
    key: Key,
    first: { nx?: boolean; xx?: boolean; ch?: boolean } | GeoMember<T>,
    ...members: GeoMember<T>[]
  ): Apply<K, number>;
  /** The distance between two members, or `null`. @default unit 'm' @see https://redis.io/commands/geodist */
  geodist(key: Key, member1: unknown, member2: unknown, unit?: GeoUnit): Apply<K, number | null>;
  /** Geohash strings of members (`null` when absent). @see https://redis.io/commands/geohash */
  geohash(key: Key, ...members: unknown[]): Apply<K, (string | null)[]>;
  /** Positions of members (`null` when absent). @see https://redis.io/commands/geopos */
  geopos(key: Key, ...members: unknown[]): Apply<K, ({ longitude: number; latitude: number } | null)[]>;
  /**
   * Members inside a circle or box around a member or position.
   * @example await redis.geosearch('shops', { longitude: 13.4, latitude: 52.5 }, { radius: 5, unit: 'km' }, { withDist: true })
   * @see https://redis.io/commands/geosearch
   */
  geosearch<T = V>(
    key: Key,
    from: GeoFrom,
    by: GeoBy,
    options?: GeoSearchOptions,
  ): Apply<K, GeoSearchResult<T>[]>;
  /** GEOSEARCH stored into `destination` (scores are distances with `storeDist`). @see https://redis.io/commands/geosearchstore */
  geosearchstore(
    destination: Key,
    key: Key,
    from: GeoFrom,
    by: GeoBy,
    options?: Pick<GeoSearchOptions, 'order' | 'count' | 'any'> & { storeDist?: boolean },
  ): Apply<K, number>;
}

function geoMember(item: GeoMember, command: string): WireArg[] {
  if (item === null || typeof item !== 'object' || !('member' in item)) {
    throw invalidArgument('members must be { longitude, latitude, member } objects', command);
  }
  return [
    num('longitude', item.longitude, command),
    num('latitude', item.latitude, command),
    v(item.member, command),
  ];
}

function unitOf(unit: unknown, command: string): string {
  return word('unit', unit, ['M', 'KM', 'MI', 'FT'], command);
}

function area(from: GeoFrom, by: GeoBy, options: GeoSearchOptions | undefined, command: string): WireArg[] {
  const args: WireArg[] = [];
  if (opts(from, command, 'from') === undefined)
    throw invalidArgument('from: pass { member } or { longitude, latitude }', command);
  if (opts(by, command, 'by') === undefined)
    throw invalidArgument('by: pass { radius, unit } or { width, height, unit }', command);
  opts(options, command);
  if ('member' in from) args.push('FROMMEMBER', v(from.member, command));
  else
    args.push(
      'FROMLONLAT',
      num('longitude', from.longitude, command),
      num('latitude', from.latitude, command),
    );
  if ('radius' in by) args.push('BYRADIUS', num('radius', by.radius, command), unitOf(by.unit, command));
  else
    args.push(
      'BYBOX',
      num('width', by.width, command),
      num('height', by.height, command),
      unitOf(by.unit, command),
    );
  if (options?.order !== undefined) args.push(word('order', options.order, ['ASC', 'DESC'], command));
  if (options?.count !== undefined) {
    args.push('COUNT', int('count', options.count, command));
    if (options.any) args.push('ANY');
  } else if (options?.any) {
    throw invalidArgument('any needs count', command);
  }
  return args;
}

export const geo: CommandTable<GeoCommands<Kind, unknown>> = {
  geoadd: (key, first, ...members) => {
    const args: WireArg[] = ['GEOADD', k(key)];
    if (first && typeof first === 'object' && 'member' in first) {
      for (const member of [first, ...members]) args.push(...geoMember(member, 'GEOADD'));
      return cmd(args);
    }
    const options = first as { nx?: boolean; xx?: boolean; ch?: boolean };
    const condition = oneOf(options, ['nx', 'xx'], 'GEOADD');
    if (condition) args.push(condition.toUpperCase());
    if (options?.ch) args.push('CH');
    for (const member of nonEmpty(members, 'GEOADD', 'members')) args.push(...geoMember(member, 'GEOADD'));
    return cmd(args);
  },
  geodist: (key, member1, member2, unit = 'm') =>
    cmd(['GEODIST', k(key), v(member1, 'GEODIST'), v(member2, 'GEODIST'), unitOf(unit, 'GEODIST')], asFloat),
  geohash: (key, ...members) =>
    cmd(['GEOHASH', k(key), ...nonEmpty(members, 'GEOHASH', 'members').map((m) => v(m, 'GEOHASH'))]),
  geopos: (key, ...members) =>
    cmd(
      ['GEOPOS', k(key), ...nonEmpty(members, 'GEOPOS', 'members').map((m) => v(m, 'GEOPOS'))],
      (reply: unknown[]) =>
        reply.map((pos) =>
          Array.isArray(pos) ? { longitude: toNumber(pos[0]), latitude: toNumber(pos[1]) } : null,
        ),
    ),
  geosearch: (key, from, by, options) => {
    const args: WireArg[] = ['GEOSEARCH', k(key), ...area(from, by, options, 'GEOSEARCH')];
    if (options?.withCoord) args.push('WITHCOORD');
    if (options?.withDist) args.push('WITHDIST');
    if (options?.withHash) args.push('WITHHASH');
    const extra = Boolean(options?.withCoord || options?.withDist || options?.withHash);
    return cmd(args, (reply: unknown[], value: Decoder) =>
      reply.map((item) => {
        if (!extra) return { member: value(item) };
        const parts = item as unknown[];
        const result: GeoSearchResult = { member: value(parts[0]) };
        let i = 1;
        // Redis replies in a fixed order: distance, hash, coordinates.
        if (options?.withDist) result.dist = toNumber(parts[i++]);
        if (options?.withHash) result.hash = Number(parts[i++]);
        if (options?.withCoord) {
          const coord = parts[i] as unknown[];
          result.coord = { longitude: toNumber(coord[0]), latitude: toNumber(coord[1]) };
        }
        return result;
      }),
    );
  },
  geosearchstore: (destination, key, from, by, options) =>
    cmd([
      'GEOSEARCHSTORE',
      k(destination),
      k(key),
      ...area(from, by, options, 'GEOSEARCHSTORE'),
      ...(options?.storeDist ? ['STOREDIST'] : []),
    ]),
};
