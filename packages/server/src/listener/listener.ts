import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSecureContext } from 'node:tls';
import { ConfigError } from '../config/options.js';
import type { Logger } from '../log.js';
import { type FastEngine, type HttpEngine, installFastEngine } from '../transport/fast/engine.js';
import { type HttpHandler, OPERATOR_PATHS, sameToken } from '../transport/http.js';

/** Settings of a {@link Listener}. */
export interface ListenerOptions {
  /** Answers every request of the main listener (the transport). */
  handler: HttpHandler;
  port: number;
  host: string;
  /** PEM certificate (chain) and key files: HTTPS instead of HTTP. Read again by `reloadTls()`. */
  tls?: { cert: string; key: string };
  /** Most connections open at once, and from one client address (0: no such cap). */
  maxClients: number;
  maxClientsPerAddress: number;
  /** A listener of its own serving only `GET /-/metrics` (to `token` if given). */
  metrics?: { port: number; host: string; token?: string; render: () => string };
  /** How long `close()` waits for requests in flight, in ms. */
  shutdownTimeout: number;
  /** `fast`: the fast engine reads the connections first and hands `node:http` what it does not serve. */
  httpEngine: HttpEngine;
  log: Logger;
}

/** Node's defaults for a REST server behind load balancers; `createEngine` applies them. */
const SERVER_OPTIONS = { keepAliveTimeout: 65_000, requireHostHeader: false };

/**
 * The HTTP engine of the main listener: `node:http` (`node:https` with TLS)
 * handing every request to the handler. Its connection-level events and
 * timeouts are set by {@link Listener}.
 */
function createEngine(handler: HttpHandler, tls: TlsFiles | undefined): http.Server {
  // Without a Host header Node answers an empty 400 itself; HTTP/1.0 clients never send one anyway.
  return tls
    ? https.createServer({ ...SERVER_OPTIONS, ...tls }, handler.handle)
    : http.createServer(SERVER_OPTIONS, handler.handle);
}

interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/**
 * The sockets of the server: the main HTTP(S) listener with its connection
 * caps, the optional metrics listener, TLS reloads, and a graceful close that
 * lets requests in flight be answered.
 *
 * @example
 * const listener = new Listener({ handler, port: 0, host: '127.0.0.1', maxClients: 100,
 *   maxClientsPerAddress: 0, shutdownTimeout: 10_000, log });
 * const url = await listener.listen();
 */
export class Listener {
  /**
   * The main listener, a `node:http` (`node:https`) server on either engine: it listens,
   * counts connections and takes TLS reloads; with the fast engine its `request` event
   * fires only for the requests handed over to it.
   */
  readonly http: http.Server;
  private readonly fast?: FastEngine;
  private readonly metricsServer?: http.Server;
  private readonly tls: boolean;
  private listening = '';
  private metricsListening: string | undefined;

  /** Reads the TLS files (a `ConfigError` names the one that is missing or bad). */
  constructor(private readonly options: ListenerOptions) {
    const tls = this.readTls();
    this.tls = tls !== undefined;
    const { handler } = options;
    const server = createEngine(handler, tls);
    server.on('clientError', handler.clientError);
    server.on('connect', handler.connectMethod);
    server.on('checkExpectation', handler.expectation);
    handler.capConnections(server, options.maxClients, options.maxClientsPerAddress);
    // The fast engine reads these (and keepAliveTimeout) from the server at each use: one setting for both engines.
    server.headersTimeout = 30_000;
    server.requestTimeout = 120_000;
    if (options.httpEngine === 'fast') this.fast = installFastEngine(server, handler, this.tls);
    this.http = server;
    if (options.metrics) this.metricsServer = metricsServer(options.metrics);
  }

  /** `http://host:port` (`https://` with TLS) once listening. */
  get url(): string {
    return this.listening;
  }

  /** `http://host:port/-/metrics` of the metrics listener, once listening, if there is one. */
  get metricsUrl(): string | undefined {
    return this.metricsListening;
  }

  /** Listens on the main port, then the metrics port; resolves with the main URL. */
  async listen(): Promise<string> {
    const { options, http: server, metricsServer } = this;
    await listenOn(server, options.port, options.host);
    // e.g. EMFILE on accept: an 'error' event without a listener would crash the process.
    server.on('error', (error) => options.log.error('http server error', { error: error.message }));
    this.listening = urlOf(server, this.tls ? 'https' : 'http');
    if (metricsServer && options.metrics) {
      await listenOn(metricsServer, options.metrics.port, options.metrics.host).catch((error: Error) => {
        server.close();
        throw error;
      });
      metricsServer.on('error', (error) =>
        options.log.error('metrics server error', { error: error.message }),
      );
      this.metricsListening = `${urlOf(metricsServer, 'http')}${OPERATOR_PATHS.metrics}`;
    }
    return this.listening;
  }

  /** Reads the TLS files again for new connections; a bad pair throws a `ConfigError` and the running one stays. */
  reloadTls(): void {
    const fresh = this.readTls();
    if (!fresh) return;
    (this.http as https.Server).setSecureContext(fresh);
    this.options.log.info('TLS certificate reloaded', { cert: this.options.tls?.cert });
  }

  /**
   * Stops accepting connections, waits up to the shutdown timeout for the
   * requests in flight to be answered, then closes every connection.
   */
  async close(): Promise<void> {
    const { options, http: server, metricsServer } = this;
    server.close();
    server.closeIdleConnections();
    this.fast?.closeIdleConnections();
    metricsServer?.close();
    metricsServer?.closeAllConnections();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      options.handler.drain(),
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          options.log.warn('shutdown timeout: closing connections with requests in flight', {
            requests: options.handler.active,
          });
          resolve();
        }, options.shutdownTimeout);
      }),
    ]);
    clearTimeout(timer);
    server.closeAllConnections();
    this.fast?.closeAllConnections();
  }

  /** The certificate and key, read and checked: files that do not parse, or do not match, fail now naming them. */
  private readTls(): TlsFiles | undefined {
    const files = this.options.tls;
    if (!files) return undefined;
    const read = (what: string, file: string) => {
      try {
        return readFileSync(file);
      } catch (error) {
        throw new ConfigError(`${what}: cannot read ${file}: ${(error as Error).message}`);
      }
    };
    const tls = { cert: read('TLS certificate', files.cert), key: read('TLS key', files.key) };
    try {
      createSecureContext(tls);
    } catch (error) {
      throw new ConfigError(`TLS certificate / key: ${(error as Error).message}`);
    }
    return tls;
  }
}

/** The metrics listener: `GET /-/metrics` only, to the bearer of `token` if there is one. */
function metricsServer(metrics: NonNullable<ListenerOptions['metrics']>): http.Server {
  return http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const given = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const [status, type, body] =
      path !== OPERATOR_PATHS.metrics
        ? [404, 'application/json', '{"error":"ERR only /-/metrics is served here"}']
        : metrics.token !== undefined && (given === undefined || !sameToken(given, metrics.token))
          ? [401, 'application/json', '{"error":"Unauthorized"}']
          : [200, 'text/plain; version=0.0.4; charset=utf-8', metrics.render()];
    req.resume();
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}

function listenOn(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
}

function urlOf(listener: http.Server, scheme: string): string {
  const address = listener.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${scheme}://${host}:${address.port}`;
}

/**
 * The default connection cap: the process's open-file limit (Linux,
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
