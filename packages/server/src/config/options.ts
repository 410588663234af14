import type { AppendFsync } from '../embedded/redis-process.js';
import type { Logger, LogLevel } from '../log.js';

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

/** Options of `createServer`: checked by `checkServerOptions` before anything starts. */
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
  /**
   * The HTTP engine: `fast` reads the API's own requests straight from the socket and hands
   * everything else to `node:http` on the same connection; `node` runs everything on `node:http`.
   * @default process.env.RESTASH_HTTP_ENGINE if set, else 'fast'
   */
  httpEngine?: 'fast' | 'node';
}

/** Error thrown for invalid server options; the message names the option. */
export class ConfigError extends Error {}
