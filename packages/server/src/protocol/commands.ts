import { errors } from '@restash/core/protocol';
import { type Arg, type Reply, textOf } from '../resp/resp.js';

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
 * Refused by default besides what Redis flags `@admin`: MIGRATE makes Redis
 * connect to any host and port a client names.
 */
const DENIED_BY_DEFAULT = new Set(['MIGRATE']);

/**
 * `@admin` commands allowed by default, as parts of Upstash's REST API: `ACL`
 * (SETUSER, DELUSER, RESTTOKEN…) and `MONITOR` (the `/monitor` stream only).
 * An operator may still deny them.
 */
const ADMIN_ALLOWED_BY_DEFAULT = new Set(['ACL', 'MONITOR']);

/**
 * An operator's exceptions to the default command rules: `NAME` or
 * `NAME|SUBCOMMAND`, upper-cased. `deny` wins over `allow`.
 */
export interface CommandPolicy {
  /** Server-administration commands to let through after all (e.g. `CONFIG|GET`, `SLOWLOG`). */
  allow: ReadonlySet<string>;
  /** Commands to refuse on top of the default ones (e.g. `EVAL`, `FLUSHALL`). */
  deny: ReadonlySet<string>;
}

/** What Redis 7.0 flags `@admin`, for the moments before a `COMMAND` reply is loaded. */
const REDIS7_ADMIN = [
  'BGREWRITEAOF',
  'BGSAVE',
  'CONFIG|GET',
  'CONFIG|SET',
  'CONFIG|RESETSTAT',
  'CONFIG|REWRITE',
  'DEBUG',
  'FAILOVER',
  'LASTSAVE',
  'LATENCY|DOCTOR',
  'LATENCY|GRAPH',
  'LATENCY|HISTOGRAM',
  'LATENCY|HISTORY',
  'LATENCY|LATEST',
  'LATENCY|RESET',
  'MODULE|LIST',
  'MODULE|LOAD',
  'MODULE|LOADEX',
  'MODULE|UNLOAD',
  'PFDEBUG',
  'PFSELFTEST',
  'REPLICAOF',
  'ROLE',
  'SAVE',
  'SHUTDOWN',
  'SLAVEOF',
  'SLOWLOG|GET',
  'SLOWLOG|LEN',
  'SLOWLOG|RESET',
  'CLUSTER|ADDSLOTS',
  'CLUSTER|ADDSLOTSRANGE',
  'CLUSTER|BUMPEPOCH',
  'CLUSTER|DELSLOTS',
  'CLUSTER|DELSLOTSRANGE',
  'CLUSTER|FAILOVER',
  'CLUSTER|FLUSHSLOTS',
  'CLUSTER|FORGET',
  'CLUSTER|MEET',
  'CLUSTER|REPLICATE',
  'CLUSTER|RESET',
  'CLUSTER|SAVECONFIG',
  'CLUSTER|SET-CONFIG-EPOCH',
  'CLUSTER|SETSLOT',
];

const NO_EXCEPTIONS: CommandPolicy = { allow: new Set(), deny: new Set() };

/**
 * Normalises an operator's command list (`config|get`, `FLUSHALL`) and checks
 * each entry; throws with the entry at fault. Commands the REST API refuses
 * structurally (blocking, connection state) cannot be allowed.
 */
export function commandList(entries: readonly string[], allow: boolean): Set<string> {
  const set = new Set<string>();
  for (const entry of entries) {
    const upper = entry.trim().toUpperCase();
    if (!/^[A-Z0-9_.:-]+(\|[A-Z0-9_.:-]+)?$/.test(upper)) {
      throw new Error(`"${entry}" is not a command name (NAME or NAME|SUBCOMMAND)`);
    }
    if (allow) {
      const name = upper.split('|')[0]!;
      if (refusal(name, []) !== undefined) {
        throw new Error(`"${entry}" cannot be allowed: it blocks or changes the shared connection`);
      }
    }
    set.add(upper);
  }
  return set;
}

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
 * Which commands a read-only token may run, and which are server
 * administration, learned from the `COMMAND` reply of the Redis behind us, so
 * modules and newer Redis versions are classified by Redis itself: a read-only
 * token may run a command (or subcommand, e.g. `OBJECT|ENCODING`) that Redis
 * flags `readonly` and files under `@read` but not `@dangerous`, except KEYS
 * and the SCAN family; PING and ECHO too. No script: see `add`.
 */
export class CommandTable {
  private readOnly = new Set<string>();
  /** Until the first `COMMAND` reply, Redis 7's own list: nothing slips through before the table loads. */
  private admin = new Set(REDIS7_ADMIN);
  private containers = new Set<string>();
  private keySpecs = new Map<string, KeySpec>();
  private loaded = false;

  /** Replaces the table with what a `COMMAND` reply says. */
  load(reply: Reply): void {
    if (!Array.isArray(reply)) throw new Error('unexpected COMMAND reply');
    const table: Learned = {
      readOnly: new Set(),
      admin: new Set(),
      containers: new Set(),
      keySpecs: new Map(),
    };
    for (const entry of reply) add(table, entry);
    this.readOnly = table.readOnly;
    this.admin = table.admin;
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

  /** The operator's exceptions to the default rules (see {@link CommandPolicy}). */
  policy: CommandPolicy = NO_EXCEPTIONS;

  /**
   * The error text if this command is refused to every token: a command (or
   * subcommand) Redis flags `@admin` — SHUTDOWN, CONFIG SET, REPLICAOF, SAVE,
   * MODULE, SLOWLOG… — unless the operator allowed it, MIGRATE, and whatever
   * the operator denied. `name` is upper-cased; call once the table is `ready`.
   */
  administrative(name: string, args: readonly Arg[]): string | undefined {
    let full = name;
    // Before the table is loaded, which commands have subcommands is not known: try both readings.
    if (args[1] !== undefined && (this.containers.has(name) || !this.loaded)) {
      full = `${name}|${textOf(args[1]).toUpperCase()}`;
    }
    const { allow, deny } = this.policy;
    // Named as Upstash does: `CONFIG SET` for a subcommand, `SHUTDOWN` (not `SHUTDOWN NOSAVE`) otherwise.
    const refused = () =>
      errors.notAvailable(
        this.containers.has(name) || this.admin.has(full) || deny.has(full) ? full.replace('|', ' ') : name,
      );
    if (deny.size > 0 && (deny.has(name) || deny.has(full))) return refused();
    if (ADMIN_ALLOWED_BY_DEFAULT.has(name)) return undefined;
    if (!this.admin.has(full) && !this.admin.has(name) && !DENIED_BY_DEFAULT.has(name)) return undefined;
    if (allow.size > 0 && (allow.has(name) || allow.has(full))) return undefined;
    return refused();
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
  admin: Set<string>;
  containers: Set<string>;
  keySpecs: Map<string, KeySpec>;
}

function add(table: Learned, entry: Reply): void {
  if (!Array.isArray(entry)) return;
  const [name, , flags, first, last, step, categories, , , subcommands] = entry;
  if (!(name instanceof Uint8Array) && typeof name !== 'string') return;
  const upper = textOf(name).toUpperCase();
  const flagged = Array.isArray(flags) && flags.includes('readonly');
  const category = (name: string) => Array.isArray(categories) && categories.includes(name);
  // `@read` as well as the flag: scripts (EVAL_RO, FCALL_RO) are flagged readonly, but Redis only stops
  // their writes — inside them SELECT, INFO, SLOWLOG… run. Upstash's read-only user is `+@read -@dangerous`.
  if (flagged && category('@read') && !category('@dangerous')) table.readOnly.add(upper);
  if (category('@admin')) table.admin.add(upper);
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
