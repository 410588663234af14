/**
 * Real Redis topologies for tests: a Redis Cluster and a Sentinel group, each
 * made of `redis-server` processes on loopback on free ports, in temp dirs,
 * torn down by `close()` (idempotent, SIGKILL, bounded in time).
 *
 * Every wait is bounded and, when it gives up, says what it was waiting for and
 * the last state it saw.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../embedded/free-port.js';

const HOST = '127.0.0.1';
const SLOTS = 16_384;
/** How long a redis-server may take to say it is ready. */
const START_TIMEOUT_MS = 10_000;
/** How long one redis-cli call may take, so that a probe of a hung node cannot stall a wait. */
const CLI_TIMEOUT_MS = 5_000;
/** How long `redis-cli --cluster create` may take. */
const CREATE_TIMEOUT_MS = 30_000;
/** How long a process may take to exit after SIGKILL. */
const EXIT_TIMEOUT_MS = 5_000;
const POLL_MS = 100;
/** How much of a process's log is kept for error messages. */
const LOG_TAIL_CHARS = 3_000;

/**
 * What every topology of this process holds open: its children are killed and
 * its dirs removed when the process exits normally, should a test never call
 * close() (see deathSignalPrefix for other deaths). Kept on globalThis so that
 * one exit hook serves every copy of this module.
 */
interface Leftovers {
  children: Set<ChildProcess>;
  dirs: Set<() => void>;
  ports: Set<number>;
}

const LEFTOVERS_KEY = Symbol.for('restash.test.topology');
const shared = globalThis as { [key: symbol]: Leftovers | undefined };
const leftovers: Leftovers = shared[LEFTOVERS_KEY] ?? reapOnExit();
shared[LEFTOVERS_KEY] = leftovers;

function reapOnExit(): Leftovers {
  const held: Leftovers = { children: new Set(), dirs: new Set(), ports: new Set() };
  process.once('exit', () => {
    for (const child of held.children) child.kill('SIGKILL');
    for (const remove of held.dirs) remove();
  });
  return held;
}

/** One redis-server process: a cluster node, a data node or a sentinel. */
export interface TestNode {
  port: number;
  /** redis://127.0.0.1:<port> */
  url: string;
  /** SIGKILL the process; resolves once it exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same dir/config (nodes.conf kept, so it rejoins the cluster). */
  start(): Promise<void>;
  /**
   * Runs redis-cli -p port <args> (authenticated when the topology has a
   * password) and returns stdout trimmed. Rejects on non-zero exit, i.e. when
   * redis-cli cannot connect; a Redis error reply (MOVED, NOAUTH, …) is not a
   * non-zero exit in redis-cli 7.0: it comes back as text.
   */
  cli(...args: string[]): Promise<string>;
  readonly alive: boolean;
}

export interface TestCluster {
  /** All nodes, masters × (1 + replicasPerMaster) of them. */
  nodes: TestNode[];
  /** Seed URLs: the nodes' redis:// URLs. */
  seeds: string[];
  /** The node currently serving `key`'s slot as master, as a live node sees it (CLUSTER KEYSLOT and CLUSTER NODES). */
  masterOf(key: string): Promise<TestNode>;
  /** Current masters (from a live node's CLUSTER NODES), without failed (`fail`, `fail?`) or killed ones. */
  masters(): Promise<TestNode[]>;
  /**
   * Resolves when cluster_state:ok on every live node, all 16384 slots are
   * served by live masters, and every live node agrees on the slot owners —
   * and on who replicates whom, knows every live node and flags none as
   * failing. Rejects after `ms` (default 20000).
   */
  waitHealthy(ms?: number): Promise<void>;
  /** FLUSHALL on every live master (for test isolation between tests). */
  flushAll(): Promise<void>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  /** At least 3 (what `redis-cli --cluster create` needs); default 3. */
  masters?: number;
  /** Default 1. */
  replicasPerMaster?: number;
  /** cluster-node-timeout; default 1000. */
  nodeTimeoutMs?: number;
  /** requirepass and masterauth of every node. */
  password?: string;
  /**
   * Also a TLS port on every node, with TLS on the cluster bus and replication
   * (`tls-cluster yes`), so that TLS clients are told TLS ports; `seeds` are
   * then `rediss://` URLs of the TLS ports. `cli()` keeps using the plain port.
   */
  tls?: { certFile: string; keyFile: string; caFile: string };
}

export interface TestSentinelGroup {
  /** The initial master. */
  master: TestNode;
  replica: TestNode;
  /** 3 sentinels, quorum 2. */
  sentinels: TestNode[];
  /** "host:port" of each sentinel */
  sentinelAddresses: string[];
  masterName: string;
  /** What the sentinels currently say the master is: "127.0.0.1:<port>" (SENTINEL get-master-addr-by-name on a live sentinel). */
  currentMaster(): Promise<string>;
  /**
   * Resolves once every live sentinel names the same master other than
   * `previous` ("host:port") and that node reports role:master. Rejects after
   * `ms` (default 30000).
   */
  waitForNewMaster(previous: string, ms?: number): Promise<string>;
  close(): Promise<void>;
}

export interface SentinelGroupOptions {
  /** requirepass and masterauth of master and replica, and the sentinels' auth-pass. The sentinels need none. */
  password?: string;
}

/** The master name the sentinels monitor. */
export const SENTINEL_MASTER_NAME = 'restash-test';

/**
 * Starts a Redis Cluster and resolves once it is healthy and every replica is
 * in sync with its master, so a test may kill a master right away.
 *
 * Settings, for fast and predictable failover: cluster-node-timeout 1000 ms;
 * cluster-replica-validity-factor 0 (a replica always may take over, however
 * long its link was down); repl-diskless-sync-delay 0 (a replica syncs at once
 * instead of after the 5 s default). Each node has its own bus port
 * (cluster-port) rather than port + 10000, which may not exist.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  const { masters: masterCount = 3, replicasPerMaster = 1, nodeTimeoutMs = 1000, password, tls } = options;
  if (masterCount < 3) throw new Error('a Redis Cluster needs at least 3 masters');
  const size = masterCount * (1 + replicasPerMaster);
  const pool = new ProcessPool();
  try {
    const tlsPorts: number[] = [];
    const nodes = await pool.startAll(size, (index) => ({
      label: `cluster node ${index}`,
      portCount: tls ? 3 : 2,
      password,
      ready: /Ready to accept connections/,
      args: (dir, [port, busPort, tlsPort]) => [
        ...dataNodeArgs(dir, port!, password),
        ...(tls
          ? tlsArgs(tls, tlsPort!, (chosen) => {
              tlsPorts[index] = chosen;
            })
          : []),
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-port',
        String(busPort),
        '--cluster-node-timeout',
        String(nodeTimeoutMs),
        '--cluster-replica-validity-factor',
        '0',
      ],
    }));
    const ports = tls ? tlsPorts : nodes.map((node) => node.port);
    await redisCli(
      [
        ...(tls ? ['--tls', '--cacert', tls.caFile] : []),
        '--cluster',
        'create',
        ...ports.map((port) => `${HOST}:${port}`),
        '--cluster-replicas',
        String(replicasPerMaster),
        '--cluster-yes',
      ],
      password,
      CREATE_TIMEOUT_MS,
    );
    const cluster = new Cluster(
      nodes,
      pool,
      tls ? tlsPorts.map((port) => `rediss://${HOST}:${port}`) : nodes.map((node) => node.url),
    );
    await cluster.waitHealthy();
    await cluster.waitReplicasInSync(masterCount * replicasPerMaster);
    return cluster;
  } catch (error) {
    await pool.close();
    throw error;
  }
}

/**
 * Starts a master, a replica of it and 3 sentinels (quorum 2), and resolves
 * once the replica is in sync and every sentinel knows the replica and the 2
 * other sentinels, so that killing the master gets a prompt failover.
 *
 * Settings: down-after-milliseconds 1000, failover-timeout 5000 (a failed
 * leader election is retried after twice that), repl-diskless-sync-delay 0.
 */
export async function startSentinelGroup(options: SentinelGroupOptions = {}): Promise<TestSentinelGroup> {
  const { password } = options;
  const name = SENTINEL_MASTER_NAME;
  const pool = new ProcessPool();
  try {
    const master = await pool.start({
      label: 'sentinel-group master',
      portCount: 1,
      password,
      ready: /Ready to accept connections/,
      args: (dir, [port]) => dataNodeArgs(dir, port!, password),
    });
    const replica = await pool.start({
      label: 'sentinel-group replica',
      portCount: 1,
      password,
      ready: /Ready to accept connections/,
      args: (dir, [port]) => [
        ...dataNodeArgs(dir, port!, password),
        '--replicaof',
        HOST,
        String(master.port),
      ],
    });
    await poll(`replica ${replica.port} in sync with master ${master.port}`, 10_000, async () => {
      const info = await replica.cli('INFO', 'replication');
      if (!/master_link_status:up/.test(info)) throw new Error(compactInfo(info));
    });
    const sentinels = await pool.startAll(3, (index) => ({
      label: `sentinel ${index}`,
      portCount: 1,
      password: undefined,
      // Printed once the configured masters are loaded; sentinels never print "Ready to accept connections".
      ready: /\+monitor master/,
      args: (dir, [port]) => {
        const file = join(dir, 'sentinel.conf');
        const lines = [
          `port ${port}`,
          `bind ${HOST}`,
          `dir ${dir}`,
          `sentinel monitor ${name} ${HOST} ${master.port} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          ...(password === undefined ? [] : [`sentinel auth-pass ${name} ${password}`]),
        ];
        // Sentinel rewrites this file with what it learns, so it must be writable.
        writeFileSync(file, `${lines.join('\n')}\n`);
        return [file, '--sentinel'];
      },
    }));
    const group = new SentinelGroup(master, replica, sentinels, pool, password);
    await group.waitAcquainted();
    return group;
  } catch (error) {
    await pool.close();
    throw error;
  }
}

/** A TLS port besides the plain one, TLS between the nodes too, client certificates not asked for. */
function tlsArgs(
  tls: NonNullable<ClusterOptions['tls']>,
  port: number,
  remember: (port: number) => void,
): string[] {
  remember(port);
  return [
    '--tls-port',
    String(port),
    '--tls-cert-file',
    tls.certFile,
    '--tls-key-file',
    tls.keyFile,
    '--tls-ca-cert-file',
    tls.caFile,
    '--tls-auth-clients',
    'no',
    '--tls-cluster',
    'yes',
    '--tls-replication',
    'yes',
  ];
}

/** The arguments of a data node (not a sentinel). */
function dataNodeArgs(dir: string, port: number, password: string | undefined): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    HOST,
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--repl-diskless-sync-delay',
    '0',
    ...(password === undefined ? [] : ['--requirepass', password, '--masterauth', password]),
  ];
}

class Cluster implements TestCluster {
  readonly nodes: ServerProcess[];
  readonly seeds: string[];
  private readonly pool: ProcessPool;

  constructor(nodes: ServerProcess[], pool: ProcessPool, seeds: string[]) {
    this.nodes = nodes;
    this.seeds = seeds;
    this.pool = pool;
  }

  async masterOf(key: string): Promise<TestNode> {
    return this.fromLiveNode(async (node) => {
      const reply = await node.cli('CLUSTER', 'KEYSLOT', key);
      const slot = Number(reply);
      if (!Number.isInteger(slot)) throw new Error(`${node.label}: CLUSTER KEYSLOT answered ${reply}`);
      const entries = parseClusterNodes(await node.cli('CLUSTER', 'NODES'));
      const owner = entries.find(
        (entry) => entry.flags.includes('master') && entry.slots.some(([a, b]) => a <= slot && slot <= b),
      );
      if (!owner) throw new Error(`${node.label}: slot ${slot} (of ${key}) has no master`);
      return this.byPort(owner.port);
    });
  }

  async masters(): Promise<ServerProcess[]> {
    const entries = await this.fromLiveNode(async (node) =>
      parseClusterNodes(await node.cli('CLUSTER', 'NODES')),
    );
    const ports = new Set(
      entries.filter((e) => e.flags.includes('master') && !failing(e)).map((e) => e.port),
    );
    return this.nodes.filter((node) => node.alive && ports.has(node.port));
  }

  waitHealthy(ms = 20_000): Promise<void> {
    return poll('healthy cluster', ms, () => this.checkHealthy());
  }

  /** Resolves once `count` live nodes are replicas with master_link_status:up. */
  waitReplicasInSync(count: number, ms = 15_000): Promise<void> {
    return poll(`${count} replicas in sync`, ms, async () => {
      const infos = await Promise.all(
        this.live().map(async (node) => ({ node, info: await node.cli('INFO', 'replication') })),
      );
      const replicas = infos.filter(({ info }) => /role:slave/.test(info));
      const behind = replicas.filter(({ info }) => !/master_link_status:up/.test(info));
      if (replicas.length !== count || behind.length > 0) {
        throw new Error(
          `${replicas.length} replicas, not in sync: ${behind.map(({ node, info }) => `${node.label} (${compactInfo(info)})`).join('; ') || 'none'}`,
        );
      }
    });
  }

  async flushAll(): Promise<void> {
    await Promise.all(
      (await this.masters()).map(async (node) => {
        const reply = await node.cli('FLUSHALL');
        if (reply !== 'OK') throw new Error(`FLUSHALL on ${node.label}: ${reply}`);
      }),
    );
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private live(): ServerProcess[] {
    return this.nodes.filter((node) => node.alive);
  }

  private byPort(port: number): ServerProcess {
    const node = this.nodes.find((n) => n.port === port);
    if (!node) throw new Error(`port ${port} is not a node of this cluster`);
    return node;
  }

  /** `ask` on the first live node that answers. */
  private async fromLiveNode<T>(ask: (node: ServerProcess) => Promise<T>): Promise<T> {
    const errors: string[] = [];
    for (const node of this.live()) {
      try {
        return await ask(node);
      } catch (error) {
        errors.push(messageOf(error));
      }
    }
    throw new Error(`no live cluster node answered: ${errors.join('; ') || 'all nodes are dead'}`);
  }

  /** Throws with what is not healthy yet. */
  private async checkHealthy(): Promise<void> {
    const live = this.live();
    if (live.length === 0) throw new Error('every node is dead');
    const views = await Promise.all(
      live.map(async (node) => {
        const [info, nodes] = await Promise.all([node.cli('CLUSTER', 'INFO'), node.cli('CLUSTER', 'NODES')]);
        return {
          node,
          state: /cluster_state:(\w+)/.exec(info)?.[1] ?? info,
          entries: parseClusterNodes(nodes),
        };
      }),
    );
    let first: { label: string; summary: string } | undefined;
    for (const { node, state, entries } of views) {
      if (state !== 'ok') throw new Error(`${node.label} says cluster_state:${state}`);
      const summary = this.summarize(node, entries);
      if (!first) first = { label: node.label, summary };
      else if (summary !== first.summary) {
        throw new Error(`views differ: ${first.label} sees ${first.summary}; ${node.label} sees ${summary}`);
      }
    }
  }

  /**
   * What `node` sees, as text to compare with the other nodes' views: slot
   * ranges with their masters, and the role of every live node. Throws when
   * the view itself is not healthy.
   */
  private summarize(node: ServerProcess, entries: ClusterNodeEntry[]): string {
    const byPort = new Map(entries.map((entry) => [entry.port, entry]));
    const byId = new Map(entries.map((entry) => [entry.id, entry]));
    const roles: string[] = [];
    for (const other of this.live()) {
      const entry = byPort.get(other.port);
      if (!entry) throw new Error(`${node.label} does not know ${other.label}`);
      if (failing(entry)) throw new Error(`${node.label} flags ${other.label} as ${entry.flags.join(',')}`);
      if (entry.flags.includes('master')) roles.push(`${other.port}:master`);
      else roles.push(`${other.port}:replica-of-${byId.get(entry.masterId)?.port ?? entry.masterId}`);
    }
    const ranges = entries
      .filter((entry) => entry.flags.includes('master'))
      .flatMap((entry) => entry.slots.map(([start, end]) => ({ start, end, entry })))
      .sort((a, b) => a.start - b.start);
    let next = 0;
    for (const { start, end, entry } of ranges) {
      if (start !== next) throw new Error(`${node.label} sees no master for slots ${next}-${start - 1}`);
      const owner = this.nodes.find((n) => n.port === entry.port);
      if (!owner?.alive || failing(entry)) {
        throw new Error(
          `${node.label} sees slots ${start}-${end} on ${owner?.label ?? `port ${entry.port}`} (${owner?.alive ? entry.flags.join(',') : 'dead'})`,
        );
      }
      next = end + 1;
    }
    if (next !== SLOTS) throw new Error(`${node.label} sees no master for slots ${next}-${SLOTS - 1}`);
    return `slots ${ranges.map(({ start, end, entry }) => `${start}-${end}@${entry.port}`).join(' ')}; roles ${roles.join(' ')}`;
  }
}

/** One line of CLUSTER NODES. */
interface ClusterNodeEntry {
  id: string;
  /** 0 for a node without an address yet. */
  port: number;
  flags: string[];
  /** The master's id for a replica, "-" for a master. */
  masterId: string;
  /** Inclusive ranges; slots being imported or migrated (`[…]`) are left out. */
  slots: [number, number][];
}

function parseClusterNodes(text: string): ClusterNodeEntry[] {
  const entries: ClusterNodeEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    // <id> <ip:port@cport[,hostname]> <flags> <master> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot>...
    if (fields.length < 8) continue;
    entries.push({
      id: fields[0]!,
      port: Number(/:(\d+)@/.exec(fields[1]!)?.[1] ?? 0),
      flags: fields[2]!.split(','),
      masterId: fields[3]!,
      slots: fields
        .slice(8)
        .filter((slot) => !slot.startsWith('['))
        .map((slot) => {
          const [start = '', end = start] = slot.split('-');
          return [Number(start), Number(end)];
        }),
    });
  }
  return entries;
}

function failing(entry: ClusterNodeEntry): boolean {
  return entry.flags.some(
    (flag) => flag === 'fail' || flag === 'fail?' || flag === 'handshake' || flag === 'noaddr',
  );
}

class SentinelGroup implements TestSentinelGroup {
  readonly masterName = SENTINEL_MASTER_NAME;
  readonly sentinelAddresses: string[];
  readonly master: ServerProcess;
  readonly replica: ServerProcess;
  readonly sentinels: ServerProcess[];
  private readonly pool: ProcessPool;
  private readonly password: string | undefined;

  constructor(
    master: ServerProcess,
    replica: ServerProcess,
    sentinels: ServerProcess[],
    pool: ProcessPool,
    password: string | undefined,
  ) {
    this.master = master;
    this.replica = replica;
    this.sentinels = sentinels;
    this.sentinelAddresses = sentinels.map((sentinel) => `${HOST}:${sentinel.port}`);
    this.pool = pool;
    this.password = password;
  }

  async currentMaster(): Promise<string> {
    const errors: string[] = [];
    for (const sentinel of this.sentinels.filter((s) => s.alive)) {
      try {
        return await this.masterSeenBy(sentinel);
      } catch (error) {
        errors.push(messageOf(error));
      }
    }
    throw new Error(`no live sentinel answered: ${errors.join('; ') || 'all sentinels are dead'}`);
  }

  waitForNewMaster(previous: string, ms = 30_000): Promise<string> {
    return poll(`a master other than ${previous}`, ms, async () => {
      const live = this.sentinels.filter((s) => s.alive);
      if (live.length === 0) throw new Error('every sentinel is dead');
      const seen = await Promise.all(live.map(async (s) => ({ s, address: await this.masterSeenBy(s) })));
      const [first] = seen;
      const views = seen.map(({ s, address }) => `${s.label} names ${address}`).join(', ');
      if (!first || first.address === previous || seen.some(({ address }) => address !== first.address)) {
        throw new Error(views);
      }
      const port = first.address.slice(first.address.lastIndexOf(':') + 1);
      const info = await redisCli(['-h', HOST, '-p', port, 'INFO', 'replication'], this.password);
      if (!/role:master/.test(info)) {
        throw new Error(`${views}; ${first.address} is not master yet (${compactInfo(info)})`);
      }
      return first.address;
    });
  }

  /** Resolves once every sentinel knows the replica (link up) and the 2 other sentinels. */
  waitAcquainted(ms = 15_000): Promise<void> {
    const name = this.masterName;
    return poll('sentinels that know each other and the replica', ms, async () => {
      for (const sentinel of this.sentinels) {
        const others = parseRecords(await sentinel.cli('SENTINEL', 'sentinels', name));
        if (others.length !== this.sentinels.length - 1) {
          throw new Error(`${sentinel.label} knows ${others.length} other sentinels`);
        }
        const replicas = parseRecords(await sentinel.cli('SENTINEL', 'replicas', name));
        const replica = replicas.find((r) => r.port === String(this.replica.port));
        if (replica?.flags !== 'slave' || replica['master-link-status'] !== 'ok') {
          throw new Error(
            `${sentinel.label} sees the replica as ${replica ? `${replica.flags}, link ${replica['master-link-status']}` : 'unknown'}`,
          );
        }
      }
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private async masterSeenBy(sentinel: ServerProcess): Promise<string> {
    const reply = await sentinel.cli('SENTINEL', 'get-master-addr-by-name', this.masterName);
    const [host, port] = reply.split('\n').map((line) => line.trim());
    if (!host || !port || !/^\d+$/.test(port)) {
      throw new Error(`${sentinel.label} answered ${reply || '(nil)'}`);
    }
    return `${host}:${port}`;
  }
}

/**
 * The records of a SENTINEL sentinels/replicas reply, which redis-cli prints
 * as one field or value per line, each record starting with "name".
 */
function parseRecords(text: string): Record<string, string>[] {
  const lines = text === '' ? [] : text.split('\n').map((line) => line.trim());
  const records: Record<string, string>[] = [];
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const key = lines[i]!;
    if (key === 'name' || records.length === 0) records.push({});
    records[records.length - 1]![key] = lines[i + 1]!;
  }
  return records;
}

/** What to start: arguments are made once ports and a fresh dir are known. */
interface ProcessSpec {
  label: string;
  portCount: number;
  password: string | undefined;
  /** Printed to stdout once the process serves. */
  ready: RegExp;
  /** Its arguments; ports[0] is the one it serves on. */
  args: (dir: string, ports: number[]) => string[];
}

/**
 * The processes, temp dirs and ports of one topology. `close()` kills every
 * process with SIGKILL, removes the dirs and frees the ports, once.
 */
class ProcessPool {
  private readonly processes: ServerProcess[] = [];
  private readonly removers: (() => void)[] = [];
  private readonly ports: number[] = [];
  private closing: Promise<void> | undefined;

  /** Starts a process, on fresh ports in a fresh dir again (3 tries) if a port got taken meanwhile. */
  async start(spec: ProcessSpec): Promise<ServerProcess> {
    for (let attempt = 1; ; attempt++) {
      if (this.closing) throw new Error('closed');
      // Own prefix, so that a leftover dir tells where it came from.
      const dir = mkdtempSync(join(tmpdir(), 'restash-topology-'));
      const remove = () => rmSync(dir, { recursive: true, force: true });
      this.removers.push(remove);
      leftovers.dirs.add(remove);
      const ports = await reservePorts(spec.portCount);
      this.ports.push(...ports);
      const node = new ServerProcess(
        `${spec.label} (${HOST}:${ports[0]})`,
        ports[0]!,
        spec.args(dir, ports),
        spec,
      );
      this.processes.push(node);
      try {
        await node.start();
        return node;
      } catch (error) {
        if (attempt < 3 && /Address already in use/.test(messageOf(error))) continue;
        throw error;
      }
    }
  }

  /** Starts `count` processes at once; rejects (once all settled) if any failed. */
  async startAll(count: number, spec: (index: number) => ProcessSpec): Promise<ServerProcess[]> {
    const results = await Promise.allSettled(Array.from({ length: count }, (_, i) => this.start(spec(i))));
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    return results.map((result) => (result as PromiseFulfilledResult<ServerProcess>).value);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const results = await Promise.allSettled(this.processes.map((node) => node.kill()));
      for (const remove of this.removers) {
        remove();
        leftovers.dirs.delete(remove);
      }
      for (const port of this.ports) leftovers.ports.delete(port);
      const failed = results.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
    })();
    return this.closing;
  }
}

/** A redis-server child that can be killed and started again with the same arguments. */
class ServerProcess implements TestNode {
  readonly port: number;
  readonly url: string;
  /** For messages: role and address. */
  readonly label: string;
  private readonly args: string[];
  private readonly ready: RegExp;
  private readonly password: string | undefined;
  private child: ChildProcess | null = null;
  /** The end of the process's output, across restarts. */
  private log = '';

  constructor(label: string, port: number, args: string[], options: { ready: RegExp; password?: string }) {
    this.label = label;
    this.port = port;
    this.url = `redis://${HOST}:${port}`;
    this.args = args;
    this.ready = options.ready;
    this.password = options.password;
  }

  get alive(): boolean {
    const child = this.child;
    return child !== null && child.pid !== undefined && child.exitCode === null && child.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.alive) return;
    const [command, ...args] = [...deathSignalPrefix(), 'redis-server', ...this.args];
    const child = spawn(command!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    leftovers.children.add(child);
    child.once('exit', () => leftovers.children.delete(child));
    // Keep reading for as long as it runs, so that a full pipe never blocks it.
    const record = (chunk: Buffer) => {
      this.log = (this.log + chunk.toString()).slice(-LOG_TAIL_CHARS);
    };
    child.stdout.on('data', record);
    child.stderr.on('data', record);
    try {
      await new Promise<void>((resolve, reject) => {
        let output = '';
        const settle = (error?: Error) => {
          clearTimeout(timer);
          child.stdout.off('data', watch);
          child.off('close', onClose);
          child.off('error', settle);
          if (error) reject(error);
          else resolve();
        };
        const watch = (chunk: Buffer) => {
          output += chunk.toString();
          if (this.ready.test(output)) settle();
        };
        // 'close', not 'exit': all its output has been read by then.
        const onClose = (code: number | null, signal: NodeJS.Signals | null) =>
          settle(new Error(`${this.label} exited (${signal ?? code}) before it was ready: ${this.log}`));
        const timer = setTimeout(
          () =>
            settle(
              new Error(`${this.label} printed no ${this.ready} within ${START_TIMEOUT_MS} ms: ${this.log}`),
            ),
          START_TIMEOUT_MS,
        );
        child.stdout.on('data', watch);
        child.once('close', onClose);
        child.once('error', settle);
      });
    } catch (error) {
      await this.kill();
      throw error;
    }
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await withTimeout(
      exited,
      EXIT_TIMEOUT_MS,
      () => `${this.label} did not exit within ${EXIT_TIMEOUT_MS} ms of SIGKILL`,
    );
  }

  cli(...args: string[]): Promise<string> {
    return redisCli(['-h', HOST, '-p', String(this.port), ...args], this.password);
  }
}

let setpriv: string[] | undefined;

/**
 * `setpriv --pdeathsig KILL` where that works (Linux): the kernel then kills
 * redis-server as soon as the process that spawned it dies, also by a signal
 * that runs no 'exit' handler, like the SIGTERM with which vitest stops its
 * fork workers (on a hook timeout or Ctrl-C, say). Elsewhere, nothing.
 */
function deathSignalPrefix(): string[] {
  setpriv ??=
    spawnSync('setpriv', ['--pdeathsig', 'KILL', 'true']).status === 0
      ? ['setpriv', '--pdeathsig', 'KILL']
      : [];
  return setpriv;
}

/**
 * Runs redis-cli (authenticated through REDISCLI_AUTH, which keeps the
 * password off the command line). Resolves with stdout trimmed; rejects on a
 * non-zero exit or after `timeoutMs`.
 */
function redisCli(args: string[], password: string | undefined, timeoutMs = CLI_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = password === undefined ? process.env : { ...process.env, REDISCLI_AUTH: password };
    const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-cli ${args.join(' ')} took over ${timeoutMs} ms: ${out.slice(-500)}`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) {
        resolve(out.trim());
        return;
      }
      const detail = (err || out).trim().slice(-1000);
      reject(new Error(`redis-cli ${args.join(' ')} exited with ${code}: ${detail}`));
    });
  });
}

/**
 * Calls `probe` every POLL_MS until it resolves, and resolves with its value. A
 * rejection means "not yet" and its message is the state seen; after `ms` this
 * rejects with `what` and that last state.
 */
async function poll<T>(what: string, ms: number, probe: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + ms;
  let last = 'nothing observed yet';
  while (Date.now() < deadline) {
    try {
      return await withTimeout(probe(), deadline - Date.now(), () => 'deadline');
    } catch (error) {
      if (Date.now() >= deadline) break;
      last = messageOf(error);
    }
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))),
    );
  }
  throw new Error(`${what} not reached within ${ms} ms; last seen: ${last}`);
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The replication fields worth showing in a message. */
function compactInfo(info: string): string {
  return (
    info
      .split('\n')
      .map((line) => line.trim())
      .filter((line) =>
        /^(role|master_host|master_port|master_link_status|master_sync_in_progress)/.test(line),
      )
      .join(' ') || info.slice(0, 200)
  );
}

/** Ports not handed to an open topology of this process: a killed node's port stays its own for a restart. */
async function reservePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let tries = 0; ports.length < count; tries++) {
    if (tries > count * 20) throw new Error(`no ${count} free ports found`);
    const port = await freePort();
    if (leftovers.ports.has(port)) continue;
    leftovers.ports.add(port);
    ports.push(port);
  }
  return ports;
}
