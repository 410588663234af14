import { errors } from '@restash/core/protocol';
import { type Arg, commandName, type Reply, ReplyError, textOf } from '../../resp/resp.js';
import { type Backend, BackendFailure, type BatchCallback, type KeyTable } from '../backend.js';
import { hashSlot } from './slots.js';
import { type ClusterTopology, type NodePool, type SlotOwner, splitAddress } from './topology.js';

/** What one sub-command (or whole command) ended with. */
type Outcome = Reply | BackendFailure;

/** One command sent to one node; a cluster command may need several. */
interface Op {
  args: Arg[];
  /** The slot of its keys, or -1 for a keyless command. */
  slot: number;
  /**
   * For commands that run on every master: which one, as its index among the
   * masters (ordered by first slot), so that a master replaced by a failover is
   * followed to its successor when the command is retried.
   */
  master?: number;
  /** Where the slot is being migrated to, after an `ASK` redirection: sent there once, after `ASKING`. */
  ask?: string;
  /** The node a `MOVED` named: it serves the slot Redis computed, which is the one that counts. */
  moved?: string;
  /** Not to a replica again: one failed to answer this read. */
  masterOnly?: boolean;
  /** Sent, this time, to a replica. */
  replica?: boolean;
  attempts: number;
  /** Until when it may wait for a node to be reachable (set at its first failure to reach one), in ms since the epoch. */
  deadline: number;
  /** Called once with the op's outcome; without it, the outcome is entry `index` of `collect`. */
  settle: ((outcome: Outcome) => void) | undefined;
  collect: Collect | undefined;
  index: number;
}

/** The outcomes of a batch's commands, delivered together once all are in. */
class Collect {
  private readonly outcomes: Outcome[];
  private left: number;

  constructor(
    count: number,
    private readonly done: BatchCallback,
  ) {
    this.outcomes = new Array(count);
    this.left = count;
  }

  put(index: number, outcome: Outcome): void {
    this.outcomes[index] = outcome;
    if (--this.left === 0) this.done(combine(this.outcomes));
  }

  /** A callback for entry `index`, for commands made of several ops. */
  entry(index: number): (outcome: Outcome) => void {
    return (outcome) => this.put(index, outcome);
  }
}

function settle(item: Op, outcome: Outcome): void {
  if (item.settle !== undefined) item.settle(outcome);
  else item.collect!.put(item.index, outcome);
}

/** Most redirections or retries for one command before its last error is the answer. */
const MAX_ATTEMPTS = 5;
const ASKING: Arg[] = ['ASKING'];
/** How often a command waiting for a failover tries again, in ms. */
const HOLD_RETRY_MS = 100;
/** SCAN cursors hold the index of the master being walked in their low bits. */
const SCAN_NODE_BITS = 10n;
const SCAN_MAX_MASTERS = 1 << Number(SCAN_NODE_BITS);

/** A redirection or transient refusal that means the command did not run and may be sent again. */
type Redirection =
  | { kind: 'moved'; slot: number; address: string }
  | { kind: 'ask'; address: string }
  | { kind: 'retry'; refresh: boolean };

/**
 * Reads MOVED / ASK / TRYAGAIN / CLUSTERDOWN and the errors of a node that is
 * no master any more. `from` (`host:port` of the node that answered) stands in
 * for a host the node does not know (`MOVED 3999 ?:6381` or `:6381`).
 */
export function redirection(message: string, from: string): Redirection | undefined {
  const space = message.indexOf(' ');
  const code = space === -1 ? message : message.slice(0, space);
  switch (code) {
    case 'MOVED':
    case 'ASK': {
      const [, slot, target] = message.split(' ');
      if (slot === undefined || target === undefined || !/^\d+$/.test(slot)) return undefined;
      const colon = target.lastIndexOf(':');
      if (colon === -1) return undefined;
      const host = target.slice(0, colon);
      const address =
        host === '' || host === '?' ? `${splitAddress(from).host}${target.slice(colon)}` : target;
      return code === 'MOVED' ? { kind: 'moved', slot: Number(slot), address } : { kind: 'ask', address };
    }
    case 'TRYAGAIN':
    case 'LOADING':
      return { kind: 'retry', refresh: false };
    // A master that became a replica in a failover refuses writes; a replica cut from its master may refuse reads.
    case 'CLUSTERDOWN':
    case 'READONLY':
    case 'MASTERDOWN':
      return { kind: 'retry', refresh: true };
    default:
      return undefined;
  }
}

/** Commands that run on every master, with how their replies combine into one. */
const EVERY_MASTER: Record<string, (replies: Reply[]) => Reply> = {
  DBSIZE: (replies) => replies.reduce<number>((sum, reply) => sum + Number(reply), 0),
  KEYS: (replies) => replies.flatMap((reply) => reply as Reply[]),
  FLUSHALL: first,
  FLUSHDB: first,
  RANDOMKEY: (replies) => {
    const found = replies.filter((reply) => reply !== null);
    return found.length === 0 ? null : found[Math.floor(Math.random() * found.length)]!;
  },
};

/** Subcommands that run on every master, so that EVALSHA and FCALL find the script on any node. */
const EVERY_MASTER_SUBCOMMANDS: Record<string, Record<string, (replies: Reply[]) => Reply>> = {
  SCRIPT: {
    LOAD: first,
    FLUSH: first,
    // Known only where every master has it: EVALSHA may land on any of them.
    EXISTS: (replies) =>
      (replies[0] as Reply[]).map((_, i) => (replies.every((reply) => (reply as Reply[])[i] === 1) ? 1 : 0)),
  },
  FUNCTION: { LOAD: first, DELETE: first, FLUSH: first, RESTORE: first },
  // ACL rules are per node in a cluster: changes go to every master, and a user is valid only where valid on all.
  ACL: {
    SETUSER: first,
    DELUSER: (replies) => Math.max(...replies.map(Number)),
    LOAD: first,
    SAVE: first,
    GETUSER: everywhereUser,
    DRYRUN: (replies) => replies.find((reply) => reply !== 'OK') ?? 'OK',
  },
};

/**
 * `ACL GETUSER` over every master: nil unless the user exists on all of them,
 * and only the flags (`on`…) and password hashes that every master has, so
 * that the user's token works only while it would work on any node.
 */
function everywhereUser(replies: Reply[]): Reply {
  if (replies.some((reply) => !Array.isArray(reply))) return null;
  const users = replies as Reply[][];
  const field = (user: Reply[], name: string): Reply[] => {
    for (let i = 0; i + 1 < user.length; i += 2) {
      if (textOf(user[i]) === name) return Array.isArray(user[i + 1]) ? (user[i + 1] as Reply[]) : [];
    }
    return [];
  };
  const common = (name: string): Reply[] => {
    const [firstUser, ...others] = users;
    const keyOf = (item: Reply) =>
      item instanceof Uint8Array ? Buffer.from(item).toString('latin1') : String(item);
    let kept = field(firstUser!, name);
    for (const other of others) {
      const theirs = new Set(field(other, name).map(keyOf));
      kept = kept.filter((item) => theirs.has(keyOf(item)));
    }
    return kept;
  };
  const merged = users[0]!.slice();
  for (let i = 0; i + 1 < merged.length; i += 2) {
    const key = textOf(merged[i]);
    if (key === 'flags' || key === 'passwords') merged[i + 1] = common(key);
  }
  return merged;
}

function first(replies: Reply[]): Reply {
  return replies[0]!;
}

/** Multi-key commands split per slot when their keys are in several, and how the parts combine. */
const SPLIT: Record<string, { pairs: boolean; merge: 'values' | 'sum' | 'ok' }> = {
  MGET: { pairs: false, merge: 'values' },
  DEL: { pairs: false, merge: 'sum' },
  UNLINK: { pairs: false, merge: 'sum' },
  EXISTS: { pairs: false, merge: 'sum' },
  TOUCH: { pairs: false, merge: 'sum' },
  MSET: { pairs: true, merge: 'ok' },
};

export interface ClusterBackendOptions {
  topology: ClusterTopology;
  /** The connections this backend sends on (its credentials). */
  pool: NodePool;
  table: KeyTable;
  /** Send keyed commands to a replica of their slot when one is up (for read-only tokens). */
  replicas?: boolean;
  /** Close the pool with the backend (it is not shared). */
  ownsPool?: boolean;
  /**
   * How long a command that could not be sent (its node unreachable, or no
   * node known for its slot) waits for a failover to give it somewhere to go,
   * in ms. 0: it fails at once.
   */
  holdMs?: number;
}

/**
 * A Redis Cluster behind the executor. Each command goes to the master serving
 * the slot of its first key (or a replica, for reads when asked); a pipeline
 * is split per node, the parts run concurrently and the replies come back in
 * the original order. `MOVED`, `ASK`, `TRYAGAIN` and `CLUSTERDOWN` are
 * followed or retried a few times, as they mean the command did not run.
 *
 * Commands that concern the whole keyspace run on every master and their
 * replies are combined (DBSIZE sums, KEYS merges, FLUSHALL flushes all, SCAN
 * walks the masters in turn with a cursor that says which one); MGET, MSET,
 * DEL, UNLINK, EXISTS and TOUCH over keys in several slots are split per slot
 * and merged. Other multi-key commands need their keys in one slot (`{tag}`),
 * as in Redis: the node's `CROSSSLOT` error is the answer.
 */
export class ClusterBackend implements Backend {
  private readonly topology: ClusterTopology;
  private readonly pool: NodePool;
  /** Retries waiting out a delay, with what answers them if the backend closes meanwhile. */
  private readonly waiting = new Map<NodeJS.Timeout, () => void>();
  /** Which replica of each shard reads next. */
  private readonly replicaTurns = new WeakMap<SlotOwner, number>();
  private closed = false;

  constructor(private readonly options: ClusterBackendOptions) {
    this.topology = options.topology;
    this.pool = options.pool;
    if (options.ownsPool) this.topology.track(options.pool);
  }

  get busy(): boolean {
    return this.waiting.size > 0 || this.pool.busy;
  }

  get lastFailure(): string {
    return this.topology.lastFailure;
  }

  get connections(): number {
    return this.pool.size;
  }

  send(commands: readonly Arg[][], done: BatchCallback): void {
    if (commands.length === 0) return done([]);
    const collect = new Collect(commands.length, done);
    const ops: Op[] = [];
    for (let i = 0; i < commands.length; i++) this.plan(commands[i]!, ops, collect, i);
    // A command may wait for a failover until this long after it was accepted.
    const deadline = Date.now() + (this.options.holdMs ?? 0);
    for (const item of ops) item.deadline = deadline;
    this.dispatch(ops);
  }

  atomic(batch: readonly Arg[][], done: BatchCallback): void {
    const inner = batch.slice(1, -1);
    let slot = -1;
    for (const args of inner) {
      const name = commandName(args);
      if (this.everyMaster(name, args) !== undefined || name === 'SCAN') {
        return done(
          refuseTransaction(
            inner,
            `ERR ${name} runs on every master of the cluster and cannot be part of a transaction`,
          ),
        );
      }
      for (const index of this.options.table.keyIndexes(name, args)) {
        const keySlot = hashSlot(args[index]!);
        if (slot === -1) slot = keySlot;
        else if (keySlot !== slot) {
          return done(refuseTransaction(inner, "CROSSSLOT Keys in request don't hash to the same slot"));
        }
      }
    }
    this.transact(batch, slot, 0, undefined, done, Date.now() + (this.options.holdMs ?? 0));
  }

  close(): void {
    this.closed = true;
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const [timer, abandon] of waiting) {
      clearTimeout(timer);
      abandon();
    }
    if (this.options.ownsPool) {
      this.topology.untrack(this.pool);
      this.pool.close();
    }
  }

  /** Turns command `index` of a batch into the ops that run it; their combined outcome goes to `collect`. */
  private plan(args: Arg[], ops: Op[], collect: Collect, index: number): void {
    const name = commandName(args);
    const combineAll = this.everyMaster(name, args);
    if (combineAll !== undefined) {
      const deliver = collect.entry(index);
      const masters = this.topology.masters;
      if (masters.length === 0) return deliver(this.noTopology());
      const parts = gather(masters.length, combineAll, deliver);
      for (let i = 0; i < masters.length; i++) ops.push(op(args, -1, parts(i), i));
      return;
    }
    if (name === 'SCAN') return this.planScan(args, ops, collect.entry(index));
    const split = SPLIT[name];
    if (split !== undefined && this.planSplit(args, split, ops, collect.entry(index))) return;
    const key = this.options.table.firstKeyIndex(name, args);
    const item = op(args, key === -1 ? -1 : hashSlot(args[key]!), undefined);
    item.collect = collect;
    item.index = index;
    ops.push(item);
  }

  private everyMaster(name: string, args: readonly Arg[]): ((replies: Reply[]) => Reply) | undefined {
    const direct = EVERY_MASTER[name];
    if (direct !== undefined) return direct;
    const subcommands = EVERY_MASTER_SUBCOMMANDS[name];
    if (subcommands === undefined || args[1] === undefined) return undefined;
    return subcommands[textOf(args[1]).toUpperCase()];
  }

  /**
   * SCAN over every master in turn. The cursor we hand out is the node's cursor
   * shifted left by 10 bits plus the index of the master it belongs to (masters
   * ordered by their first slot), so a client resumes where it stopped; "0" again
   * once the last master is done.
   */
  private planScan(args: Arg[], ops: Op[], deliver: (outcome: Outcome) => void): void {
    const masters = this.topology.masters;
    if (masters.length === 0) return deliver(this.noTopology());
    const cursorText = args[1] === undefined ? '' : textOf(args[1]);
    if (!/^\d{1,40}$/.test(cursorText)) return deliver(new ReplyError('ERR invalid cursor'));
    const cursor = BigInt(cursorText);
    const index = Number(cursor & (BigInt(SCAN_MAX_MASTERS) - 1n));
    if (index >= masters.length) {
      return deliver(
        new ReplyError('ERR invalid cursor: the cluster has fewer masters than when this SCAN started'),
      );
    }
    const nodeArgs = args.slice();
    nodeArgs[1] = String(cursor >> SCAN_NODE_BITS);
    ops.push(
      op(
        nodeArgs,
        -1,
        (outcome) => {
          if (outcome instanceof BackendFailure || outcome instanceof ReplyError || !Array.isArray(outcome)) {
            return deliver(outcome);
          }
          const next = BigInt(textOf(outcome[0] as Uint8Array));
          const resumed =
            next !== 0n
              ? (next << SCAN_NODE_BITS) | BigInt(index)
              : index + 1 < masters.length
                ? BigInt(index + 1)
                : 0n;
          deliver([Buffer.from(String(resumed)), outcome[1]!]);
        },
        index,
      ),
    );
  }

  /** Splits a multi-key command whose keys are in several slots; false when they are in one. */
  private planSplit(
    args: Arg[],
    split: (typeof SPLIT)[string],
    ops: Op[],
    deliver: (outcome: Outcome) => void,
  ): boolean {
    const width = split.pairs ? 2 : 1;
    if (args.length < 1 + width || (args.length - 1) % width !== 0) return false;
    const bySlot = new Map<number, number[]>();
    for (let i = 1; i < args.length; i += width) {
      const slot = hashSlot(args[i]!);
      const positions = bySlot.get(slot);
      if (positions === undefined) bySlot.set(slot, [i]);
      else positions.push(i);
    }
    if (bySlot.size === 1) return false;
    const groups = [...bySlot];
    const merge = (replies: Reply[]): Reply => {
      if (split.merge === 'sum') return replies.reduce<number>((sum, reply) => sum + Number(reply), 0);
      if (split.merge === 'ok') return 'OK';
      const values: Reply[] = new Array((args.length - 1) / width);
      groups.forEach(([, positions], g) => {
        const part = replies[g] as Reply[];
        positions.forEach((position, n) => {
          values[position - 1] = part[n]!;
        });
      });
      return values;
    };
    const parts = gather(groups.length, merge, deliver);
    groups.forEach(([slot, positions], g) => {
      const partArgs: Arg[] = [args[0]!];
      for (const position of positions) {
        for (let w = 0; w < width; w++) partArgs.push(args[position + w]!);
      }
      ops.push(op(partArgs, slot, parts(g)));
    });
    return true;
  }

  /** Sends ops, grouped per node: one batch per node, all nodes at once. */
  private dispatch(ops: Op[]): void {
    if (ops.length === 1) {
      const item = ops[0]!;
      const address = this.target(item);
      if (address instanceof BackendFailure) return settle(item, address);
      return this.sendGroup(address, item.replica === true, ops);
    }
    const groups = new Map<string, { address: string; replica: boolean; ops: Op[] }>();
    for (const item of ops) {
      const address = this.target(item);
      if (address instanceof BackendFailure) {
        settle(item, address);
        continue;
      }
      // A node's replica connection is another connection than its master one.
      const replica = item.replica === true;
      const key = replica ? `replica ${address}` : address;
      const group = groups.get(key);
      if (group === undefined) groups.set(key, { address, replica, ops: [item] });
      else group.ops.push(item);
    }
    for (const { address, replica, ops: group } of groups.values()) this.sendGroup(address, replica, group);
  }

  private sendGroup(address: string, replica: boolean, ops: Op[]): void {
    let batch: Arg[][];
    if (ops.length === 1 && ops[0]!.ask === undefined) {
      batch = [ops[0]!.args];
    } else {
      batch = [];
      for (const item of ops) {
        if (item.ask !== undefined) batch.push(ASKING);
        batch.push(item.args);
      }
    }
    const connection = this.pool.connect(address, replica);
    if (connection === undefined) {
      for (const item of ops) settle(item, noRoom());
      return;
    }
    connection.send(batch, (result) => this.received(address, replica, ops, result));
  }

  /** The node an op goes to now (and whether as a replica read, in `op.replica`), or why none. */
  private target(item: Op): string | BackendFailure {
    item.replica = false;
    if (this.closed) return new BackendFailure('unavailable', 'the server is shutting down');
    if (item.ask !== undefined) return item.ask;
    if (item.moved !== undefined) return item.moved;
    if (item.master !== undefined) {
      return (
        this.topology.masters[item.master] ??
        new BackendFailure('unavailable', 'the cluster lost a master while this command ran; retry it')
      );
    }
    if (item.slot === -1) return this.topology.anyMaster() ?? this.noTopology();
    const owner = this.topology.ownerOf(item.slot);
    if (owner === undefined) {
      this.topology.failed();
      return new BackendFailure(
        'unavailable',
        this.topology.ready
          ? `no cluster node serves slot ${item.slot} (CLUSTERDOWN)`
          : this.topology.lastFailure,
      );
    }
    if (this.options.replicas && !item.masterOnly && owner.replicas.length > 0) {
      // Each shard's replicas take turns.
      const turn = this.replicaTurns.get(owner) ?? 0;
      for (let n = 0; n < owner.replicas.length; n++) {
        const replica = owner.replicas[(turn + n) % owner.replicas.length]!;
        if (this.pool.peek(replica, true)?.failing !== true) {
          this.replicaTurns.set(owner, turn + n + 1);
          item.replica = true;
          return replica;
        }
      }
    }
    return owner.master;
  }

  private received(address: string, replica: boolean, ops: Op[], result: Reply[] | BackendFailure): void {
    if (result instanceof BackendFailure) {
      if (result.kind === 'unavailable') this.topology.failed();
      // Only reads go to replicas: those a replica could not take are asked of the master, which is safe.
      if (replica && result.kind === 'unavailable' && !this.closed) {
        for (const item of ops) item.masterOnly = true;
        return this.dispatch(ops);
      }
      return this.holdOrFail(ops, result, address);
    }
    let at = 0;
    let delay = 0;
    const again: Op[] = [];
    for (const item of ops) {
      if (item.ask !== undefined) at++;
      item.ask = undefined;
      const reply = result[at++]!;
      const redirect =
        reply instanceof ReplyError && item.attempts < MAX_ATTEMPTS
          ? redirection(reply.message, address)
          : undefined;
      if (redirect === undefined) {
        settle(item, reply);
        continue;
      }
      item.attempts++;
      if (redirect.kind === 'moved') {
        this.topology.moved(redirect.slot, redirect.address);
        item.moved = redirect.address;
      } else if (redirect.kind === 'ask') {
        item.ask = redirect.address;
      } else {
        if (redirect.refresh) this.topology.failed();
        item.moved = undefined;
        delay = Math.max(delay, retryDelay(item.attempts));
      }
      again.push(item);
    }
    if (again.length === 0) return;
    if (delay === 0) return this.dispatch(again);
    this.later(
      delay,
      () => this.dispatch(again),
      () => {
        for (const item of again)
          settle(item, new BackendFailure('unavailable', 'the server is shutting down'));
      },
    );
  }

  /** Sends a transaction to the master of its slot, following redirections as a whole. */
  private transact(
    batch: readonly Arg[][],
    slot: number,
    attempt: number,
    redirected: { address: string; ask: boolean } | undefined,
    done: BatchCallback,
    deadline: number,
  ): void {
    if (this.closed) return done(new BackendFailure('unavailable', 'the server is shutting down'));
    const address =
      redirected?.address ?? (slot === -1 ? this.topology.anyMaster() : this.topology.ownerOf(slot)?.master);
    if (address === undefined) {
      this.topology.failed();
      return done(this.noTopology());
    }
    const ask = redirected?.ask === true;
    const connection = this.pool.connect(address);
    if (connection === undefined) return done(noRoom());
    connection.atomic(ask ? [ASKING, ...batch] : batch, (result) => {
      if (result instanceof BackendFailure) {
        if (result.kind === 'unavailable') this.topology.failed();
        // A block that could not be sent waits for a failover like a command does.
        if (!this.mayHold(result, address) || Date.now() + HOLD_RETRY_MS >= deadline) return done(result);
        return this.later(
          HOLD_RETRY_MS,
          () => this.transact(batch, slot, attempt, undefined, done, deadline),
          () => done(result),
        );
      }
      const replies = ask ? result.slice(1) : result;
      // A refused queued command, or EXEC itself when the slot moved in between, means nothing ran.
      let redirect: Redirection | undefined;
      for (let i = 1; i < replies.length && redirect === undefined; i++) {
        const reply = replies[i];
        if (reply instanceof ReplyError) redirect = redirection(reply.message, address);
      }
      if (redirect === undefined || attempt >= MAX_ATTEMPTS) return done(replies);
      if (redirect.kind !== 'retry') {
        if (redirect.kind === 'moved') this.topology.moved(redirect.slot, redirect.address);
        const to = { address: redirect.address, ask: redirect.kind === 'ask' };
        return this.transact(batch, slot, attempt + 1, to, done, deadline);
      }
      if (redirect.refresh) this.topology.failed();
      this.later(
        retryDelay(attempt + 1),
        () => this.transact(batch, slot, attempt + 1, undefined, done, deadline),
        () => done(new BackendFailure('unavailable', 'the server is shutting down')),
      );
    });
  }

  /** Runs `run` after `ms`, or `abandon` if the backend closes first: either way the callers get an answer. */
  private later(ms: number, run: () => void, abandon: () => void): void {
    const timer = setTimeout(() => {
      this.waiting.delete(timer);
      run();
    }, ms);
    this.waiting.set(timer, abandon);
  }

  private noTopology(): BackendFailure {
    return new BackendFailure('unavailable', this.topology.lastFailure);
  }

  /**
   * Ops that could not reach `unreachable` (nothing was written) wait for a
   * failover to give their slot a new master: every HOLD_RETRY_MS they are sent
   * again if the slot map now names another node (or the node is back), until
   * their deadline. Ops out of time, ops that may have run, and ops whose
   * master has no replica to replace it get the failure.
   */
  private holdOrFail(ops: Op[], failure: BackendFailure, unreachable: string): void {
    const holdable = this.mayHold(failure, unreachable);
    const now = Date.now();
    const waiting: Op[] = [];
    for (const item of ops) {
      // A redirection pointed at the dead node: the slot map decides again.
      item.moved = undefined;
      item.ask = undefined;
      if (holdable && now + HOLD_RETRY_MS < item.deadline) waiting.push(item);
      else settle(item, failure);
    }
    if (waiting.length === 0) return;
    this.topology.failed();
    this.later(
      HOLD_RETRY_MS,
      () => this.retryHeld(waiting, failure, unreachable),
      () => {
        for (const item of waiting) settle(item, failure);
      },
    );
  }

  /** Held ops go out again unless the map still sends them to the node that cannot be reached yet. */
  private retryHeld(ops: Op[], failure: BackendFailure, unreachable: string): void {
    const stillDown = this.pool.peek(unreachable)?.failing === true;
    const ready: Op[] = [];
    const waiting: Op[] = [];
    for (const item of ops) {
      if (stillDown && this.masterFor(item) === unreachable) waiting.push(item);
      else ready.push(item);
    }
    if (ready.length > 0) this.dispatch(ready);
    // Not sent again: its connection keeps trying on its own back-off, no attempt per held request.
    if (waiting.length > 0) this.holdOrFail(waiting, failure, unreachable);
  }

  /**
   * True when a command that failed to reach `unreachable` may wait: nothing
   * was written, and a failover may still give that master's slots a
   * reachable master (it has a replica, or the map has already moved on).
   */
  private mayHold(failure: BackendFailure, unreachable: string): boolean {
    if (this.closed || failure.sent || failure.kind !== 'unavailable') return false;
    return this.topology.hasReplicas(unreachable) || !this.topology.masters.includes(unreachable);
  }

  /** The master an op would go to now, for ops bound to a slot or to a master; undefined for the others. */
  private masterFor(item: Op): string | undefined {
    if (item.master !== undefined) return this.topology.masters[item.master];
    if (item.slot === -1) return undefined;
    return this.topology.ownerOf(item.slot)?.master;
  }
}

/** The answer when the database's connection budget has no room for a connection to one more node. */
function noRoom(): BackendFailure {
  return new BackendFailure('unavailable', 'max connections reached for this database; retry later');
}

function op(
  args: Arg[],
  slot: number,
  settle: ((outcome: Outcome) => void) | undefined,
  master?: number,
): Op {
  return {
    args,
    slot,
    master,
    ask: undefined,
    moved: undefined,
    masterOnly: false,
    replica: false,
    attempts: 0,
    deadline: 0,
    settle,
    collect: undefined,
    index: 0,
  };
}

/** 40, 80, 160, 320, 640 ms: a failover or a slot migration has about a second and a half to settle. */
function retryDelay(attempt: number): number {
  return 20 * 2 ** attempt;
}

/**
 * Collects the outcomes of `count` parts and delivers them combined: the first
 * failure or Redis error if any part had one, else what `merge` makes.
 */
function gather(
  count: number,
  merge: (replies: Reply[]) => Reply,
  deliver: (outcome: Outcome) => void,
): (index: number) => (outcome: Outcome) => void {
  const replies: Outcome[] = new Array(count);
  let left = count;
  return (index) => (outcome) => {
    replies[index] = outcome;
    if (--left > 0) return;
    const failed = replies.find((reply) => reply instanceof BackendFailure || reply instanceof ReplyError);
    if (failed !== undefined) return deliver(failed);
    try {
      deliver(merge(replies as Reply[]));
    } catch {
      deliver(new ReplyError('ERR unexpected reply from a cluster node'));
    }
  };
}

/**
 * A batch's replies from its commands' outcomes. When every command failed to
 * reach Redis the batch fails as a whole (503/504); when only some did, their
 * entries say so and the others keep their replies.
 */
function combine(outcomes: Outcome[]): Reply[] | BackendFailure {
  let failures = 0;
  for (const outcome of outcomes) if (outcome instanceof BackendFailure) failures++;
  if (failures === 0) return outcomes as Reply[];
  if (failures === outcomes.length) return outcomes[0] as BackendFailure;
  return outcomes.map((outcome) =>
    outcome instanceof BackendFailure
      ? new ReplyError(
          outcome.kind === 'timeout' ? `ERR ${outcome.message}` : errors.unavailable(outcome.message),
        )
      : outcome,
  );
}

/** The replies of a transaction refused before anything was sent: everything queued, EXEC fails. */
function refuseTransaction(inner: readonly Arg[][], message: string): Reply[] {
  return ['OK', ...inner.map(() => 'QUEUED'), new ReplyError(message)];
}
