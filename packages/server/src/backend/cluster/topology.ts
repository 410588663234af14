import type { Logger } from '../../log.js';
import { type Reply, ReplyError, textOf } from '../../resp/resp.js';
import { BackendFailure, type KeyTable } from '../backend.js';
import type { RedisConnection } from '../connection.js';
import { describeEndpoint, type RedisEndpoint } from '../redis-url.js';
import { SLOTS } from './slots.js';

/** The nodes serving a range of slots: its master and its replicas, as `host:port`. */
export interface SlotOwner {
  master: string;
  replicas: string[];
}

/** Splits `host:port` (the host may be an IPv6 address). */
export function splitAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}

/**
 * Connections to cluster nodes with one set of credentials, opened on first
 * use. Replica connections are separate (they run `READONLY` first).
 */
export class NodePool {
  private readonly connections = new Map<string, RedisConnection>();
  /** Connections of nodes that left, each closing when its timer fires (or at `close()`). */
  private readonly closing = new Map<NodeJS.Timeout, RedisConnection>();

  constructor(
    private readonly make: (host: string, port: number, replica: boolean) => RedisConnection,
    /** How long a connection of a node that left the cluster stays open for the commands in flight, in ms. */
    private readonly graceMs: number,
    /** Whether one more connection may be opened (the database's budget); always, without it. */
    private readonly admit?: () => boolean,
  ) {}

  /** The connection to a node, opened now if needed; undefined when the budget allows no new one. */
  connect(address: string, replica = false): RedisConnection | undefined {
    const open = this.peek(address, replica);
    if (open !== undefined) return open;
    return this.admit && !this.admit() ? undefined : this.open(address, replica);
  }

  /** The connection to a node, opened now if needed, whatever the budget (for the database's own pool). */
  get(address: string, replica = false): RedisConnection {
    return this.peek(address, replica) ?? this.open(address, replica);
  }

  /** The connection to a node if one is open. */
  peek(address: string, replica = false): RedisConnection | undefined {
    return this.connections.get(replica ? `replica ${address}` : address);
  }

  private open(address: string, replica: boolean): RedisConnection {
    const { host, port } = splitAddress(address);
    const connection = this.make(host, port, replica);
    this.connections.set(replica ? `replica ${address}` : address, connection);
    return connection;
  }

  /** Connections open now. */
  get size(): number {
    return this.connections.size;
  }

  get busy(): boolean {
    for (const connection of this.connections.values()) if (connection.busy) return true;
    return false;
  }

  /** Closes the connections of nodes not in `addresses`, once their commands in flight had time to finish. */
  retain(addresses: ReadonlySet<string>): void {
    for (const [key, connection] of this.connections) {
      const address = key.startsWith('replica ') ? key.slice(8) : key;
      if (addresses.has(address)) continue;
      this.connections.delete(key);
      if (!connection.busy) {
        connection.close();
        continue;
      }
      const timer = setTimeout(() => {
        this.closing.delete(timer);
        connection.close();
      }, this.graceMs);
      timer.unref();
      this.closing.set(timer, connection);
    }
  }

  close(): void {
    for (const [timer, connection] of this.closing) {
      clearTimeout(timer);
      connection.close();
    }
    this.closing.clear();
    for (const connection of this.connections.values()) connection.close();
    this.connections.clear();
  }
}

export interface TopologyOptions {
  seeds: RedisEndpoint[];
  /** Connections with the database's own credentials; also asked for the topology. */
  pool: NodePool;
  /** Loaded from the first node that answers, if not loaded yet. */
  table: KeyTable;
  log: Logger;
  /** How often the slot map is refreshed when nothing prompts it, in ms. @default 5000 */
  refreshMs?: number;
}

/** Fewest milliseconds between two refreshes prompted by failures or redirections. */
const MIN_REFRESH_GAP_MS = 100;

/**
 * The slot map of a Redis Cluster: which node serves each of the 16384 slots.
 * Learned with `CLUSTER SLOTS` from any reachable node (the seeds first time),
 * and refreshed when a node redirects a command (`MOVED`), when a node cannot
 * be reached (a failover may be under way) and periodically. One refresh runs
 * at a time; the ones asked for meanwhile run once after it.
 */
export class ClusterTopology {
  private owners: (SlotOwner | undefined)[] = new Array(SLOTS);
  private masterList: string[] = [];
  /** Masters with at least one replica listed: a failover can replace them. */
  private replicated = new Set<string>();
  private next = 0;
  private loaded = false;
  private refreshing: Promise<void> | null = null;
  private again = false;
  private lastRefresh = 0;
  private pending: NodeJS.Timeout | null = null;
  private readonly timer: NodeJS.Timeout;
  private readonly pools = new Set<NodePool>();
  private closed = false;
  private error = 'the cluster topology is not known yet';
  /** The seeds as `host:port`. */
  private readonly seeds: string[];

  constructor(private readonly options: TopologyOptions) {
    this.seeds = options.seeds.map((seed) => `${seed.host}:${seed.port}`);
    this.pools.add(options.pool);
    this.timer = setInterval(() => this.refresh(), options.refreshMs ?? 5000);
    this.timer.unref();
  }

  /** The master and replicas serving `slot`, if known. */
  ownerOf(slot: number): SlotOwner | undefined {
    return this.owners[slot];
  }

  /** Every master, ordered by the first slot it serves. */
  get masters(): readonly string[] {
    return this.masterList;
  }

  /** True if a replica of this master is known, so a failover may replace it. */
  hasReplicas(master: string): boolean {
    return this.replicated.has(master);
  }

  /** A master, taking turns: for keyless commands. */
  anyMaster(): string | undefined {
    const masters = this.masterList;
    if (masters.length === 0) return undefined;
    this.next = (this.next + 1) % masters.length;
    return masters[this.next];
  }

  get ready(): boolean {
    return this.loaded;
  }

  /** Why the topology could not be learned last time. */
  get lastFailure(): string {
    return this.error;
  }

  /** Keeps the connections of `pool` in step with the nodes of the cluster. */
  track(pool: NodePool): void {
    this.pools.add(pool);
  }

  untrack(pool: NodePool): void {
    this.pools.delete(pool);
  }

  /** Learns the topology; rejects if no seed or known node answers. */
  async connect(): Promise<void> {
    await this.refresh();
    if (!this.loaded) throw new Error(this.error);
  }

  /** A node answered `MOVED`: the slot moved for good. Follow it now and re-learn the whole map soon. */
  moved(slot: number, address: string): void {
    const owner = this.owners[slot];
    if (owner?.master !== address) this.owners[slot] = { master: address, replicas: [] };
    this.soon();
  }

  /** A node failed or said the cluster is down: a failover may be under way. */
  failed(): void {
    this.soon();
  }

  /** Refreshes now, or once the one under way ends. */
  refresh(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = this.load().finally(() => {
      this.refreshing = null;
      this.lastRefresh = Date.now();
      if (this.again) {
        this.again = false;
        this.soon();
      }
    });
    return this.refreshing;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    if (this.pending) clearTimeout(this.pending);
    for (const pool of this.pools) pool.close();
  }

  /** A refresh soon, at most one per MIN_REFRESH_GAP_MS. */
  private soon(): void {
    if (this.pending || this.closed) return;
    if (this.refreshing) {
      this.again = true;
      return;
    }
    const wait = Math.max(0, this.lastRefresh + MIN_REFRESH_GAP_MS - Date.now());
    this.pending = setTimeout(() => {
      this.pending = null;
      this.refresh();
    }, wait);
    this.pending.unref();
  }

  /** Asks the known nodes, a few at a time, masters that are up first, then the seeds. */
  private async load(): Promise<void> {
    const pool = this.options.pool;
    const known = [...this.masterList];
    const candidates = [
      ...known.filter((address) => pool.get(address).ready),
      ...known.filter((address) => !pool.get(address).ready),
      ...this.seeds,
    ].filter((address, index, all) => all.indexOf(address) === index);
    const problems: string[] = [];
    for (let i = 0; i < candidates.length && !this.closed; i += 3) {
      const replies = await Promise.all(candidates.slice(i, i + 3).map((address) => this.ask(address)));
      for (const reply of replies) {
        if (typeof reply === 'string') {
          problems.push(reply);
          continue;
        }
        this.apply(reply);
        return;
      }
    }
    this.error = `no cluster node answered CLUSTER SLOTS: ${problems.join('; ') || 'no node to ask'}`;
    if (this.loaded) this.options.log.warn('cannot refresh the cluster topology', { reason: this.error });
  }

  /** One node's view of the slots, or why it gave none. */
  /**
   * One node's view: `CLUSTER SLOTS` for the slot map, and `CLUSTER NODES` for
   * which masters have a replica that could replace them (`CLUSTER SLOTS`
   * leaves out replicas that have not replicated anything yet).
   */
  private ask(address: string): Promise<SlotMap | string> {
    const { table, pool } = this.options;
    const commands = [
      ['CLUSTER', 'SLOTS'],
      ['CLUSTER', 'NODES'],
    ];
    if (!table.ready) commands.push(['COMMAND']);
    return new Promise((resolve) => {
      pool.get(address).send(commands, (result) => {
        if (result instanceof BackendFailure) return resolve(result.message);
        const [slots, nodes, command] = result;
        if (slots instanceof ReplyError) return resolve(`${address}: ${slots.message}`);
        try {
          if (command !== undefined && !(command instanceof ReplyError)) table.load(command);
          const map = parseSlots(slots!, splitAddress(address).host);
          if (nodes instanceof Uint8Array) {
            const standing = mastersWithReplicas(textOf(nodes));
            for (const [master, id] of map.ids) if (standing.has(id)) map.replicated.add(master);
          }
          resolve(map);
        } catch (error) {
          resolve(`${address}: ${(error as Error).message}`);
        }
      });
    });
  }

  private apply({ owners, masters, replicated }: SlotMap): void {
    const before = this.masterList.join(',');
    this.owners = owners;
    this.masterList = masters;
    const nodes = new Set<string>();
    for (const owner of owners) {
      if (owner === undefined || nodes.has(owner.master)) continue;
      nodes.add(owner.master);
      for (const replica of owner.replicas) nodes.add(replica);
      if (owner.replicas.length > 0) replicated.add(owner.master);
    }
    this.replicated = replicated;
    // A seed named otherwise than the cluster names its node (a host name, say) would be a second
    // connection to that node: it is closed, and opened again only if the seeds must be asked again.
    for (const pool of this.pools) pool.retain(nodes);
    if (!this.loaded || before !== masters.join(',')) {
      this.options.log.info('cluster topology', { masters: masters.join(' '), seeds: this.describeSeeds() });
    }
    this.loaded = true;
  }

  private describeSeeds(): string {
    return this.options.seeds.map(describeEndpoint).join(' ');
  }
}

/** Reads a `CLUSTER SLOTS` reply. `fallbackHost` stands in for a node that does not know its own address. */
/** A slot map learned from one node. */
export interface SlotMap {
  owners: (SlotOwner | undefined)[];
  /** Every master, ordered by the first slot it serves. */
  masters: string[];
  /** Each master's node id. */
  ids: Map<string, string>;
  /** Masters known to have a replica (filled from `CLUSTER NODES`, and from the slot map). */
  replicated: Set<string>;
}

export function parseSlots(reply: Reply, fallbackHost: string): SlotMap {
  if (!Array.isArray(reply)) throw new Error('unexpected CLUSTER SLOTS reply');
  const owners: (SlotOwner | undefined)[] = new Array(SLOTS);
  const firstSlot = new Map<string, number>();
  const ids = new Map<string, string>();
  for (const range of reply) {
    if (!Array.isArray(range) || range.length < 3) throw new Error('unexpected CLUSTER SLOTS entry');
    const [start, end, ...nodes] = range;
    if (typeof start !== 'number' || typeof end !== 'number')
      throw new Error('unexpected CLUSTER SLOTS range');
    const [master, ...replicas] = nodes.map((node) => nodeAddress(node, fallbackHost));
    const owner: SlotOwner = { master: master!, replicas };
    const id = Array.isArray(nodes[0]) ? nodes[0][2] : undefined;
    if (id instanceof Uint8Array) ids.set(owner.master, textOf(id));
    for (let slot = start; slot <= end && slot < SLOTS; slot++) owners[slot] = owner;
    const first = firstSlot.get(owner.master);
    if (first === undefined || start < first) firstSlot.set(owner.master, start);
  }
  if (firstSlot.size === 0) throw new Error('the cluster serves no slots yet');
  const masters = [...firstSlot.keys()].sort((a, b) => firstSlot.get(a)! - firstSlot.get(b)!);
  return { owners, masters, ids, replicated: new Set() };
}

/**
 * The ids of masters that have a replica able to take over (not failing, not
 * `nofailover`), from `CLUSTER NODES` lines: `<id> <ip:port@bus> <flags> <master id or -> …`.
 */
export function mastersWithReplicas(nodes: string): Set<string> {
  const ids = new Set<string>();
  for (const line of nodes.split('\n')) {
    const [, , flags, master] = line.trim().split(' ');
    if (flags === undefined || master === undefined || master === '-') continue;
    const set = flags.split(',');
    const replica = set.includes('slave') || set.includes('replica');
    // A replica that failed, has no address, or is told never to fail over cannot replace its master.
    const unable = ['fail', 'fail?', 'noaddr', 'nofailover', 'handshake'].some((flag) => set.includes(flag));
    if (replica && !unable) ids.add(master);
  }
  return ids;
}

function nodeAddress(node: Reply, fallbackHost: string): string {
  if (!Array.isArray(node) || typeof node[1] !== 'number') throw new Error('unexpected CLUSTER SLOTS node');
  let host = textOf(node[0]);
  // An empty host means "the address you reached me at"; "?" means the node does not know its hostname.
  if (host === '' || host === '?') host = fallbackHost;
  return `${host}:${node[1]}`;
}
