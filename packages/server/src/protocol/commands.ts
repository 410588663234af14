import { errors } from '@restash/core/protocol';
import type { Arg, Reply } from '../backend/resp.js';

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
  private loaded = false;

  /** Replaces the table with what a `COMMAND` reply says. */
  load(reply: Reply): void {
    if (!Array.isArray(reply)) throw new Error('unexpected COMMAND reply');
    const readOnly = new Set<string>();
    const containers = new Set<string>();
    for (const entry of reply) add(readOnly, containers, entry);
    this.readOnly = readOnly;
    this.containers = containers;
    this.loaded = true;
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
    const subName = typeof sub === 'string' ? sub : Buffer.from(sub).toString('utf8');
    return this.readOnly.has(`${name}|${subName.toUpperCase()}`);
  }
}

function add(readOnly: Set<string>, containers: Set<string>, entry: Reply): void {
  if (!Array.isArray(entry)) return;
  const [name, , flags, , , , categories, , , subcommands] = entry;
  if (!(name instanceof Uint8Array) && typeof name !== 'string') return;
  const text = (typeof name === 'string' ? name : Buffer.from(name).toString('utf8')).toUpperCase();
  const flagged = Array.isArray(flags) && flags.includes('readonly');
  const dangerous = Array.isArray(categories) && categories.includes('@dangerous');
  if (flagged && !dangerous) readOnly.add(text);
  if (Array.isArray(subcommands) && subcommands.length > 0) {
    containers.add(text);
    for (const sub of subcommands) add(readOnly, containers, sub);
  }
}
