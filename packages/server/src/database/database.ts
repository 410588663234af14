import type { TokenSealer } from '../auth/acl-tokens.js';
import { type Backend, BackendFailure } from '../backend/backend.js';
import { ClusterBackend } from '../backend/cluster/backend.js';
import { ClusterTopology, NodePool, splitAddress } from '../backend/cluster/topology.js';
import { RedisConnection } from '../backend/connection.js';
import { describeEndpoint, type RedisEndpoint, type SentinelTarget } from '../backend/redis-url.js';
import { masterCheck, SentinelMaster } from '../backend/sentinel.js';
import { openStream, type RedisStream, type StreamOptions } from '../backend/stream.js';
import { ServerError } from '../errors.js';
import type { Logger } from '../log.js';
import { type CommandPolicy, CommandTable } from '../protocol/commands.js';
import { Executor } from '../protocol/execute.js';
import { type Arg, type Reply, ReplyError } from '../resp/resp.js';
import { AclUsers, type UserCredentials, type UserResolution } from './acl-users.js';

/** Settings of one database behind the server. */
export interface DatabaseOptions {
  /** Identifies the database in logs and in the tokens it issues. */
  id: string;
  /** The Redis; with `cluster`, the first seed (its credentials and TLS apply to every node). */
  endpoint: RedisEndpoint;
  /** A Redis Cluster: the nodes to learn the topology from, and whether read-only tokens read from replicas. */
  cluster?: { seeds: RedisEndpoint[]; readFromReplicas: boolean };
  /** A master found through Sentinel (`endpoint` is then `sentinel.master`). */
  sentinel?: SentinelTarget;
  /** Shown in logs instead of the endpoint (e.g. "embedded (…)"). */
  label?: string;
  tlsCa?: string;
  maxRequestSize: number;
  /** Most Redis connections this database may hold at once (shared + streams). */
  maxConnections: number;
  /** The operator's exceptions to the default command rules. */
  commands: CommandPolicy;
  commandTimeout: number;
  connectTimeout: number;
  log: Logger;
  /** Seals `ACL RESTTOKEN` tokens. */
  sealer: TokenSealer;
  /** How long a checked ACL user's credentials are trusted, in ms. */
  aclRecheckMs: number;
  /** ACL users' connections unused this long are closed, in ms. */
  aclIdleMs: number;
}

/**
 * One Redis behind the server: its shared auto-pipelined connection, the
 * read-only command table learned from it, and its dedicated stream
 * connections, within a connection budget.
 */
export class Database {
  /** Where the database's own commands go: one connection, or the cluster. */
  readonly backend: Backend;
  readonly table = new CommandTable();
  readonly executor: Executor;
  readonly label: string;
  private readonly streams = new Set<RedisStream>();
  private readonly users: AclUsers;
  private readonly connection?: RedisConnection;
  private readonly topology?: ClusterTopology;
  private readonly pool?: NodePool;
  private readonly replicaBackend?: ClusterBackend;
  private readonly sentinel?: SentinelMaster;
  /** ACL users' connections to a Sentinel-found master, re-opened with the database's own when the master moves. */
  private readonly userConnections = new Set<RedisConnection>();

  constructor(readonly options: DatabaseOptions) {
    this.table.policy = options.commands;
    const { cluster } = options;
    if (cluster) {
      this.label = `cluster (${cluster.seeds.map(describeEndpoint).join(' ')})`;
      this.pool = this.nodePool(undefined);
      this.topology = new ClusterTopology({
        seeds: cluster.seeds,
        pool: this.pool,
        table: this.table,
        log: options.log,
      });
      // Commands that cannot reach their node wait for a failover, up to the command timeout.
      const holdMs = options.commandTimeout;
      this.backend = new ClusterBackend({
        topology: this.topology,
        pool: this.pool,
        table: this.table,
        holdMs,
      });
      if (cluster.readFromReplicas) {
        this.replicaBackend = new ClusterBackend({
          topology: this.topology,
          pool: this.pool,
          table: this.table,
          replicas: true,
          holdMs,
        });
      }
    } else if (options.sentinel) {
      const sentinel = new SentinelMaster({
        target: options.sentinel,
        log: options.log,
        connectTimeout: options.connectTimeout,
        commandTimeout: options.commandTimeout,
        tlsCa: options.tlsCa,
        onSwitch: (address) => {
          const reason = `the master moved to ${address}`;
          this.connection?.reconnect(reason);
          for (const connection of this.userConnections) {
            if (connection.closed) this.userConnections.delete(connection);
            else connection.reconnect(reason);
          }
        },
      });
      this.sentinel = sentinel;
      this.label = sentinel.label;
      this.connection = this.newConnection(() => sentinel.endpoint(), { name: 'restash', loadTable: true });
      this.backend = this.connection;
    } else {
      this.label = options.label ?? describeEndpoint(options.endpoint);
      this.connection = this.newConnection(options.endpoint, { name: 'restash', loadTable: true });
      this.backend = this.connection;
    }
    this.executor = new Executor({
      backend: this.backend,
      table: this.table,
      issuer: { database: options.id, sealer: options.sealer },
      readBackend: this.replicaBackend,
    });
    this.users = new AclUsers({
      admin: this.backend,
      table: this.table,
      log: options.log,
      connect: (credentials) => this.userBackend(credentials),
      recheckMs: options.aclRecheckMs,
      idleMs: options.aclIdleMs,
      hasRoom: () => this.connections < this.options.maxConnections,
    });
  }

  /**
   * A connection to the database's Redis (or one of its nodes): `name` is the
   * one `CLIENT LIST` shows, if any; `loadTable` learns the command table on
   * connecting (the database's own connection); `replica` reads from a replica of a cluster.
   */
  private newConnection(
    endpoint: RedisEndpoint | (() => RedisEndpoint | string),
    { name, loadTable = false, replica = false }: { name?: string; loadTable?: boolean; replica?: boolean },
  ): RedisConnection {
    const commands: Arg[][] = [];
    const checks: ((reply: Reply) => void)[] = [];
    if (this.options.sentinel) {
      const { command, check } = masterCheck();
      commands.push(command);
      checks.push(check);
    }
    if (loadTable) {
      commands.push(['COMMAND']);
      checks.push((reply) => this.table.load(reply));
    }
    // A replica serves reads of its slots only to connections that said READONLY.
    if (replica) {
      commands.push(['READONLY']);
      checks.push(() => {});
    }
    return new RedisConnection({
      endpoint,
      log: this.options.log,
      name,
      connectTimeout: this.options.connectTimeout,
      commandTimeout: this.options.commandTimeout,
      tlsCa: this.options.tlsCa,
      // A value larger than the response limit could never be sent: do not hold it in memory either.
      maxBulk: () => this.options.maxRequestSize,
      onConnect:
        commands.length === 0
          ? undefined
          : {
              commands,
              handle: (replies) => {
                replies.forEach((reply, i) => {
                  checks[i]!(reply);
                });
              },
            },
      onDown: this.sentinel && (() => this.sentinel?.failed()),
      // Behind Sentinel, commands wait for the master to be back or replaced, up to the command timeout.
      hold: this.options.sentinel !== undefined,
    });
  }

  /** Connections to cluster nodes, with the database's credentials or a user's. */
  private nodePool(credentials: UserCredentials | undefined): NodePool {
    const name = credentials ? userName(credentials, 'restash-user') : 'restash';
    return new NodePool(
      (host, port, replica) =>
        this.newConnection(this.nodeEndpoint(host, port, credentials), { name, replica }),
      this.options.commandTimeout,
      // The database's own connections always open; a user's count against the budget, node by node.
      credentials && (() => this.connections < this.options.maxConnections),
    );
  }

  private nodeEndpoint(host: string, port: number, credentials?: UserCredentials): RedisEndpoint {
    const seed = this.options.endpoint;
    return {
      host,
      port,
      tls: seed.tls,
      username: credentials ? credentials.username : seed.username,
      password: credentials ? credentials.password : seed.password,
      db: 0,
    };
  }

  /** Where an ACL user's commands go: a connection, or cluster connections, authenticated as the user. */
  private userBackend(credentials: UserCredentials): Backend {
    const sentinel = this.sentinel;
    if (sentinel) {
      const endpoint = () => {
        const master = sentinel.endpoint();
        return typeof master === 'string' ? master : asUser(master, credentials);
      };
      const connection = this.newConnection(endpoint, { name: userName(credentials, 'restash-user') });
      this.userConnections.add(connection);
      return connection;
    }
    if (!this.topology) {
      return this.newConnection(asUser(this.options.endpoint, credentials), {
        name: userName(credentials, 'restash-user'),
      });
    }
    return new ClusterBackend({
      topology: this.topology,
      pool: this.nodePool(credentials),
      table: this.table,
      ownsPool: true,
      holdMs: this.options.commandTimeout,
    });
  }

  /** The executor for a Redis ACL user, once Redis confirms the credentials. */
  resolveUser(username: string, password: string, done: (result: UserResolution) => void): void {
    this.users.resolve(username, password, done);
  }

  /** Applies new limits and command rules (a config reload); connections stay. */
  setLimits(limits: Pick<DatabaseOptions, 'maxRequestSize' | 'maxConnections' | 'commands'>): void {
    Object.assign(this.options, limits);
    this.table.policy = limits.commands;
  }

  /** Checks an ACL user's credentials with Redis now; `done(false)` once they are revoked. */
  verifyUser(username: string, password: string, done: (valid: boolean) => void): void {
    this.users.verify(username, password, done);
  }

  get maxRequestSize(): number {
    return this.options.maxRequestSize;
  }

  /** The database's id (its config's). */
  get id(): string {
    return this.options.id;
  }

  /** For metrics: whether the shared connection is ready (on a cluster: the topology is known), and its reconnections. */
  get redisState(): { connected: boolean; reconnects: number } {
    if (this.connection) return { connected: this.connection.ready, reconnects: this.connection.restored };
    return { connected: this.topology?.ready ?? false, reconnects: 0 };
  }

  /** Connections in use: the shared one(s), every open stream and every ACL user's. */
  get connections(): number {
    return (this.pool?.size ?? 1) + this.streams.size + this.users.connections;
  }

  /** What is wrong with the Redis behind, if anything: a PING to it, or to every master of a cluster. */
  health(): Promise<string | undefined> {
    const ping = (backend: Backend) =>
      new Promise<string | undefined>((done) => {
        backend.send([['PING']], (result) => {
          done(
            result instanceof BackendFailure
              ? result.message
              : result[0] instanceof ReplyError
                ? result[0].message
                : undefined,
          );
        });
      });
    if (!this.topology || !this.pool) return ping(this.backend);
    if (!this.topology.ready) return Promise.resolve(this.topology.lastFailure);
    const pool = this.pool;
    return Promise.all(
      this.topology.masters.map(async (address) => {
        const problem = await ping(pool.get(address));
        return problem && `${address}: ${problem}`;
      }),
    ).then((problems) => {
      const failing = problems.filter((problem) => problem !== undefined);
      return failing.length > 0 ? failing.join('; ') : undefined;
    });
  }

  /**
   * Opens a dedicated connection for an SSE stream, as the given user if any.
   * On a cluster, pub/sub goes to any master (messages reach every node) and
   * MONITOR watches every master. Throws a `ServerError` (unavailable) when the budget is spent.
   */
  openStream(
    options: Pick<StreamOptions, 'commands' | 'onReply' | 'onEnd'>,
    credentials?: UserCredentials,
  ): RedisStream {
    let endpoints: RedisEndpoint[] | string;
    if (this.sentinel) {
      const master = this.sentinel.endpoint();
      endpoints = typeof master === 'string' ? master : [asUser(master, credentials)];
    } else if (this.topology) {
      const monitor = options.commands[0]?.[0] === 'MONITOR';
      const masters = monitor ? this.topology.masters : [this.topology.anyMaster()];
      endpoints = masters
        .filter((address) => address !== undefined)
        .map((address) => {
          const { host, port } = splitAddress(address);
          return this.nodeEndpoint(host, port, credentials);
        });
      if (endpoints.length === 0) endpoints = this.topology.lastFailure;
    } else {
      endpoints = [asUser(this.options.endpoint, credentials)];
    }
    const needed = typeof endpoints === 'string' ? 0 : endpoints.length;
    if (this.connections + needed > this.options.maxConnections) {
      throw new ServerError(
        'unavailable',
        `ERR max connections reached for this database (${this.options.maxConnections}); close a stream and retry`,
      );
    }
    if (typeof endpoints === 'string') return this.endedStream(endpoints, options);
    const name = userName(credentials, 'restash-stream');
    if (endpoints.length === 1) return this.stream(endpoints[0]!, name, options);
    return this.merged(endpoints, name, options);
  }

  /** A stream that could not start: it ends at once, saying why. */
  private endedStream(reason: string, options: Pick<StreamOptions, 'onEnd'>): RedisStream {
    setImmediate(() => options.onEnd(reason));
    return { close: () => {} };
  }

  private stream(
    endpoint: RedisEndpoint,
    name: string | undefined,
    options: Pick<StreamOptions, 'commands' | 'onReply' | 'onEnd'>,
  ): RedisStream {
    const stream = openStream({
      endpoint,
      tlsCa: this.options.tlsCa,
      connectTimeout: this.options.connectTimeout,
      commandTimeout: this.options.commandTimeout,
      name,
      commands: options.commands,
      onReply: options.onReply,
      onEnd: (reason) => {
        this.streams.delete(stream);
        options.onEnd(reason);
      },
    });
    this.streams.add(stream);
    return stream;
  }

  /**
   * One stream made of one per node (MONITOR on every master): one
   * confirmation is passed on once every node confirmed, and nothing before
   * it (lines from a node that confirmed early are dropped until then); when
   * one node's stream ends they all do.
   */
  private merged(
    endpoints: RedisEndpoint[],
    name: string | undefined,
    options: Pick<StreamOptions, 'commands' | 'onReply' | 'onEnd'>,
  ): RedisStream {
    let unconfirmed = endpoints.length;
    let ended = false;
    const parts: RedisStream[] = [];
    const end = (reason: string) => {
      if (ended) return;
      ended = true;
      for (const part of parts) part.close();
      options.onEnd(reason);
    };
    for (const endpoint of endpoints) {
      let confirmed = false;
      parts.push(
        this.stream(endpoint, name, {
          commands: options.commands,
          onReply: (reply) => {
            if (ended) return;
            if (!confirmed) {
              confirmed = true;
              if (reply instanceof ReplyError) {
                options.onReply(reply);
                return end('');
              }
              if (--unconfirmed === 0) options.onReply(reply);
              return;
            }
            if (unconfirmed === 0) options.onReply(reply);
          },
          onEnd: end,
        }),
      );
    }
    return { close: () => end('') };
  }

  async connect(): Promise<void> {
    if (this.topology) return this.topology.connect();
    await this.sentinel?.start();
    return this.connection!.connect();
  }

  /** Closes every stream and the shared connection(s). */
  close(): void {
    for (const stream of [...this.streams]) stream.close();
    this.users.close();
    this.replicaBackend?.close();
    this.backend.close();
    this.topology?.close();
    this.sentinel?.close();
  }
}

/** An endpoint with a user's credentials instead of the database's. */
function asUser(endpoint: RedisEndpoint, credentials: UserCredentials | undefined): RedisEndpoint {
  if (!credentials) return endpoint;
  return { ...endpoint, username: credentials.username, password: credentials.password };
}

/** The connection name for a user's connection, or none when the user may not set one. */
function userName(credentials: UserCredentials | undefined, name: string): string | undefined {
  return credentials?.named === false ? undefined : name;
}
