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

/** The builders of a command family, keyed like its interface. */
export type CommandTable<TInterface> = {
  [P in keyof TInterface]: TInterface[P] extends (...args: infer A) => unknown
    ? (...args: A) => CommandSpec
    : never;
};

/** Builds a spec. */
export function cmd(args: WireArg[], parse?: CommandSpec['parse']): CommandSpec {
  return parse ? { args, parse } : { args };
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
/** A number argument. */
export const num = (name: string, value: unknown, command?: string): number =>
  serializeNumber(name, value, command);
/** An integer argument. */
export const int = (name: string, value: unknown, command?: string): number =>
  serializeNumber(name, value, command, true);
/** A score or range bound: a number, `±Infinity`, or text such as `(1`, `-inf`, `[a`, `-`, `+`. */
export const bound = (name: string, value: unknown, command?: string): WireArg => {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && !Number.isNaN(value)) return serializeValue(value);
  throw invalidArgument(`${name} must be a number or a range string, got ${typeof value}`, command);
};

/** One or many keys as a list, at least one. */
export function keyList(keys: Key | readonly Key[], command: string, name = 'keys'): Key[] {
  const list = Array.isArray(keys) ? (keys as readonly Key[]) : [keys as Key];
  if (list.length === 0) throw invalidArgument(`${name}: pass at least one`, command);
  return list.map((key) => serializeKey(key, command));
}

/** A non-empty rest list. */
export function nonEmpty<T>(items: readonly T[], command: string, name: string): readonly T[] {
  if (items.length === 0) throw invalidArgument(`${name}: pass at least one`, command);
  return items;
}

/** Checks that at most one of the options is set and returns its name. */
export function oneOf<T extends object>(
  options: T | undefined,
  names: readonly (keyof T & string)[],
  command: string,
): (keyof T & string) | undefined {
  if (!options) return undefined;
  let found: (keyof T & string) | undefined;
  for (const name of names) {
    const value = options[name];
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
