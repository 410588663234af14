import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_MAX_REQUEST_SIZE } from '@restash/core/protocol';
import { TokenRegistry } from './auth/tokens.js';
import { BackendFailure, RedisConnection } from './backend/connection.js';
import { describeEndpoint, parseRedisUrl } from './backend/redis-url.js';
import { ReplyError } from './backend/resp.js';
import { EmbeddedRedis } from './embedded/redis-process.js';
import { createLogger, type Logger, type LogLevel } from './log.js';
import { CommandTable } from './protocol/commands.js';
import { Executor } from './protocol/execute.js';
import { HttpHandler } from './transport/http.js';

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** The standard token: may run every command the REST API allows. */
  token: string;
  /** A token limited to read commands (no KEYS/SCAN). */
  readOnlyToken?: string;
  /**
   * The Redis to front: `redis://[user:pass@]host:port[/db]`, `rediss://…` (TLS),
   * `unix:///path.sock`. Without it the server starts its own `redis-server`.
   */
  redisUrl?: string;
  /** PEM certificate(s) to trust for a `rediss://` Redis, besides Node's default CAs (the file's contents, not its path). */
  redisTlsCa?: string;
  /** Port to listen on; 0 picks a free one. @default 8079 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Data directory of the embedded Redis. @default './.restash' */
  dataDir?: string;
  /** The `redis-server` binary for the embedded Redis. @default 'redis-server' */
  redisServerBin?: string;
  /** Largest request body and response body, in bytes. @default 10485760 */
  maxRequestSize?: number;
  /** How long a command may wait for Redis before a 504, in ms. @default 10000 */
  commandTimeout?: number;
  /** How long a connection attempt to Redis may take, in ms. @default 3000 */
  connectTimeout?: number;
  /** How long `close()` waits for requests in flight, in ms. @default 10000 */
  shutdownTimeout?: number;
  /** `Access-Control-Allow-Origin` value. @default '*' */
  corsOrigin?: string;
  /** @default 'info' */
  logLevel?: LogLevel;
  /** Replaces the JSON-lines logger on stderr. */
  logger?: Logger;
}

/** A running (or ready to run) Restash server. */
export interface RestashServer {
  /** Connects to (or starts) Redis, then listens. Resolves with the base URL. */
  listen(): Promise<string>;
  /** Stops listening, answers requests in flight, closes Redis connections, stops the embedded Redis. */
  close(): Promise<void>;
  /** `http://host:port` once listening. */
  readonly url: string;
  /** The Redis being fronted (password removed), once listening. */
  readonly redis: string;
  /** The underlying `node:http` server. */
  readonly http: http.Server;
}

/** Error thrown for invalid server options; the message names the option. */
export class ConfigError extends Error {}

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
  const maxRequestSize = options.maxRequestSize ?? DEFAULT_MAX_REQUEST_SIZE;
  const table = new CommandTable();
  const tokens = new TokenRegistry([
    { token: options.token, access: 'standard' },
    ...(options.readOnlyToken ? [{ token: options.readOnlyToken, access: 'read-only' as const }] : []),
  ]);
  const embedded = options.redisUrl
    ? undefined
    : new EmbeddedRedis({
        dataDir: options.dataDir ?? './.restash',
        bin: options.redisServerBin ?? 'redis-server',
        log,
      });
  let backend: RedisConnection | undefined;
  let url = '';
  let redis = '';
  let closing: Promise<void> | undefined;

  const health = async (): Promise<string | undefined> => {
    if (!backend) return 'not started';
    const current = backend;
    return new Promise((done) => {
      current.send([['PING']], (result) => {
        if (result instanceof BackendFailure) done(result.message);
        else if (result[0] instanceof ReplyError) done(result[0].message);
        else done(undefined);
      });
    });
  };

  let handler: HttpHandler | undefined;
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => handler!.handle(req, res));
  server.headersTimeout = 30_000;
  server.requestTimeout = 120_000;

  return {
    get url() {
      return url;
    },
    get redis() {
      return redis;
    },
    http: server,
    async listen() {
      const redisUrl = embedded ? await embedded.start() : options.redisUrl!;
      const endpoint = parseRedisUrl(redisUrl);
      redis = embedded ? `embedded (${describeEndpoint(endpoint)})` : describeEndpoint(endpoint);
      backend = new RedisConnection({
        endpoint,
        log,
        name: 'restash',
        connectTimeout: options.connectTimeout ?? 3000,
        commandTimeout: options.commandTimeout ?? 10_000,
        tlsCa: options.redisTlsCa,
        onConnect: { commands: [['COMMAND']], handle: ([reply]) => table.load(reply!) },
      });
      handler = new HttpHandler({
        executor: new Executor(backend, table),
        tokens,
        log,
        maxRequestSize,
        corsOrigin: options.corsOrigin ?? '*',
        health,
      });
      try {
        await backend.connect();
      } catch (error) {
        // An external Redis that is down is not fatal: requests get 503 until it is back.
        if (embedded) throw error;
        log.warn('redis is not reachable yet; serving 503 until it is', {
          redis,
          reason: (error as Error).message,
        });
      }
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 8079, options.host ?? '127.0.0.1', () => {
          server.removeListener('error', reject);
          resolve();
        });
      });
      const address = server.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      url = `http://${host}:${address.port}`;
      log.info('listening', { url, redis });
      return url;
    },
    close() {
      closing ??= (async () => {
        server.close();
        server.closeIdleConnections();
        if (handler && handler.active > 0) {
          const timeout = options.shutdownTimeout ?? 10_000;
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            handler.drain(),
            new Promise<void>((resolve) => {
              timer = setTimeout(() => {
                log.warn('shutdown timeout: closing connections with requests in flight', {
                  requests: handler?.active,
                });
                resolve();
              }, timeout);
            }),
          ]);
          clearTimeout(timer);
        } else {
          await handler?.drain();
        }
        server.closeAllConnections();
        backend?.close();
        await embedded?.stop();
        log.info('stopped');
      })();
      return closing;
    },
  };
}

function validate(options: ServerOptions): void {
  if (!options.token) throw new ConfigError('missing token: pass --token or set RESTASH_TOKEN');
  if (options.readOnlyToken !== undefined && options.readOnlyToken === options.token) {
    throw new ConfigError('read-only token: must differ from the standard token');
  }
  const positive = (name: string, value: number | undefined, min = 1) => {
    if (value !== undefined && (!Number.isInteger(value) || value < min)) {
      throw new ConfigError(`${name}: must be an integer ≥ ${min}, got ${value}`);
    }
  };
  positive('max request size', options.maxRequestSize, 1024);
  positive('command timeout', options.commandTimeout);
  positive('connect timeout', options.connectTimeout);
  positive('shutdown timeout', options.shutdownTimeout, 0);
  if (
    options.port !== undefined &&
    (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)
  ) {
    throw new ConfigError(`port: must be 0–65535, got ${options.port}`);
  }
  if (options.redisUrl !== undefined) {
    try {
      parseRedisUrl(options.redisUrl);
    } catch (error) {
      throw new ConfigError(`redis URL: ${(error as Error).message}`);
    }
  }
}
