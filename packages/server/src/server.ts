import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import tlsModule from 'node:tls';
import { DEFAULT_MAX_REQUEST_SIZE } from '@restash/core/protocol';
import { TokenSealer } from './auth/acl-tokens.js';
import type { Access } from './auth/tokens.js';
import { NOT_TLS } from './backend/connection.js';
import { describeEndpoint, parseClusterSeeds, parseRedisUrl, parseSentinel } from './backend/redis-url.js';
import { Database } from './database/database.js';
import { Identities, type TokenTable } from './database/identity.js';
import { type AppendFsync, EmbeddedRedis } from './embedded/redis-process.js';
import { createLogger, type Logger, type LogLevel } from './log.js';
import { commandList } from './protocol/commands.js';
import { HttpHandler, OPERATOR_PATHS, sameToken } from './transport/http.js';
import { Metrics } from './transport/metrics.js';
import { SseStreams } from './transport/sse.js';
import { VERSION } from './version.js';

/** One database behind a multi-database server. */
export interface DatabaseConfig {
  /** Letters, digits, `_`, `.`, `-`; names the database in logs and in its ACL tokens. */
  id: string;
  /** Redis URL; without it (or `"embedded"` in a config file) an embedded Redis in `<dataDir>/<id>`. */
  redisUrl?: string;
  /** Seed node URLs of a Redis Cluster, instead of `redisUrl`. */
  redisCluster?: string[];
  /** On a cluster, read-only tokens read from replicas. */
  readFromReplicas?: boolean;
  /** A master found through Sentinel, instead of `redisUrl`. */
  sentinel?: SentinelConfig;
  token: string;
  readOnlyToken?: string;
  /** @default the server's `maxRequestSize` */
  maxRequestSize?: number;
  /** Most Redis connections for this database: the shared one, streams and ACL users' ones. @default 100 */
  maxConnections?: number;
  /** For an embedded Redis: replaces the server's `appendfsync` (applied when that Redis starts). */
  appendfsync?: AppendFsync;
  /** Replaces the server's `allowCommands` for this database. */
  allowCommands?: string[];
  /** Replaces the server's `denyCommands` for this database. */
  denyCommands?: string[];
}

/** A Redis master found through Sentinel. */
export interface SentinelConfig {
  /** Sentinels: `host:port` (port 26379 if left out) or `redis://user:pass@host:port` URLs. */
  sentinels: string[];
  /** The master's name at the Sentinels, or `redis://user:pass@NAME/db` for its credentials, database and TLS. */
  master: string;
}

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** The standard token of the single database: may run every command the REST API allows. */
  token?: string;
  /** A token limited to read commands (no KEYS/SCAN). */
  readOnlyToken?: string;
  /**
   * The Redis to front: `redis://[user:pass@]host:port[/db]`, `rediss://…` (TLS),
   * `unix:///path.sock`. Without it the server starts its own `redis-server`.
   */
  redisUrl?: string;
  /**
   * Seed node URLs of a Redis Cluster instead of `redisUrl`: the topology is
   * learned from them; the first one's credentials and TLS apply to every node.
   */
  redisCluster?: string[];
  /** On a cluster, read-only tokens read from replicas (which may lag behind their master). */
  readFromReplicas?: boolean;
  /** A master found through Sentinel, followed across failovers, instead of `redisUrl`. */
  sentinel?: SentinelConfig;
  /** Many databases instead of one (`token`/`redisUrl` must then be absent). */
  databases?: DatabaseConfig[];
  /** A JSON databases file; read at `listen()` and again at every `reload()`. */
  configFile?: string;
  /** Reads `configFile`; the CLI passes its parser. Required with `configFile`. */
  readConfigFile?: (path: string) => DatabaseConfig[];
  /**
   * Secret that seals `ACL RESTTOKEN` tokens. Instances sharing a secret accept each
   * other's tokens. @default a random secret per process (tokens die with it)
   */
  secret?: string;
  /** PEM certificate(s) to trust for a `rediss://` Redis, besides Node's default CAs (the file's contents, not its path). */
  redisTlsCa?: string;
  /** Port to listen on; 0 picks a free one. @default 8079 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Data directory of the embedded Redis. @default './.restash' */
  dataDir?: string;
  /**
   * When the embedded Redis writes its append-only file to disk: `everysec` may lose the
   * last second of acknowledged writes on a power cut; `always` loses none, at a cost in
   * write throughput. @default 'everysec'
   */
  appendfsync?: AppendFsync;
  /** The `redis-server` binary for the embedded Redis. @default 'redis-server' */
  redisServerBin?: string;
  /** Largest request body and response body, in bytes. @default 10485760 */
  maxRequestSize?: number;
  /** Most Redis connections per database. @default 100 */
  maxConnections?: number;
  /**
   * Server-administration commands to allow although they are refused by
   * default (every command Redis flags `@admin`, and MIGRATE): `NAME` or
   * `NAME|SUBCOMMAND`, e.g. `['CONFIG|GET', 'SLOWLOG']`. @default []
   */
  allowCommands?: string[];
  /** Commands to refuse to every token, e.g. `['EVAL', 'FLUSHALL']`; wins over `allowCommands`. @default [] */
  denyCommands?: string[];
  /**
   * Most HTTP connections open at once; beyond it a connection gets a JSON 503 and is closed.
   * @default the open-file limit less 200 (for Redis connections and files), at least 100
   */
  maxClients?: number;
  /**
   * Most HTTP connections open at once from one client address (0: no such cap). Behind a
   * proxy or load balancer every client has its address: leave it off there. @default 0
   */
  maxClientsPerAddress?: number;
  /** Most commands in one `/pipeline` or `/multi-exec` (413 beyond, before anything runs). @default 10000 */
  maxPipelineCommands?: number;
  /**
   * Most response bytes that may wait, in all, for clients that read slowly; beyond it,
   * answers over 64 KiB are a 503 until they read. @default 268435456 (256 MiB)
   */
  maxBufferedResponses?: number;
  /** How long a client may take to read a response before its connection is closed, in ms. @default 60000 */
  responseTimeout?: number;
  /** How long a command may wait for Redis before a 504, in ms. @default 10000 */
  commandTimeout?: number;
  /** How long a connection attempt to Redis may take, in ms. @default 3000 */
  connectTimeout?: number;
  /** How long `close()` waits for requests in flight, in ms. @default 10000 */
  shutdownTimeout?: number;
  /** Interval of SSE keep-alive comments, in ms. @default 15000 */
  sseHeartbeat?: number;
  /** Bytes that may wait for a slow SSE reader before its stream is closed. @default 1048576 */
  sseMaxBuffer?: number;
  /** How long an ACL user's checked credentials are trusted, in ms. @default 1000 */
  aclRecheck?: number;
  /** ACL users' connections unused this long are closed, in ms. @default 60000 */
  aclIdle?: number;
  /** `Access-Control-Allow-Origin` value. @default '*' */
  corsOrigin?: string;
  /** @default 'info' */
  logLevel?: LogLevel;
  /** One `info` log line per request (id, method, route, command name, pipeline length, status, ms, client). @default false */
  logRequests?: boolean;
  /**
   * PEM certificate (chain) file: serve HTTPS instead of HTTP. Needs `tlsKey`. Both files are
   * read again by `reload()` (SIGHUP), so a renewed certificate applies to new connections.
   */
  tlsCert?: string;
  /** PEM private key file of `tlsCert`. */
  tlsKey?: string;
  /** Serves `GET /-/metrics` on the main listener to requests bearing this token. */
  metricsToken?: string;
  /** Serves `GET /-/metrics` (no token unless `metricsToken` is set) on a listener of its own on this port. */
  metricsPort?: number;
  /** Address of the metrics listener. @default '127.0.0.1' */
  metricsHost?: string;
  /** Replaces the JSON-lines logger on stderr. */
  logger?: Logger;
}

/** A running (or ready to run) Restash server. */
export interface RestashServer {
  /** Connects to (or starts) Redis, then listens. Resolves with the base URL. */
  listen(): Promise<string>;
  /**
   * Reads the config file again and applies it: new databases start, removed ones
   * close once their requests in flight are answered, unchanged ones keep their
   * connections. A bad file throws a `ConfigError` and the running config stays.
   */
  reload(): Promise<void>;
  /** Stops listening, answers requests in flight, closes Redis connections, stops embedded Redis servers. */
  close(): Promise<void>;
  /** `http://host:port` (`https://` with TLS) once listening. */
  readonly url: string;
  /** `http://host:port/-/metrics` of the metrics listener, once listening, if there is one. */
  readonly metricsUrl: string | undefined;
  /** The Redis being fronted (password removed) — of the first database — once listening. */
  readonly redis: string;
  /** The underlying `node:http` server. */
  readonly http: http.Server;
}

/** Error thrown for invalid server options; the message names the option. */
export class ConfigError extends Error {}

interface Running {
  database: Database;
  config: DatabaseConfig;
  embedded?: EmbeddedRedis;
}

/**
 * Creates the REST server.
 *
 * @example
 * const server = createServer({ token: 'secret', redisUrl: 'redis://127.0.0.1:6379', port: 0 });
 * const url = await server.listen();
 * // curl -H 'Authorization: Bearer secret' "$url/set/hello/world"
 * await server.close();
 */
export function createServer(options: ServerOptions): RestashServer {
  validate(options);
  const log = options.logger ?? createLogger(options.logLevel ?? 'info');
  const sealer = new TokenSealer(options.secret ?? randomBytes(32).toString('base64url'));
  const commandTimeout = options.commandTimeout ?? 10_000;
  const multi = options.databases !== undefined || options.configFile !== undefined;
  let running = new Map<string, Running>();
  const identities = new Identities({ databases: new Map(), tokens: [] }, sealer);
  const streams = new SseStreams({
    heartbeatMs: options.sseHeartbeat ?? 15_000,
    maxBuffer: options.sseMaxBuffer ?? 1024 * 1024,
  });
  let url = '';
  let closing: Promise<void> | undefined;
  /** Config changes, one at a time: listen() and every reload() wait for the one before. */
  let applying = Promise.resolve();
  /** Databases connecting for the first time, so that close() can cut that short. */
  const starting = new Set<Database>();
  /** Databases removed by a reload, closing once their requests in flight are answered. */
  const retired = new Set<Running>();

  const ready = async (id: string | undefined): Promise<string | undefined | null> => {
    if (id !== undefined) {
      const one = running.get(id);
      return one ? one.database.health() : null;
    }
    const problems = await Promise.all(
      [...running.values()].map(async ({ database, config }) => {
        const problem = await database.health();
        return problem && (multi ? `${config.id}: ${problem}` : problem);
      }),
    );
    const failing = problems.filter((problem) => problem !== undefined);
    return failing.length > 0 ? failing.join('; ') : undefined;
  };

  const metricsOn = options.metricsToken !== undefined || options.metricsPort !== undefined;
  const metrics = metricsOn
    ? new Metrics(() => ({
        databases: [...running.values()].map(({ database }) => ({
          id: database.id,
          ...database.redisState,
          connections: database.connections,
        })),
        streams: streams.size,
        multi,
      }))
    : undefined;
  const handler = new HttpHandler({
    identities,
    streams,
    log,
    corsOrigin: options.corsOrigin ?? '*',
    ready,
    version: VERSION,
    metrics,
    // With a listener of its own, the metrics are not served on the main one.
    metricsToken: options.metricsPort === undefined ? options.metricsToken : undefined,
    multi,
    requestLog: options.logRequests ? 'info' : log.enabled('debug') ? 'debug' : undefined,
    maxPipelineCommands: options.maxPipelineCommands ?? 10_000,
    maxBufferedResponses: options.maxBufferedResponses ?? 256 * 1024 * 1024,
    responseTimeout: options.responseTimeout ?? 60_000,
  });
  // Without a Host header Node answers an empty 400 itself; HTTP/1.0 clients never send one anyway.
  const readTls = (): { cert: Buffer; key: Buffer } | undefined => {
    if (options.tlsCert === undefined) return undefined;
    const read = (what: string, file: string) => {
      try {
        return readFileSync(file);
      } catch (error) {
        throw new ConfigError(`${what}: cannot read ${file}: ${(error as Error).message}`);
      }
    };
    return { cert: read('TLS certificate', options.tlsCert), key: read('TLS key', options.tlsKey!) };
  };
  const serverOptions = { keepAliveTimeout: 65_000, requireHostHeader: false };
  const tls = readTls();
  if (tls) checkTls(tls);
  const server: http.Server = tls
    ? https.createServer({ ...serverOptions, ...tls }, handler.handle)
    : http.createServer(serverOptions, handler.handle);
  const metricsServer =
    options.metricsPort !== undefined && metrics
      ? http.createServer((req, res) => {
          const path = (req.url ?? '/').split('?')[0];
          const token = options.metricsToken;
          const given = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
          const [status, type, body] =
            path !== OPERATOR_PATHS.metrics
              ? [404, 'application/json', '{"error":"ERR only /-/metrics is served here"}']
              : token !== undefined && (given === undefined || !sameToken(given, token))
                ? [401, 'application/json', '{"error":"Unauthorized"}']
                : [200, 'text/plain; version=0.0.4; charset=utf-8', metrics.render()];
          req.resume();
          res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
          res.end(body);
        })
      : undefined;
  let metricsUrl: string | undefined;
  server.on('clientError', handler.clientError);
  server.on('connect', handler.connectMethod);
  server.on('checkExpectation', handler.expectation);
  handler.capConnections(
    server,
    options.maxClients ?? defaultMaxClients(),
    options.maxClientsPerAddress ?? 0,
  );
  server.headersTimeout = 30_000;
  server.requestTimeout = 120_000;

  const configs = (): DatabaseConfig[] => {
    if (options.configFile) {
      const read = options.readConfigFile!(options.configFile);
      checkDatabases(read, `config file ${options.configFile}`);
      return read;
    }
    if (options.databases) return options.databases;
    return [
      {
        id: 'default',
        redisUrl: options.redisUrl,
        redisCluster: options.redisCluster,
        readFromReplicas: options.readFromReplicas,
        sentinel: options.sentinel,
        token: options.token!,
        readOnlyToken: options.readOnlyToken,
      },
    ];
  };

  /** A database's limits: its own, else the server's, else the defaults. */
  const limitsOf = (config: DatabaseConfig) => ({
    maxRequestSize: config.maxRequestSize ?? options.maxRequestSize ?? DEFAULT_MAX_REQUEST_SIZE,
    maxConnections: config.maxConnections ?? options.maxConnections ?? 100,
    commands: {
      allow: commandList(config.allowCommands ?? options.allowCommands ?? [], true),
      deny: commandList(config.denyCommands ?? options.denyCommands ?? [], false),
    },
  });

  const start = async (config: DatabaseConfig): Promise<Running> => {
    let embedded: EmbeddedRedis | undefined;
    let redisUrl = config.redisUrl;
    const seeds = config.redisCluster && parseClusterSeeds(config.redisCluster);
    const sentinel = config.sentinel && parseSentinel(config.sentinel.sentinels, config.sentinel.master);
    if (redisUrl === undefined && !seeds && !sentinel) {
      const dataDir = options.dataDir ?? './.restash';
      embedded = new EmbeddedRedis({
        dataDir: multi ? join(dataDir, config.id) : dataDir,
        bin: options.redisServerBin ?? 'redis-server',
        log,
        appendfsync: config.appendfsync ?? options.appendfsync,
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
      tlsCa: options.redisTlsCa,
      ...limitsOf(config),
      commandTimeout,
      connectTimeout: options.connectTimeout ?? 3000,
      log,
      sealer,
      aclRecheckMs: options.aclRecheck ?? 1000,
      aclIdleMs: options.aclIdle ?? 60_000,
    });
    starting.add(database);
    try {
      await database.connect();
    } catch (error) {
      if (embedded) {
        database.close();
        await embedded.stop();
        throw error;
      }
      const reason = (error as Error).message;
      // Wrong credentials are a configuration error: waiting will not make Redis accept them.
      if (reason.includes(NOT_TLS)) {
        database.close();
        throw new ConfigError(`${multi ? `database "${config.id}": ` : ''}${reason}`);
      }
      if (/WRONGPASS|invalid password|invalid username-password|NOAUTH/i.test(reason)) {
        database.close();
        throw new ConfigError(
          `${multi ? `database "${config.id}": ` : ''}Redis refused the credentials: ${reason}. Check the user and password in the Redis URL`,
        );
      }
      // An external Redis that is down is not fatal: requests get 503 until it is back.
      log.warn('redis is not reachable yet; serving 503 until it is', {
        database: config.id,
        redis: database.label,
        reason: (error as Error).message,
      });
    } finally {
      starting.delete(database);
    }
    return { database, config, embedded };
  };

  const stop = async ({ database, embedded }: Running): Promise<void> => {
    database.close();
    await embedded?.stop();
  };

  /**
   * Applies a set of databases: everything new starts before anything is swapped
   * in, and nothing changes if anything fails (or the server closes meanwhile).
   */
  const apply = async (next: DatabaseConfig[]): Promise<void> => {
    const kept = new Map<string, Running>();
    const started: Running[] = [];
    const limits: (() => void)[] = [];
    try {
      for (const config of next) {
        if (closing)
          throw new Error('[restash/server] the server was closed while its databases were starting');
        const current = running.get(config.id);
        if (current && sameRedis(current.config, config)) {
          limits.push(() => current.database.setLimits(limitsOf(config)));
          kept.set(config.id, { ...current, config });
        } else {
          const fresh = await start(config);
          started.push(fresh);
          kept.set(config.id, fresh);
        }
      }
      if (closing)
        throw new Error('[restash/server] the server was closed while its databases were starting');
    } catch (error) {
      for (const fresh of started) await stop(fresh);
      throw error;
    }
    for (const set of limits) set();
    const removed = [...running.values()].filter((old) => kept.get(old.config.id)?.database !== old.database);
    running = kept;
    identities.replace(tokenTable(kept));
    if (multi) warnWeakTokens(next, options.host ?? '127.0.0.1', log);
    for (const old of removed) {
      log.info('database removed; closing it once its requests in flight are answered', {
        database: old.config.id,
      });
      retired.add(old);
      // Every request in flight is answered within the command timeout.
      setTimeout(() => {
        if (retired.delete(old)) void stop(old);
      }, commandTimeout + 1000).unref();
    }
  };

  /** Queues a config change behind the one under way; a failed one does not block the next. */
  const enqueue = (change: () => Promise<void>): Promise<void> => {
    const done = applying.then(change, change);
    applying = done.catch(() => {});
    return done;
  };

  return {
    get url() {
      return url;
    },
    get metricsUrl() {
      return metricsUrl;
    },
    get redis() {
      return running.values().next().value?.database.label ?? '';
    },
    http: server,
    async listen() {
      await enqueue(() => apply(configs()));
      if (closing) throw new Error('[restash/server] the server was closed before it listened');
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 8079, options.host ?? '127.0.0.1', () => {
          server.removeListener('error', reject);
          resolve();
        });
      });
      // e.g. EMFILE on accept: an 'error' event without a listener would crash the process.
      server.on('error', (error) => log.error('http server error', { error: error.message }));
      url = urlOf(server, tls ? 'https' : 'http');
      if (metricsServer) {
        await new Promise<void>((resolve, reject) => {
          metricsServer.once('error', reject);
          metricsServer.listen(options.metricsPort, options.metricsHost ?? '127.0.0.1', () => {
            metricsServer.removeListener('error', reject);
            resolve();
          });
        }).catch((error: Error) => {
          server.close();
          throw error;
        });
        metricsServer.on('error', (error) => log.error('metrics server error', { error: error.message }));
        metricsUrl = `${urlOf(metricsServer, 'http')}${OPERATOR_PATHS.metrics}`;
      }
      log.info('listening', {
        url,
        metrics: metricsUrl,
        version: VERSION,
        databases: [...running.values()]
          .map(({ config, database }) => `${config.id}=${database.label}`)
          .join(', '),
      });
      return url;
    },
    reload() {
      if (tls) {
        try {
          const fresh = readTls()!;
          checkTls(fresh);
          (server as https.Server).setSecureContext(fresh);
          log.info('TLS certificate reloaded', { cert: options.tlsCert });
        } catch (error) {
          return Promise.reject(
            error instanceof ConfigError ? error : new ConfigError((error as Error).message),
          );
        }
      }
      if (!options.configFile) return Promise.resolve();
      return enqueue(() => apply(configs())).then(() =>
        log.info('config reloaded', { databases: running.size }),
      );
    },
    close() {
      closing ??= (async () => {
        // A start or reload under way gives up (its first connection attempt is cut short) and stops what it started.
        for (const database of starting) database.close();
        server.close();
        server.closeIdleConnections();
        metricsServer?.close();
        metricsServer?.closeAllConnections();
        const timeout = options.shutdownTimeout ?? 10_000;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          handler.drain(),
          new Promise<void>((resolve) => {
            timer = setTimeout(() => {
              log.warn('shutdown timeout: closing connections with requests in flight', {
                requests: handler.active,
              });
              resolve();
            }, timeout);
          }),
        ]);
        clearTimeout(timer);
        server.closeAllConnections();
        await applying;
        const last = [...running.values(), ...retired];
        retired.clear();
        await Promise.all(last.map(stop));
        log.info('stopped');
      })();
      return closing;
    },
  };
}

/** Tokens shorter than this are easy to guess: refused by the CLI off loopback, logged for config files. */
const MIN_TOKEN_LENGTH = 16;

/**
 * A config file's short tokens, at every start and reload: an `error` line when the
 * server takes connections from other machines, a warning on loopback.
 */
function warnWeakTokens(configs: DatabaseConfig[], host: string, log: Logger): void {
  const loopback = host === 'localhost' || host === '::1' || /^127\./.test(host);
  for (const config of configs) {
    for (const [what, token] of [
      ['token', config.token],
      ['readOnlyToken', config.readOnlyToken],
    ] as const) {
      if (token === undefined || token.length >= MIN_TOKEN_LENGTH) continue;
      const message = `database "${config.id}": its ${what} is ${token.length} characters long: a token shorter than ${MIN_TOKEN_LENGTH} can be guessed${loopback ? '' : `, and the server listens on ${host}`}`;
      if (loopback) log.warn(message, { database: config.id });
      else log.error(message, { database: config.id });
    }
  }
}

function urlOf(listener: http.Server, scheme: string): string {
  const address = listener.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${scheme}://${host}:${address.port}`;
}

/** A certificate and key that do not parse, or do not match, fail now with a message naming them. */
function checkTls(tls: { cert: Buffer; key: Buffer }): void {
  try {
    tlsModule.createSecureContext(tls);
  } catch (error) {
    throw new ConfigError(`TLS certificate / key: ${(error as Error).message}`);
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

function validate(options: ServerOptions): void {
  const multi = options.databases !== undefined || options.configFile !== undefined;
  if (options.databases !== undefined && options.configFile !== undefined) {
    throw new ConfigError('databases: give either a config file or a list of databases, not both');
  }
  if (multi) {
    if (
      options.token !== undefined ||
      options.redisUrl !== undefined ||
      options.redisCluster !== undefined ||
      options.sentinel !== undefined ||
      options.readOnlyToken !== undefined
    ) {
      throw new ConfigError('token / redis URL: set them per database in the config file, not beside it');
    }
    if (options.configFile !== undefined && !options.readConfigFile) {
      throw new ConfigError('config file: readConfigFile is required to read it');
    }
    if (options.databases) checkDatabases(options.databases, 'databases');
  } else {
    if (!options.token) throw new ConfigError('missing token: pass --token or set RESTASH_TOKEN');
    if (options.readOnlyToken !== undefined && options.readOnlyToken === options.token) {
      throw new ConfigError('read-only token: must differ from the standard token');
    }
    checkTarget(options, '');
  }
  const positive = (name: string, value: number | undefined, min = 1) => {
    if (value !== undefined && (!Number.isInteger(value) || value < min)) {
      throw new ConfigError(`${name}: must be an integer ≥ ${min}, got ${value}`);
    }
  };
  checkCommands(options, '');
  checkAppendFsync(options.appendfsync, 'appendfsync');
  positive('max request size', options.maxRequestSize, 1024);
  positive('max clients', options.maxClients);
  positive('max clients per address', options.maxClientsPerAddress, 0);
  positive('max pipeline commands', options.maxPipelineCommands);
  positive('max buffered responses', options.maxBufferedResponses, 1024);
  positive('response timeout', options.responseTimeout);
  positive('max connections', options.maxConnections, 2);
  positive('command timeout', options.commandTimeout);
  positive('connect timeout', options.connectTimeout);
  positive('shutdown timeout', options.shutdownTimeout, 0);
  positive('SSE heartbeat', options.sseHeartbeat);
  positive('SSE max buffer', options.sseMaxBuffer, 1024);
  positive('ACL recheck', options.aclRecheck, 0);
  positive('ACL idle', options.aclIdle, 100);
  if (options.corsOrigin !== undefined) {
    try {
      http.validateHeaderValue('access-control-allow-origin', options.corsOrigin);
    } catch {
      throw new ConfigError(`CORS origin: not a valid header value: ${JSON.stringify(options.corsOrigin)}`);
    }
  }
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    throw new ConfigError('TLS: give both a certificate (--tls-cert) and its key (--tls-key)');
  }
  if (
    options.metricsPort !== undefined &&
    (!Number.isInteger(options.metricsPort) || options.metricsPort < 0 || options.metricsPort > 65535)
  ) {
    throw new ConfigError(`metrics port: must be 0–65535, got ${options.metricsPort}`);
  }
  if (options.metricsToken !== undefined && options.metricsToken.length < 16) {
    throw new ConfigError('metrics token: must be at least 16 characters');
  }
  if (
    options.port !== undefined &&
    (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)
  ) {
    throw new ConfigError(`port: must be 0–65535, got ${options.port}`);
  }
}

/**
 * Every database needs an id fit for a directory name (its embedded Redis lives in
 * `<dataDir>/<id>`) used once, and tokens used once: a token given twice would
 * silently open the first database only.
 */
function checkDatabases(databases: DatabaseConfig[], where: string): void {
  const ids = new Set<string>();
  const tokens = new Set<string>();
  for (const config of databases) {
    if (typeof config.id !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(config.id) || /^\.+$/.test(config.id)) {
      throw new ConfigError(
        `${where}: database id ${JSON.stringify(config.id)} may only use letters, digits, "_", "." and "-"`,
      );
    }
    if (ids.has(config.id)) throw new ConfigError(`${where}: database id "${config.id}" is used twice`);
    ids.add(config.id);
    if (!config.token) throw new ConfigError(`${where}: database "${config.id}": missing token`);
    for (const token of [config.token, config.readOnlyToken]) {
      if (token === undefined) continue;
      if (tokens.has(token)) {
        throw new ConfigError(`${where}: database "${config.id}": a token is already used by another token`);
      }
      tokens.add(token);
    }
    checkTarget(config, `${where}: database "${config.id}": `);
    checkCommands(config, `${where}: database "${config.id}": `);
    checkAppendFsync(config.appendfsync, `${where}: database "${config.id}": appendfsync`);
  }
}

function checkAppendFsync(value: string | undefined, where: string): void {
  if (value !== undefined && value !== 'always' && value !== 'everysec' && value !== 'no') {
    throw new ConfigError(`${where}: must be always, everysec or no, got ${JSON.stringify(value)}`);
  }
}

/** The allow and deny lists name commands, and allow nothing the REST API cannot run. */
function checkCommands(config: Pick<DatabaseConfig, 'allowCommands' | 'denyCommands'>, where: string): void {
  for (const [what, list, allow] of [
    ['allow commands', config.allowCommands, true],
    ['deny commands', config.denyCommands, false],
  ] as const) {
    if (list === undefined) continue;
    if (!Array.isArray(list) || !list.every((entry) => typeof entry === 'string')) {
      throw new ConfigError(`${where}${what}: must be a list of command names`);
    }
    try {
      commandList(list, allow);
    } catch (error) {
      throw new ConfigError(`${where}${what}: ${(error as Error).message}`);
    }
  }
}

/** At most one of a Redis URL, a cluster and Sentinel, each well-formed. `where` prefixes messages. */
function checkTarget(
  config: Pick<DatabaseConfig, 'redisUrl' | 'redisCluster' | 'sentinel' | 'readFromReplicas'>,
  where: string,
): void {
  const given = [
    config.redisUrl !== undefined && 'a Redis URL',
    config.redisCluster !== undefined && 'a cluster',
    config.sentinel !== undefined && 'Sentinel',
  ].filter(Boolean);
  if (given.length > 1) throw new ConfigError(`${where}give only one of ${given.join(', ')}`);
  if (config.readFromReplicas && config.redisCluster === undefined) {
    throw new ConfigError(`${where}reading from replicas needs a cluster`);
  }
  const check = (what: string, parse: () => unknown) => {
    try {
      parse();
    } catch (error) {
      throw new ConfigError(`${where}${what}: ${(error as Error).message}`);
    }
  };
  const { redisUrl, redisCluster, sentinel } = config;
  if (redisUrl !== undefined) check('redis URL', () => parseRedisUrl(redisUrl));
  if (redisCluster !== undefined) check('redis cluster', () => parseClusterSeeds(redisCluster));
  if (sentinel !== undefined) check('sentinel', () => parseSentinel(sentinel.sentinels, sentinel.master));
}

/**
 * The default HTTP connection cap: the process's open-file limit (Linux,
 * `/proc/self/limits`) less room for Redis connections and files, so that
 * clients that open connections and never close them cannot starve accept().
 */
export function defaultMaxClients(limits = readLimits()): number {
  const soft = /^Max open files\s+(\d+)/m.exec(limits)?.[1];
  if (soft === undefined) return 10_000;
  return Math.max(100, Number(soft) - 200);
}

function readLimits(): string {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return '';
  }
}
