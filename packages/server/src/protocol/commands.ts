import { errors } from '@restash/core/protocol';
import { type Arg, type Reply, textOf } from '../backend/resp.js';

/** Commands that would block a shared connection; HTTP is request/response. */
const BLOCKING = new Set([
  'BLPOP',
  'BRPOP',
  'BRPOPLPUSH',
  'BLMOVE',
  'BLMPOP',
  'BZPOPMIN',
  'BZPOPMAX',
  'BZMPOP',
  'WAIT',
  'WAITAOF',
  // Replication handshakes would turn the shared connection into a replica link.
  'SYNC',
  'PSYNC',
  'REPLCONF',
]);

/** Commands that change connection or session state, or have their own REST path. */
const SESSION = new Set([
  'AUTH',
  'HELLO',
  'SELECT',
  'CLIENT',
  'RESET',
  'QUIT',
  'READONLY',
  'READWRITE',
  'ASKING',
  'MULTI',
  'EXEC',
  'DISCARD',
  'WATCH',
  'UNWATCH',
  'SUBSCRIBE',
  'UNSUBSCRIBE',
  'PSUBSCRIBE',
  'PUNSUBSCRIBE',
  'SSUBSCRIBE',
  'SUNSUBSCRIBE',
  'MONITOR',
]);

/** Read commands a read-only token still may not run: they walk the whole keyspace. */
const KEYSPACE_WALKS = new Set(['KEYS', 'SCAN', 'HSCAN', 'SSCAN', 'ZSCAN']);

/** Harmless commands a read-only token may run although Redis does not flag them read-only. */
const READ_ONLY_EXTRAS = new Set(['PING', 'ECHO']);

/**
 * Returns the error text if the command may not be sent over REST at all, else undefined.
 * `name` is upper-cased.
 */
export function refusal(name: string, args: readonly Arg[]): string | undefined {
  if (name === '') return errors.emptyCommand;
  if (BLOCKING.has(name)) return errors.notAvailable(name);
  if (SESSION.has(name)) return errors.notAllowedInRest(name);
  if ((name === 'XREAD' || name === 'XREADGROUP') && hasBlockOption(args)) {
    return errors.notAvailable(`${name} BLOCK`);
  }
  return undefined;
}

/**
 * Walks the options before STREAMS: `GROUP <group> <consumer>`, `COUNT <n>`,
 * `BLOCK <ms>`, `NOACK`. Names and values are skipped, so a group or consumer
 * called "block" is data, not the option.
 */
function hasBlockOption(args: readonly Arg[]): boolean {
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.length > 7) continue;
    // Path segments with a percent-escape arrive as bytes (`/xread/%42LOCK/0/…`): Redis reads them as the option all the same.
    const word = typeof arg === 'string' ? arg : Buffer.from(arg).toString('latin1');
    switch (word.toUpperCase()) {
      case 'STREAMS':
        return false;
      case 'BLOCK':
        return true;
      case 'GROUP':
        i += 2;
        break;
      case 'COUNT':
        i += 1;
        break;
    }
  }
  return false;
}

/**
 * Which commands a read-only token may run, learned from the `COMMAND` reply of
 * the Redis behind us, so modules and newer Redis versions are classified by
 * Redis itself: a command (or subcommand, e.g. `OBJECT|ENCODING`) is allowed
 * when Redis flags it `readonly` and not `@dangerous`, except KEYS and the SCAN
 * family; PING and ECHO are allowed too.
 */
export class CommandTable {
  private readOnly = new Set<string>();
  private containers = new Set<string>();
  private keySpecs = new Map<string, KeySpec>();
  private loaded = false;

  /** Replaces the table with what a `COMMAND` reply says. */
  load(reply: Reply): void {
    if (!Array.isArray(reply)) throw new Error('unexpected COMMAND reply');
    const table: Learned = { readOnly: new Set(), containers: new Set(), keySpecs: new Map() };
    for (const entry of reply) add(table, entry);
    this.readOnly = table.readOnly;
    this.containers = table.containers;
    this.keySpecs = table.keySpecs;
    this.loaded = true;
  }

  /** The index of a command's first key (see `keyIndexes`), or -1 for none. */
  firstKeyIndex(name: string, args: readonly Arg[]): number {
    const spec = this.keySpecs.get(name);
    if (spec !== undefined && !this.containers.has(name) && !MOVABLE.has(name)) {
      return spec.first < args.length ? spec.first : -1;
    }
    return this.keyIndexes(name, args)[0] ?? -1;
  }

  /**
   * Where a command's keys are, as argument indexes: from the first/last/step
   * positions Redis reports, and for commands whose keys move (EVAL, ZUNION,
   * XREAD…) from their `numkeys` or `STREAMS` argument. Empty for keyless
   * commands and for movable-key commands not known here (a cluster node then
   * redirects them). `name` is upper-cased.
   */
  keyIndexes(name: string, args: readonly Arg[]): number[] {
    const movable = movableKeys(name, args);
    if (movable !== undefined) return movable;
    let spec = this.keySpecs.get(name);
    if (spec === undefined && this.containers.has(name) && args[1] !== undefined) {
      spec = this.keySpecs.get(`${name}|${textOf(args[1]).toUpperCase()}`);
    }
    if (spec === undefined) return [];
    const last = spec.last < 0 ? args.length + spec.last : Math.min(spec.last, args.length - 1);
    const indexes: number[] = [];
    for (let i = spec.first; i <= last; i += spec.step) indexes.push(i);
    return indexes;
  }

  /** True once a `COMMAND` reply has been loaded. */
  get ready(): boolean {
    return this.loaded;
  }

  /** True if a read-only token may run this command. `name` is upper-cased. */
  allowsReadOnly(name: string, args: readonly Arg[]): boolean {
    if (READ_ONLY_EXTRAS.has(name)) return true;
    if (KEYSPACE_WALKS.has(name)) return false;
    if (!this.containers.has(name)) return this.readOnly.has(name);
    // A command with subcommands is judged by the subcommand alone (OBJECT ENCODING yes, OBJECT FREQ… per its flags).
    const sub = args[1];
    if (sub === undefined) return false;
    const subName = textOf(sub);
    return this.readOnly.has(`${name}|${subName.toUpperCase()}`);
  }
}

/** Key positions of a command, as `COMMAND` reports them (first key, last key — negative from the end —, step). */
interface KeySpec {
  first: number;
  last: number;
  step: number;
}

interface Learned {
  readOnly: Set<string>;
  containers: Set<string>;
  keySpecs: Map<string, KeySpec>;
}

function add(table: Learned, entry: Reply): void {
  if (!Array.isArray(entry)) return;
  const [name, , flags, first, last, step, categories, , , subcommands] = entry;
  if (!(name instanceof Uint8Array) && typeof name !== 'string') return;
  const upper = textOf(name).toUpperCase();
  const flagged = Array.isArray(flags) && flags.includes('readonly');
  const dangerous = Array.isArray(categories) && categories.includes('@dangerous');
  if (flagged && !dangerous) table.readOnly.add(upper);
  if (
    typeof first === 'number' &&
    first > 0 &&
    typeof last === 'number' &&
    typeof step === 'number' &&
    step > 0
  ) {
    table.keySpecs.set(upper, { first, last, step });
  }
  if (Array.isArray(subcommands) && subcommands.length > 0) {
    table.containers.add(upper);
    for (const sub of subcommands) add(table, sub);
  }
}

/** Commands whose keys `movableKeys` finds. */
const MOVABLE = new Set([
  'EVAL',
  'EVALSHA',
  'EVAL_RO',
  'EVALSHA_RO',
  'FCALL',
  'FCALL_RO',
  'ZUNION',
  'ZINTER',
  'ZDIFF',
  'ZINTERCARD',
  'SINTERCARD',
  'LMPOP',
  'ZMPOP',
  'ZUNIONSTORE',
  'ZINTERSTORE',
  'ZDIFFSTORE',
  'XREAD',
  'XREADGROUP',
]);

/** Key indexes of the movable-key commands a REST client sends; undefined for the others. */
function movableKeys(name: string, args: readonly Arg[]): number[] | undefined {
  switch (name) {
    case 'EVAL':
    case 'EVALSHA':
    case 'EVAL_RO':
    case 'EVALSHA_RO':
    case 'FCALL':
    case 'FCALL_RO':
      return counted(args, 2);
    case 'ZUNION':
    case 'ZINTER':
    case 'ZDIFF':
    case 'ZINTERCARD':
    case 'SINTERCARD':
    case 'LMPOP':
    case 'ZMPOP':
      return counted(args, 1);
    case 'ZUNIONSTORE':
    case 'ZINTERSTORE':
    case 'ZDIFFSTORE':
      return args.length > 1 ? [1, ...counted(args, 2)] : [];
    case 'XREAD':
    case 'XREADGROUP':
      return streamKeys(name, args);
    default:
      return undefined;
  }
}

/**
 * The keys of `XREAD [COUNT n] [BLOCK ms] STREAMS key … id …` and of
 * `XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK] STREAMS …`: options are
 * walked as Redis does, so a group or consumer called "streams" is not the keyword.
 */
function streamKeys(name: string, args: readonly Arg[]): number[] {
  let i = 1;
  if (name === 'XREADGROUP') {
    if (args[1] === undefined || textOf(args[1]).toUpperCase() !== 'GROUP') return [];
    i = 4;
  }
  for (; i < args.length; i++) {
    switch (textOf(args[i]!).toUpperCase()) {
      case 'COUNT':
      case 'BLOCK':
        i++;
        break;
      case 'NOACK':
        break;
      case 'STREAMS': {
        const count = Math.floor((args.length - i - 1) / 2);
        return Array.from({ length: count }, (_, n) => i + 1 + n);
      }
      default:
        return [];
    }
  }
  return [];
}

/** `numkeys key [key …]` at `at`: the indexes of the keys, none if numkeys is not a number. */
function counted(args: readonly Arg[], at: number): number[] {
  const count = args[at] === undefined ? Number.NaN : Number(textOf(args[at]!));
  if (!Number.isInteger(count) || count <= 0) return [];
  const last = Math.min(at + count, args.length - 1);
  const indexes: number[] = [];
  for (let i = at + 1; i <= last; i++) indexes.push(i);
  return indexes;
}
