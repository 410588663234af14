import {
  type Apply,
  type CommandTable,
  cmd,
  int,
  type Kind,
  k,
  keyList,
  list,
  opts,
  word,
} from '../command.js';
import { invalidArgument } from '../errors.js';
import type { Key, WireArg } from '../values.js';

/** An integer type of BITFIELD: `u1`…`u63` or `i1`…`i64`. */
export type BitfieldType = `${'u' | 'i'}${number}`;

/** One BITFIELD operation. Offsets may be `#n` to count in units of the type's width. */
export type BitfieldOperation =
  | { get: [type: BitfieldType, offset: number | string] }
  | { set: [type: BitfieldType, offset: number | string, value: number] }
  | { incrby: [type: BitfieldType, offset: number | string, increment: number] }
  | { overflow: 'WRAP' | 'SAT' | 'FAIL' };

/** Bitmap commands. */
export interface BitmapCommands<K extends Kind> {
  /** Counts set bits, optionally between `start` and `end` (bytes, or bits with `mode: 'BIT'`). @see https://redis.io/commands/bitcount */
  bitcount(key: Key, start?: number, end?: number, mode?: 'BYTE' | 'BIT'): Apply<K, number>;
  /**
   * Reads and writes integers of any width inside a string.
   * @example redis.bitfield('k', [{ set: ['u8', 0, 200] }, { incrby: ['u8', 0, 100] }, { overflow: 'SAT' }])
   * @see https://redis.io/commands/bitfield
   */
  bitfield(key: Key, operations: BitfieldOperation[]): Apply<K, (number | null)[]>;
  /** The read-only BITFIELD (GET operations only). @see https://redis.io/commands/bitfield_ro */
  bitfieldRo(key: Key, gets: [type: BitfieldType, offset: number | string][]): Apply<K, number[]>;
  /** Bitwise AND/OR/XOR/NOT of keys into `destination`; returns its length. @see https://redis.io/commands/bitop */
  bitop(
    operation: 'and' | 'or' | 'xor' | 'not' | 'AND' | 'OR' | 'XOR' | 'NOT',
    destination: Key,
    ...sources: Key[]
  ): Apply<K, number>;
  /** The position of the first bit set to `bit`. @see https://redis.io/commands/bitpos */
  bitpos(key: Key, bit: 0 | 1, start?: number, end?: number, mode?: 'BYTE' | 'BIT'): Apply<K, number>;
  /** The bit at `offset`. @see https://redis.io/commands/getbit */
  getbit(key: Key, offset: number): Apply<K, 0 | 1>;
  /** Sets the bit at `offset`; returns the previous bit. @see https://redis.io/commands/setbit */
  setbit(key: Key, offset: number, value: 0 | 1): Apply<K, 0 | 1>;
}

function range(command: string, start?: number, end?: number, mode?: string): WireArg[] {
  const out: WireArg[] = [];
  if (start === undefined) {
    if (end !== undefined || mode !== undefined) throw invalidArgument('end and mode need start', command);
    return out;
  }
  out.push(int('start', start, command));
  if (end !== undefined) out.push(int('end', end, command));
  else if (mode !== undefined) throw invalidArgument('mode needs end', command);
  if (mode !== undefined) out.push(word('mode', mode, ['BYTE', 'BIT'], command));
  return out;
}

function bitOf(bit: unknown, command: string): 0 | 1 {
  if (bit !== 0 && bit !== 1) throw invalidArgument(`bit must be 0 or 1, got ${String(bit)}`, command);
  return bit;
}

function operation(op: BitfieldOperation): WireArg[] {
  if (opts(op, 'BITFIELD', 'operation') === undefined) {
    throw invalidArgument('each operation is { get }, { set }, { incrby } or { overflow }', 'BITFIELD');
  }
  if ('get' in op) return ['GET', ...op.get];
  if ('set' in op) return ['SET', ...op.set];
  if ('incrby' in op) return ['INCRBY', ...op.incrby];
  if ('overflow' in op)
    return ['OVERFLOW', word('overflow', op.overflow, ['WRAP', 'SAT', 'FAIL'], 'BITFIELD')];
  throw invalidArgument('each operation is { get }, { set }, { incrby } or { overflow }', 'BITFIELD');
}

export const bitmaps: CommandTable<BitmapCommands<Kind>> = {
  bitcount: (key, start, end, mode) => cmd(['BITCOUNT', k(key), ...range('BITCOUNT', start, end, mode)]),
  bitfield: (key, operations) =>
    cmd(['BITFIELD', k(key), ...list(operations, 'BITFIELD', 'operations').flatMap(operation)]),
  bitfieldRo: (key, gets) =>
    cmd([
      'BITFIELD_RO',
      k(key),
      ...list(gets, 'BITFIELD_RO', 'gets').flatMap((get) => ['GET', ...list(get, 'BITFIELD_RO', 'get')]),
    ]),
  bitop: (operation, destination, ...sources) =>
    cmd([
      'BITOP',
      word('operation', operation, ['AND', 'OR', 'XOR', 'NOT'], 'BITOP'),
      k(destination),
      ...keyList(sources, 'BITOP', 'sources'),
    ]),
  bitpos: (key, bit, start, end, mode) =>
    cmd(['BITPOS', k(key), bitOf(bit, 'BITPOS'), ...range('BITPOS', start, end, mode)]),
  getbit: (key, offset) => cmd(['GETBIT', k(key), int('offset', offset, 'GETBIT')]),
  setbit: (key, offset, value) =>
    cmd(['SETBIT', k(key), int('offset', offset, 'SETBIT'), bitOf(value, 'SETBIT')]),
};
