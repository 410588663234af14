import { invalidArgument } from './errors.js';
import {
  type Decoder,
  type Key,
  serializeKey,
  serializeNumber,
  serializeValue,
  toNumber,
  type WireArg,
} from './values.js';

/**
 * A command as data: the arguments to send (name first) and how to turn the
 * reply into the result a caller sees. Every command method builds one of these.
 */
export interface CommandSpec {
  readonly args: WireArg[];
  /** Turns the reply into the result; `value` applies automatic deserialization (or not, in raw mode). */
  readonly parse?: ((reply: never, value: Decoder) => unknown) | undefined;
  /** Ask for the reply's strings as exact bytes. */
  readonly bytes?: boolean;
}

/** A type-level function from a command's result type to what a method returns. */
export interface Kind {
  readonly result: unknown;
  readonly out: unknown;
}

/** Applies a {@link Kind} to a result type. */
export type Apply<K extends Kind, TResult> = (K & { readonly result: TResult })['out'];

/** Methods of `Redis` return promises of their results. */
export interface PromiseKind extends Kind {
  readonly out: Promise<this['result']>;
}

/**
 * A result type with `TBig` beside every `number` in it (at any depth), for
 * clients that read integers beyond `Number.MAX_SAFE_INTEGER` as `bigint` or
 * as strings; the type itself when `TBig` is `never`.
 */
export type Widen<T, TBig> = [TBig] extends [never] ? T : WidenDeep<T, TBig>;
type WidenDeep<T, TBig> = T extends number
  ? T | TBig
  : T extends Uint8Array
    ? T
    : T extends readonly unknown[]
      ? { [I in keyof T]: WidenDeep<T[I], TBig> }
      : T extends object
        ? { [P in keyof T]: WidenDeep<T[P], TBig> }
        : T;

/** Methods of `redis.with({ integers })` return promises of results widened by `TBig`. */
export interface WidePromiseKind<TBig> extends Kind {
  readonly out: Promise<Widen<this['result'], TBig>>;
}

/** The builders of a command family, keyed like its interface. */
export type CommandTable<TInterface> = {
  [P in keyof TInterface]: TInterface[P] extends (...args: infer A) => unknown
    ? (...args: A) => CommandSpec
    : never;
};

/**
 * The result of a command that returns several values: `T[]`, or `T` itself
 * when `T` is already an array type (so `lpop<string[]>(key, 2)`, as written for
 * `@upstash/redis`, and `lpop<string>(key, 2)` both give `string[]`).
 */
export type Many<T> = T extends readonly unknown[] ? T : T[];

/**
 * Builds a spec. Every argument is checked once more here, whatever the builder
 * did: a missing argument (`undefined`), `null`, an object or a number that JSON
 * cannot carry (`NaN`, `±Infinity` become `null` in JSON) would otherwise send a
 * different command than the caller meant.
 */
export function cmd(args: WireArg[], parse?: CommandSpec['parse']): CommandSpec {
  for (let i = 1; i < args.length; i++) {
    const arg: unknown = args[i];
    switch (typeof arg) {
      case 'string':
      case 'boolean':
        continue;
      case 'number':
        if (Number.isFinite(arg)) continue;
        break;
      case 'object':
        if (arg instanceof Uint8Array) continue;
    }
    throw invalidArgument(
      `argument ${i} is ${describeArg(arg)}; a required argument is missing or has the wrong type`,
      typeof args[0] === 'string' ? args[0] : undefined,
    );
  }
  return parse ? { args, parse } : { args };
}

function describeArg(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return String(value);
  return typeof value === 'object' ? 'an object' : typeof value;
}

// Reply parsers, shared by the command families.

/** A stored value (GET, HGET, LPOP…): deserialized unless in raw mode. */
export const asValue = (reply: unknown, value: Decoder): unknown => value(reply);
/** A list of stored values (MGET, LRANGE, SMEMBERS…). */
export const asValues = (reply: unknown, value: Decoder): unknown =>
  Array.isArray(reply) ? reply.map(value) : reply;
/** A float reply (`"1.5"`, `"inf"`) as a number; `null` stays `null`. */
export const asFloat = (reply: unknown): number | null => (reply === null ? null : toNumber(reply));
/** A list of float replies. */
export const asFloats = (reply: unknown): (number | null)[] =>
  (reply as unknown[]).map((item) => (item === null ? null : toNumber(item)));
/** An integer 1/0 reply as a boolean. */
export const asBoolean = (reply: unknown): boolean => reply === 1;
/** A list of 1/0 replies as booleans. */
export const asBooleans = (reply: unknown): boolean[] => (reply as unknown[]).map((item) => item === 1);
/** An `OK` status as `true`, nil as `false`. */
export const asOk = (reply: unknown): boolean => reply === 'OK';
/** Field/value pairs (`[f1, v1, f2, v2]`) as an object with deserialized values; empty → `null`. */
export const asHash = (reply: unknown, value: Decoder): Record<string, unknown> | null => {
  const items = reply as unknown[];
  if (items.length === 0) return null;
  const out: Record<string, unknown> = {};
  for (let i = 0; i < items.length; i += 2) out[String(items[i])] = value(items[i + 1]);
  return out;
};
/** Field/value pairs as an object of raw strings (info-style replies); never `null`. */
export const asRecord = (reply: unknown): Record<string, unknown> => {
  const items = reply as unknown[];
  const out: Record<string, unknown> = {};
  for (let i = 0; i < items.length; i += 2) out[String(items[i])] = items[i + 1];
  return out;
};
/** `[member, score, member, score…]` as `{ member, score }` objects. */
export const asScored = (reply: unknown, value: Decoder): { member: unknown; score: number }[] => {
  const items = reply as unknown[];
  const out: { member: unknown; score: number }[] = [];
  for (let i = 0; i < items.length; i += 2)
    out.push({ member: value(items[i]), score: toNumber(items[i + 1]) });
  return out;
};

// Argument helpers: they check what they are given, so bad input fails before anything is sent.

/** A key/field/member argument. */
export const k = serializeKey;
/** A value argument (JSON-serialized unless a string, number, boolean or bytes). */
export const v = serializeValue;
/** A finite number argument. */
export const num = (name: string, value: unknown, command?: string): number => {
  const n = serializeNumber(name, value, command);
  if (!Number.isFinite(n)) throw invalidArgument(`${name} must be a finite number, got ${n}`, command);
  return n;
};
/** An integer argument. */
export const int = (name: string, value: unknown, command?: string): number =>
  serializeNumber(name, value, command, true);
/** A score or range bound: a number, `±Infinity`, or text such as `(1`, `-inf`, `[a`, `-`, `+`. */
export const bound = (name: string, value: unknown, command?: string): WireArg => {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && !Number.isNaN(value)) return serializeValue(value);
  throw invalidArgument(`${name} must be a number or a range string, got ${typeof value}`, command);
};

/**
 * One or many keys as a list, at least one. A lone key must be a string or
 * bytes: a number where keys are expected is a shifted argument list (e.g.
 * `@upstash/redis`'s `numkeys`), never a key.
 */
export function keyList(keys: Key | readonly Key[], command: string, name = 'keys'): Key[] {
  if (!Array.isArray(keys) && typeof keys !== 'string' && !(keys instanceof Uint8Array)) {
    throw invalidArgument(`${name}: expected an array of keys, got ${describeArg(keys)}`, command);
  }
  const list = Array.isArray(keys) ? (keys as readonly Key[]) : [keys as Key];
  if (list.length === 0) throw invalidArgument(`${name}: pass at least one`, command);
  return list.map((key) => serializeKey(key, command));
}

/** An array argument (members, IDs, script keys…), checked to be one. */
export function list<T>(value: readonly T[], command: string, name: string): readonly T[] {
  if (!Array.isArray(value)) {
    throw invalidArgument(`${name}: expected an array, got ${describeArg(value)}`, command);
  }
  return value;
}

/**
 * An options argument: `undefined` or a plain object. Anything else (a string
 * such as `'EX'`, a number, an array) is an argument list of another shape,
 * which would otherwise be silently ignored.
 */
export function opts<T extends object>(
  options: T | undefined,
  command: string,
  name = 'options',
): T | undefined {
  if (options === undefined) return undefined;
  if (
    options === null ||
    typeof options !== 'object' ||
    Array.isArray(options) ||
    options instanceof Uint8Array
  ) {
    throw invalidArgument(`${name}: expected an object, got ${describeArg(options)}`, command);
  }
  return options;
}

/** A text argument (group, consumer, pattern, ID…): a string, or a number as its digits. */
export function str(name: string, value: unknown, command: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw invalidArgument(`${name} must be a string, got ${describeArg(value)}`, command);
}

/** A non-empty list. */
export function nonEmpty<T>(items: readonly T[], command: string, name: string): readonly T[] {
  if (list(items, command, name).length === 0) throw invalidArgument(`${name}: pass at least one`, command);
  return items;
}

/**
 * One of a fixed set of option words, in any case; returned upper-cased.
 * @example word('side', 'left', ['LEFT', 'RIGHT'], 'LMOVE') // 'LEFT'
 */
export function word<T extends string>(
  name: string,
  value: unknown,
  allowed: readonly T[],
  command: string,
): T {
  const upper = typeof value === 'string' ? value.toUpperCase() : undefined;
  if (upper === undefined || !(allowed as readonly string[]).includes(upper)) {
    throw invalidArgument(
      `${name} must be one of ${allowed.join(', ')}, got ${typeof value === 'string' ? value : describeArg(value)}`,
      command,
    );
  }
  return upper as T;
}

/** Checks that at most one of the options is set and returns its name. */
export function oneOf<T extends object>(
  options: T | undefined,
  names: readonly (keyof T & string)[],
  command: string,
): (keyof T & string) | undefined {
  const checked = opts(options, command);
  if (!checked) return undefined;
  let found: (keyof T & string) | undefined;
  for (const name of names) {
    const value = checked[name];
    if (value === undefined || value === false) continue;
    if (found !== undefined) {
      throw invalidArgument(`pass only one of ${names.join(', ')} (got ${found} and ${name})`, command);
    }
    found = name;
  }
  return found;
}

/** An object of field → value as flat arguments; at least one entry. */
export function entries(object: Record<string, unknown>, command: string, name: string): WireArg[] {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) {
    throw invalidArgument(`${name}: expected an object of field → value`, command);
  }
  const out: WireArg[] = [];
  for (const key of Object.keys(object)) out.push(key, serializeValue(object[key], command));
  if (out.length === 0) throw invalidArgument(`${name}: pass at least one field`, command);
  return out;
}
