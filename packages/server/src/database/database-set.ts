import { join } from 'node:path';
import type { TokenSealer } from '../auth/acl-tokens.js';
import type { Access } from '../auth/tokens.js';
import { NOT_TLS } from '../backend/connection.js';
import { describeEndpoint, parseClusterSeeds, parseRedisUrl, parseSentinel } from '../backend/redis-url.js';
import { ConfigError, type DatabaseConfig } from '../config/options.js';
import { shortTokens } from '../config/validate.js';
import { type AppendFsync, EmbeddedRedis } from '../embedded/redis-process.js';
import type { Logger } from '../log.js';
import { commandList } from '../protocol/commands.js';
import { Database, type DatabaseOptions } from './database.js';
import { Identities, type TokenTable } from './identity.js';

/** Settings of a {@link DatabaseSet}. */
export interface DatabaseSetOptions {
  /** The databases to run: called by every `load()` (it may read a file, and throw a `ConfigError`). */
  configs: () => DatabaseConfig[];
  /** Many databases: errors and readiness name the database, and each embedded Redis has a directory of its own. */
  multi: boolean;
  /** What a database without its own limits gets. */
  defaults: {
    maxRequestSize: number;
    maxConnections: number;
    allowCommands: readonly string[];
    denyCommands: readonly string[];
  };
  /** Where a database without a Redis gets one: an embedded `redis-server`. */
  embedded: { dataDir: string; bin: string; appendfsync?: AppendFsync };
  /** The connection settings every database shares. */
  connection: Pick<
    DatabaseOptions,
    'tlsCa' | 'commandTimeout' | 'connectTimeout' | 'aclRecheckMs' | 'aclIdleMs'
  >;
  sealer: TokenSealer;
  /** The address the server listens on: short tokens of many databases are an error line off loopback. */
  host: string;
  log: Logger;
}

interface Running {
  database: Database;
  config: DatabaseConfig;
  embedded?: EmbeddedRedis;
}

/**
 * The databases a server fronts, and the token table that leads to them. A
 * `load()` applies what `configs()` says: new databases start before anything
 * is swapped in, removed ones close once their requests in flight are
 * answered, unchanged ones keep their connections. Loads run one at a time.
 *
 * @example
 * const set = new DatabaseSet({ configs: () => [{ id: 'default', token }], … });
 * await set.load();
 * set.identities; // token → database, for the transport
 */
export class DatabaseSet {
  /** Token → identity, replaced whole by every load. */
  readonly identities: Identities;
  private running = new Map<string, Running>();
  /** Config changes, one at a time: every load waits for the one before. */
  private applying = Promise.resolve();
  /** Databases connecting for the first time, so that `close()` can cut that short. */
  private readonly starting = new Set<Database>();
  /** Databases removed by a load, closing once their requests in flight are answered. */
  private readonly retired = new Set<Running>();
  private closing = false;

  constructor(private readonly options: DatabaseSetOptions) {
    this.identities = new Identities({ databases: new Map(), tokens: [] }, options.sealer);
  }

  /** The running databases with their configs, in config order. */
  get all(): { database: Database; config: DatabaseConfig }[] {
    return [...this.running.values()];
  }

  get size(): number {
    return this.running.size;
  }

  /** Reads `configs()` and applies it, after the load under way; a failed load changes nothing and does not block the next. */
  load(): Promise<void> {
    const change = () => this.apply(this.options.configs());
    const done = this.applying.then(change, change);
    this.applying = done.catch(() => {});
    return done;
  }

  /**
   * What is wrong with the Redis of the database named, or of every one: `null`
   * when there is no such database, `undefined` when all is well.
   */
  async ready(id: string | undefined): Promise<string | undefined | null> {
    if (id !== undefined) {
      const one = this.running.get(id);
      return one ? one.database.health() : null;
    }
    const problems = await Promise.all(
      [...this.running.values()].map(async ({ database, config }) => {
        const problem = await database.health();
        return problem && (this.options.multi ? `${config.id}: ${problem}` : problem);
      }),
    );
    const failing = problems.filter((problem) => problem !== undefined);
    return failing.length > 0 ? failing.join('; ') : undefined;
  }

  /** Cuts short the databases connecting for the first time: the load under way gives up and stops what it started. */
  interrupt(): void {
    this.closing = true;
    for (const database of this.starting) database.close();
  }

  /** Waits for the load under way, then closes every database (removed ones too) and stops embedded Redis servers. */
  async close(): Promise<void> {
    this.interrupt();
    await this.applying;
    const last = [...this.running.values(), ...this.retired];
    this.retired.clear();
    await Promise.all(last.map((running) => this.stop(running)));
  }

  /** A database's limits: its own, else the server's. */
  private limitsOf(
    config: DatabaseConfig,
  ): Pick<DatabaseOptions, 'maxRequestSize' | 'maxConnections' | 'commands'> {
    const { defaults } = this.options;
    return {
      maxRequestSize: config.maxRequestSize ?? defaults.maxRequestSize,
      maxConnections: config.maxConnections ?? defaults.maxConnections,
      commands: {
        allow: commandList(config.allowCommands ?? defaults.allowCommands, true),
        deny: commandList(config.denyCommands ?? defaults.denyCommands, false),
      },
    };
  }

  /**
   * Applies a set of databases: everything new starts before anything is swapped
   * in, and nothing changes if anything fails (or the server closes meanwhile).
   */
  private async apply(next: DatabaseConfig[]): Promise<void> {
    const kept = new Map<string, Running>();
    const started: Running[] = [];
    const limits: (() => void)[] = [];
    const gaveUp = () =>
      new Error('[restash/server] the server was closed while its databases were starting');
    try {
      for (const config of next) {
        if (this.closing) throw gaveUp();
        const current = this.running.get(config.id);
        if (current && sameRedis(current.config, config)) {
          limits.push(() => current.database.setLimits(this.limitsOf(config)));
          kept.set(config.id, { ...current, config });
        } else {
          const fresh = await this.start(config);
          started.push(fresh);
          kept.set(config.id, fresh);
        }
      }
      if (this.closing) throw gaveUp();
    } catch (error) {
      for (const fresh of started) await this.stop(fresh);
      throw error;
    }
    for (const set of limits) set();
    const removed = [...this.running.values()].filter(
      (old) => kept.get(old.config.id)?.database !== old.database,
    );
    this.running = kept;
    this.identities.replace(tokenTable(kept));
    const { log, multi, host, connection } = this.options;
    if (multi) {
      for (const { database, message, severe } of shortTokens(next, host)) {
        if (severe) log.error(message, { database });
        else log.warn(message, { database });
      }
    }
    for (const old of removed) {
      log.info('database removed; closing it once its requests in flight are answered', {
        database: old.config.id,
      });
      this.retired.add(old);
      // Every request in flight is answered within the command timeout.
      setTimeout(() => {
        if (this.retired.delete(old)) void this.stop(old);
      }, connection.commandTimeout + 1000).unref();
    }
  }

  private async start(config: DatabaseConfig): Promise<Running> {
    const { log, multi } = this.options;
    let embedded: EmbeddedRedis | undefined;
    let redisUrl = config.redisUrl;
    const seeds = config.redisCluster && parseClusterSeeds(config.redisCluster);
    const sentinel = config.sentinel && parseSentinel(config.sentinel.sentinels, config.sentinel.master);
    if (redisUrl === undefined && !seeds && !sentinel) {
      const { dataDir, bin, appendfsync } = this.options.embedded;
      embedded = new EmbeddedRedis({
        dataDir: multi ? join(dataDir, config.id) : dataDir,
        bin,
        log,
        appendfsync: config.appendfsync ?? appendfsync,
      });
      redisUrl = await embedded.start();
    }
    const endpoint = seeds ? seeds[0]! : sentinel ? sentinel.master : parseRedisUrl(redisUrl!);
    const database = new Database({
      id: config.id,
      endpoint,
      cluster: seeds && { seeds, readFromReplicas: config.readFromReplicas ?? false },
      sentinel,
      label: embedded ? `embedded (${describeEndpoint(endpoint)})` : undefined,
      ...this.options.connection,
      ...this.limitsOf(config),
      log,
      sealer: this.options.sealer,
    });
    this.starting.add(database);
    try {
      await database.connect();
    } catch (error) {
      if (embedded) {
        database.close();
        await embedded.stop();
        throw error;
      }
      const reason = (error as Error).message;
      const which = multi ? `database "${config.id}": ` : '';
      // Wrong credentials are a configuration error: waiting will not make Redis accept them.
      if (reason.includes(NOT_TLS)) {
        database.close();
        throw new ConfigError(`${which}${reason}`);
      }
      if (/WRONGPASS|invalid password|invalid username-password|NOAUTH/i.test(reason)) {
        database.close();
        throw new ConfigError(
          `${which}Redis refused the credentials: ${reason}. Check the user and password in the Redis URL`,
        );
      }
      // An external Redis that is down is not fatal: requests get 503 until it is back.
      log.warn('redis is not reachable yet; serving 503 until it is', {
        database: config.id,
        redis: database.label,
        reason,
      });
    } finally {
      this.starting.delete(database);
    }
    return { database, config, embedded };
  }

  private async stop({ database, embedded }: Running): Promise<void> {
    database.close();
    await embedded?.stop();
  }
}

/** True when two configs of a database front the same Redis, so its connections can stay. */
function sameRedis(a: DatabaseConfig, b: DatabaseConfig): boolean {
  const target = (config: DatabaseConfig) =>
    JSON.stringify([config.redisUrl, config.redisCluster, config.readFromReplicas ?? false, config.sentinel]);
  return target(a) === target(b);
}

function tokenTable(running: Map<string, Running>): TokenTable {
  const databases = new Map<string, Database>();
  const tokens: { token: string; access: Access; database: Database }[] = [];
  for (const [id, { database, config }] of running) {
    databases.set(id, database);
    tokens.push({ token: config.token, access: 'standard', database });
    if (config.readOnlyToken) tokens.push({ token: config.readOnlyToken, access: 'read-only', database });
  }
  return { databases, tokens };
}
