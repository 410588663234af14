import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { DEFAULT_MAX_REQUEST_SIZE } from '@restash/core/protocol';
import { TokenSealer } from './auth/acl-tokens.js';
import { ConfigError, type DatabaseConfig, type ServerOptions } from './config/options.js';
import { checkDatabases, checkServerOptions, HTTP_ENGINES, optionNaming } from './config/validate.js';
import { DatabaseSet } from './database/database-set.js';
import { defaultMaxClients, Listener } from './listener/listener.js';
import { createLogger } from './log.js';
import { HttpHandler } from './transport/http.js';
import { Metrics } from './transport/metrics.js';
import { SseStreams } from './transport/sse.js';
import { VERSION } from './version.js';

export {
  ConfigError,
  type DatabaseConfig,
  type SentinelConfig,
  type ServerOptions,
} from './config/options.js';
export { defaultMaxClients } from './listener/listener.js';

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
  /**
   * The underlying `node:http` (`node:https`) server, on either HTTP engine: it listens,
   * counts connections and takes TLS reloads. With the fast engine (the default) its
   * `request` event fires only for the requests handed over to `node:http` (SSE streams,
   * chunked bodies, anything outside the fast engine's subset of HTTP/1.1); its
   * `headersTimeout`, `requestTimeout` and `keepAliveTimeout` apply to both engines.
   */
  readonly http: http.Server;
}

/**
 * Creates the REST server: the set of databases it fronts, the transport that
 * answers requests from their tokens, and the listener that takes connections.
 *
 * @example
 * const server = createServer({ token: 'secret', redisUrl: 'redis://127.0.0.1:6379', port: 0 });
 * const url = await server.listen();
 * // curl -H 'Authorization: Bearer secret' "$url/set/hello/world"
 * await server.close();
 */
export function createServer(options: ServerOptions): RestashServer {
  checkServerOptions(options, optionNaming());
  const httpEngine = options.httpEngine ?? httpEngineFromEnv();
  const log = options.logger ?? createLogger(options.logLevel ?? 'info');
  const multi = options.databases !== undefined || options.configFile !== undefined;
  const databases = new DatabaseSet({
    configs: () => configsOf(options),
    multi,
    defaults: {
      maxRequestSize: options.maxRequestSize ?? DEFAULT_MAX_REQUEST_SIZE,
      maxConnections: options.maxConnections ?? 100,
      allowCommands: options.allowCommands ?? [],
      denyCommands: options.denyCommands ?? [],
    },
    embedded: {
      dataDir: options.dataDir ?? './.restash',
      bin: options.redisServerBin ?? 'redis-server',
      appendfsync: options.appendfsync,
    },
    connection: {
      tlsCa: options.redisTlsCa,
      commandTimeout: options.commandTimeout ?? 10_000,
      connectTimeout: options.connectTimeout ?? 3000,
      aclRecheckMs: options.aclRecheck ?? 1000,
      aclIdleMs: options.aclIdle ?? 60_000,
    },
    sealer: new TokenSealer(options.secret ?? randomBytes(32).toString('base64url')),
    host: options.host ?? '127.0.0.1',
    log,
  });
  const streams = new SseStreams({
    heartbeatMs: options.sseHeartbeat ?? 15_000,
    maxBuffer: options.sseMaxBuffer ?? 1024 * 1024,
  });
  const metrics =
    options.metricsToken !== undefined || options.metricsPort !== undefined
      ? new Metrics(() => ({
          databases: databases.all.map(({ database }) => ({
            id: database.id,
            ...database.redisState,
            connections: database.connections,
          })),
          streams: streams.size,
          multi,
        }))
      : undefined;
  const handler = new HttpHandler({
    identities: databases.identities,
    streams,
    log,
    corsOrigin: options.corsOrigin ?? '*',
    ready: (id) => databases.ready(id),
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
  const listener = new Listener({
    handler,
    port: options.port ?? 8079,
    host: options.host ?? '127.0.0.1',
    tls: options.tlsCert === undefined ? undefined : { cert: options.tlsCert, key: options.tlsKey! },
    maxClients: options.maxClients ?? defaultMaxClients(),
    maxClientsPerAddress: options.maxClientsPerAddress ?? 0,
    metrics:
      options.metricsPort !== undefined && metrics
        ? {
            port: options.metricsPort,
            host: options.metricsHost ?? '127.0.0.1',
            token: options.metricsToken,
            render: () => metrics.render(),
          }
        : undefined,
    shutdownTimeout: options.shutdownTimeout ?? 10_000,
    httpEngine,
    log,
  });
  let closing: Promise<void> | undefined;

  return {
    get url() {
      return listener.url;
    },
    get metricsUrl() {
      return listener.metricsUrl;
    },
    get redis() {
      return databases.all[0]?.database.label ?? '';
    },
    http: listener.http,
    async listen() {
      await databases.load();
      if (closing) throw new Error('[restash/server] the server was closed before it listened');
      const url = await listener.listen();
      log.info('listening', {
        url,
        metrics: listener.metricsUrl,
        version: VERSION,
        databases: databases.all.map(({ config, database }) => `${config.id}=${database.label}`).join(', '),
      });
      return url;
    },
    reload() {
      try {
        listener.reloadTls();
      } catch (error) {
        return Promise.reject(
          error instanceof ConfigError ? error : new ConfigError((error as Error).message),
        );
      }
      if (!options.configFile) return Promise.resolve();
      return databases.load().then(() => log.info('config reloaded', { databases: databases.size }));
    },
    close() {
      closing ??= (async () => {
        // A start or reload under way gives up (its first connection attempt is cut short) and stops what it started.
        databases.interrupt();
        await listener.close();
        await databases.close();
        log.info('stopped');
      })();
      return closing;
    },
  };
}

/** `RESTASH_HTTP_ENGINE` when set (an unknown value is a `ConfigError` naming it), else the fast engine. */
function httpEngineFromEnv(): 'fast' | 'node' {
  const value = process.env.RESTASH_HTTP_ENGINE;
  if (value === undefined || value === '') return 'fast';
  if (!(HTTP_ENGINES as readonly string[]).includes(value)) {
    throw new ConfigError(
      `RESTASH_HTTP_ENGINE: must be ${HTTP_ENGINES.join(' or ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as 'fast' | 'node';
}

/** The databases to run now: the config file's (read again, checked), the list given, or the one of the options. */
function configsOf(options: ServerOptions): DatabaseConfig[] {
  if (options.configFile) {
    const read = options.readConfigFile!(options.configFile);
    checkDatabases(read, optionNaming(`config file ${options.configFile}`));
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
}
