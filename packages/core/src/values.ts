import { invalidArgument } from './errors.js';

/** A key, field or member name: text, or exact bytes. */
export type Key = string | Uint8Array;

/** One argument as it travels: JSON scalars, or bytes. */
export type WireArg = string | number | boolean | Uint8Array;

/** Turns a reply string into the value a caller sees (JSON-parsed, or as is in raw mode). */
export type Decoder = (value: unknown) => unknown;

const utf8Strict = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true });

/** The text of UTF-8 bytes, or undefined if they are not valid UTF-8. */
export function strictUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Serializes a value argument: strings, numbers and booleans travel as they
 * are, bytes as bytes (also an `ArrayBuffer` or another typed array, as its
 * bytes), bigints as their digits, ±Infinity as `+inf`/`-inf`,
 * and anything else (objects, arrays, `null`, dates) as JSON text.
 */
export function serializeValue(value: unknown, command?: string): WireArg {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isFinite(value)) return value;
      if (Number.isNaN(value)) throw invalidArgument('NaN cannot be sent to Redis', command);
      return value > 0 ? '+inf' : '-inf';
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      throw invalidArgument(
        `a ${typeof value} cannot be sent to Redis; use null or leave the argument out`,
        command,
      );
  }
  if (value instanceof Uint8Array) return value;
  // JSON.stringify would silently store other binary data as "{}".
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return JSON.stringify(value);
}

/** Checks a key/field/member argument. */
export function serializeKey(key: unknown, command?: string): Key {
  if (typeof key === 'string' || key instanceof Uint8Array) return key;
  if (typeof key === 'number' || typeof key === 'bigint') return String(key);
  throw invalidArgument(`expected a string or Uint8Array key, got ${describe(key)}`, command);
}

/** Checks a number argument. */
export function serializeNumber(name: string, value: unknown, command?: string, integer = false): number {
  if (typeof value !== 'number' || Number.isNaN(value) || (integer && !Number.isInteger(value))) {
    throw invalidArgument(
      `${name} must be ${integer ? 'an integer' : 'a number'}, got ${describe(value)}`,
      command,
    );
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

/**
 * Automatic deserialization, as `@upstash/redis` does it: a reply string that
 * is JSON becomes the parsed value, except numbers whose text would change
 * (big integers, `1.0`), which stay strings. Anything else is returned as is.
 */
export function deserializeValue(value: unknown): unknown {
  if (typeof value !== 'string' || value.length === 0) return value;
  const c = value.charCodeAt(0);
  // Only these can start JSON; skipping the rest avoids a throw per plain string.
  if (
    c !== 123 /* { */ &&
    c !== 91 /* [ */ &&
    c !== 34 /* " */ &&
    c !== 45 /* - */ &&
    (c < 48 || c > 57) &&
    c !== 116 /* t */ &&
    c !== 102 /* f */ &&
    c !== 110 /* n */
  ) {
    return value;
  }
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed === 'number' && String(parsed) !== value) return value;
    return parsed;
  } catch {
    return value;
  }
}

/** The identity decoder of raw mode. */
export const rawValue: Decoder = (value) => value;

/** Parses a Redis float reply (`"1.5"`, `"inf"`, `"-inf"`). */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return Number.NaN;
  if (value === 'inf' || value === '+inf') return Number.POSITIVE_INFINITY;
  if (value === '-inf') return Number.NEGATIVE_INFINITY;
  return Number(value);
}
