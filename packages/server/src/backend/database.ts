import type { TokenSealer } from '../auth/acl-tokens.js';
import { AclUsers, type UserResolution } from '../auth/acl-users.js';
import type { Logger } from '../log.js';
import { CommandTable } from '../protocol/commands.js';
import { Executor } from '../protocol/execute.js';
import { RedisConnection } from './connection.js';
import { describeEndpoint, type RedisEndpoint } from './redis-url.js';
import { openStream, type RedisStream, type StreamOptions } from './stream.js';

/** Settings of one database behind the server. */
export interface DatabaseOptions {
  /** Identifies the database in logs and in the tokens it issues. */
  id: string;
  endpoint: RedisEndpoint;
  /** Shown in logs instead of the endpoint (e.g. "embedded (…)"). */
  label?: string;
  tlsCa?: string;
  maxRequestSize: number;
  /** Most Redis connections this database may hold at once (shared + streams). */
  maxConnections: number;
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

/** Thrown when a database has no connection left for a new stream. */
export class TooManyConnections extends Error {}

/**
 * One Redis behind the server: its shared auto-pipelined connection, the
 * read-only command table learned from it, and its dedicated stream
 * connections, within a connection budget.
 */
export class Database {
  readonly connection: RedisConnection;
  readonly table = new CommandTable();
  readonly executor: Executor;
  readonly label: string;
  private readonly streams = new Set<RedisStream>();
  private readonly users: AclUsers;

  constructor(readonly options: DatabaseOptions) {
    this.label = options.label ?? describeEndpoint(options.endpoint);
    this.connection = this.newConnection(options.endpoint, true);
    this.executor = new Executor(this.connection, this.table, {
      database: options.id,
      sealer: options.sealer,
    });
    this.users = new AclUsers({
      endpoint: options.endpoint,
      admin: this.connection,
      table: this.table,
      log: options.log,
      connect: (endpoint) => this.newConnection(endpoint, false),
      recheckMs: options.aclRecheckMs,
      idleMs: options.aclIdleMs,
      hasRoom: () => this.connections < this.options.maxConnections,
    });
  }

  private newConnection(endpoint: RedisEndpoint, main: boolean): RedisConnection {
    return new RedisConnection({
      endpoint,
      log: this.options.log,
      name: main ? 'restash' : 'restash-user',
      connectTimeout: this.options.connectTimeout,
      commandTimeout: this.options.commandTimeout,
      tlsCa: this.options.tlsCa,
      // A value larger than the response limit could never be sent: do not hold it in memory either.
      maxBulk: () => this.options.maxRequestSize,
      onConnect: main ? { commands: [['COMMAND']], handle: ([reply]) => this.table.load(reply!) } : undefined,
    });
  }

  /** The executor for a Redis ACL user, once Redis confirms the credentials. */
  resolveUser(username: string, password: string, done: (result: UserResolution) => void): void {
    this.users.resolve(username, password, done);
  }

  get maxRequestSize(): number {
    return this.options.maxRequestSize;
  }

  /** Connections in use: the shared one, every open stream and every ACL user's. */
  get connections(): number {
    return 1 + this.streams.size + this.users.size;
  }

  /**
   * Opens a dedicated connection for an SSE stream, as the given user if any.
   * Throws `TooManyConnections` when the budget is spent.
   */
  openStream(
    options: Pick<StreamOptions, 'commands' | 'onReply' | 'onEnd'>,
    credentials?: { username: string; password: string },
  ): RedisStream {
    if (this.connections >= this.options.maxConnections) {
      throw new TooManyConnections(
        `ERR max connections reached for this database (${this.options.maxConnections}); close a stream and retry`,
      );
    }
    const endpoint = credentials ? { ...this.options.endpoint, ...credentials } : this.options.endpoint;
    const stream = openStream({
      endpoint,
      tlsCa: this.options.tlsCa,
      connectTimeout: this.options.connectTimeout,
      commandTimeout: this.options.commandTimeout,
      name: 'restash-stream',
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

  connect(): Promise<void> {
    return this.connection.connect();
  }

  /** Closes every stream and the shared connection. */
  close(): void {
    for (const stream of [...this.streams]) stream.close();
    this.users.close();
    this.connection.close();
  }
}
