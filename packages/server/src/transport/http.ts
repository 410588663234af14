import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { errors, headers, paths } from '@restash/core/protocol';
import { tokenFromHeader } from '../auth/tokens.js';
import type { Identities, Identity, Rejection } from '../database/identity.js';
import { ServerError } from '../errors.js';
import type { Logger, LogLevel } from '../log.js';
import { type Answer, errorAnswer, type ReplyFormat } from '../protocol/execute.js';
import { encodeError } from '../protocol/reply.js';
import {
  parseCommandBody,
  parsePathCommand,
  parsePipelineBody,
  tokenFromQuery,
} from '../protocol/request.js';
import { type Metrics, ROUTE_INDEX } from './metrics.js';
import { type SseStreams, streamKind } from './sse.js';

export interface HttpHandlerOptions {
  identities: Identities;
  streams: SseStreams;
  log: Logger;
  corsOrigin: string;
  /**
   * Answers the readiness check of every database, or of the one named: resolves with an
   * error message when a Redis is not usable, `null` when there is no such database.
   */
  ready: (database: string | undefined) => Promise<string | undefined | null>;
  /** Answered at `GET /-/version`. */
  version: string;
  /** Counters to record requests in; `GET /-/metrics` is served here when `metricsToken` is set too. */
  metrics?: Metrics;
  /** The token `GET /-/metrics` needs on this listener (none: not served here). */
  metricsToken?: string;
  /** Many databases: requests are also counted per database. */
  multi: boolean;
  /** The level of one log line per request, if any: `info` with `--log-requests`, `debug` at `--log-level debug`. */
  requestLog?: LogLevel;
  /** Most commands in one `/pipeline` or `/multi-exec`. */
  maxPipelineCommands: number;
  /** Most response bytes that may wait, in all, for clients that read slowly. */
  maxBufferedResponses: number;
  /** How long a client may take to read a response before its connection is closed, in ms. */
  responseTimeout: number;
}

/** Operator endpoints: `-` can never begin a Redis command name. */
export const OPERATOR_PATHS = {
  ready: '/-/ready',
  version: '/-/version',
  metrics: '/-/metrics',
} as const;

/** A request id given by a proxy (e.g. nginx's `$request_id`) is kept if it looks like one. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** What a request was, for its log line and metrics: filled as it is routed. */
interface Track {
  started: number;
  route: number;
  command: string | undefined;
  commands: number;
  database: string | undefined;
}

const ALLOWED_METHODS = 'GET, HEAD, POST, PUT';
/** Connections accepted over the cap (answered 503 and closing). */
const overCap = new WeakSet<object>();

/** Answers this small are always sent, whatever clients that read slowly hold. */
const SMALL_RESPONSE = 64 * 1024;
const BUSY = 'the server holds its whole budget of response bytes for clients that read slowly; retry later';
/** How long a socket we closed may wait for the client to close its side before it is destroyed. */
const CLOSE_GRACE_MS = 5000;
const CORS_ALLOW_HEADERS =
  'Authorization, Content-Type, Cache-Control, Last-Event-ID, Upstash-Encoding, Upstash-Response-Format, Upstash-Sync-Token, Upstash-Telemetry-Sdk, Upstash-Telemetry-Platform, Upstash-Telemetry-Runtime';

const JSON_FORMAT: ReplyFormat = { base64: false, resp2: false };
const BASE64_FORMAT: ReplyFormat = { base64: true, resp2: false };
const RESP2_FORMAT: ReplyFormat = { base64: false, resp2: true };

type Send = (answer: Answer) => void;

/** What a body read ends with: the body, or the answer that replaces the request's. */
export type BodyCallback = (body: Buffer | undefined, refused: Answer | undefined) => void;

/**
 * One request being answered, whichever engine read it: the adapter between
 * an HTTP engine (`node:http`, or the fast engine on the socket) and the API's
 * behaviour in {@link HttpHandler}, which is written once for both.
 */
export interface Exchange {
  /** `GET`, `POST`… as sent. */
  readonly method: string;
  /** The request target as sent: path and query. */
  readonly url: string;
  /** The client's address, for the request log. */
  readonly remoteAddress: string | undefined;
  /** True once the client went away: nothing can be answered any more. */
  readonly gone: boolean;
  /** True once the response was written. */
  readonly sent: boolean;
  /** The value of a request header (lower-case name), as `node:http` would give it. */
  header(name: string): string | undefined;
  /** The body will not be read: let it be discarded. */
  skipBody(): void;
  /** Reads the whole body; an answer instead when it is over `limit` or the client left mid-body. */
  readBody(limit: number, done: BodyCallback): void;
  /**
   * Writes the response with the headers of `head` (read during the call only:
   * the handler fills the same object for every answer); nothing of `body` is
   * sent to a `HEAD` request; `close`: the connection closes after it.
   */
  write(status: number, head: ResponseHead, body: string | (string | Uint8Array)[], close: boolean): void;
  /** The `node:http` response, for the SSE streams (which only the `node:http` engine serves). */
  readonly response: ServerResponse | undefined;
  /**
   * Largest response body: the database's limit, set once the request is
   * handed to its executor (before that, errors go out whatever their size).
   * A bigger answer is replaced by a 413.
   */
  responseLimit: number;
}

/**
 * The headers of an answer, in this order: `Content-Type` and `Content-Length`
 * (none when `contentType` is undefined), the sync token, then `extra` (flat
 * `[name, value, …]`; most answers have none, and then no array is made).
 */
export interface ResponseHead {
  contentType: string | undefined;
  length: number;
  syncToken: string;
  extra: string[] | undefined;
}

/** The `node:http` engine's side of an {@link Exchange}. */
class NodeExchange implements Exchange {
  responseLimit = Number.POSITIVE_INFINITY;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
  ) {}

  get method(): string {
    return this.req.method ?? 'GET';
  }

  get url(): string {
    return this.req.url ?? '/';
  }

  get remoteAddress(): string | undefined {
    return this.req.socket.remoteAddress;
  }

  get gone(): boolean {
    return this.res.destroyed;
  }

  get sent(): boolean {
    return this.res.headersSent;
  }

  get response(): ServerResponse {
    return this.res;
  }

  header(name: string): string | undefined {
    const value = this.req.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  skipBody(): void {
    this.req.resume();
  }

  readBody(limit: number, done: BodyCallback): void {
    const req = this.req;
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        done(undefined, errorAnswer('too-large', errors.maxRequestSize(limit)));
        return;
      }
      chunks.push(chunk);
    });
    let ended = false;
    req.on('end', () => {
      ended = true;
      if (over) return;
      done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size), undefined);
    });
    req.on('error', () => {});
    req.on('close', () => {
      // The client went away mid-body: there is no one to answer, but the request is over.
      if (!ended && !over) {
        over = true;
        done(undefined, errorAnswer('command', CLOSED_MID_BODY));
      }
    });
  }

  write(status: number, head: ResponseHead, body: string | (string | Uint8Array)[]): void {
    const res = this.res;
    res.writeHead(status, headerList(head));
    if (typeof body === 'string') {
      res.end(body);
    } else {
      for (const chunk of body) res.write(chunk);
      res.end();
    }
  }
}

const CLOSED_MID_BODY = 'ERR the client closed the request before sending the whole body';

/** A {@link ResponseHead} as `node:http` takes it: flat `[name, value, …]`. */
function headerList({ contentType, length, syncToken, extra }: ResponseHead): string[] {
  const head =
    contentType === undefined
      ? [headers.syncToken, syncToken]
      : ['content-type', contentType, 'content-length', String(length), headers.syncToken, syncToken];
  if (extra !== undefined) for (let i = 0; i < extra.length; i++) head.push(extra[i]!);
  return head;
}

/**
 * The HTTP transport: routing, auth, body limits, CORS and response headers,
 * for both HTTP engines (see {@link Exchange}). Everything about commands is
 * delegated to the identity's executor, streams to `SseStreams`.
 */
export class HttpHandler {
  private readonly syncPrefix = `${randomBytes(6).toString('base64url')}-`;
  private syncCounter = 0;
  private readonly idPrefix = `${randomBytes(6).toString('base64url')}-`;
  private idCounter = 0;
  private inFlight = 0;
  /** Response bytes written but not yet taken by their clients. */
  private buffered = 0;
  /** What gives back the budget of each answer a `node:http` connection holds, for when it closes. */
  private readonly heldBySocket = new WeakMap<object, Set<() => void>>();
  private draining = false;
  private drained: (() => void) | null = null;

  constructor(private readonly options: HttpHandlerOptions) {}

  /**
   * Caps the HTTP connections open at once: one more gets a JSON 503 and is
   * closed, before a byte of it is read. Each connection holds a file descriptor.
   * `server` is the listener: its `connection` event gives the TCP sockets.
   */
  capConnections(server: EventEmitter, max: number, perAddress: number): void {
    let open = 0;
    const byAddress = new Map<string, number>();
    server.prependListener('connection', (socket: Socket) => {
      const address = socket.remoteAddress ?? '';
      const fromThere = byAddress.get(address) ?? 0;
      const full =
        open >= max
          ? `the server has ${max} connections open, its limit (--max-clients)`
          : perAddress > 0 && fromThere >= perAddress
            ? `${perAddress} connections are open from this address, its limit (--max-clients-per-address)`
            : undefined;
      if (full !== undefined) {
        overCap.add(socket);
        socket.on('error', () => {});
        this.refuse(socket, 503, errors.busy(`${full}; retry later`));
        // Nothing to wait for: free the descriptor as soon as the answer is out.
        socket.once('finish', () => socket.destroy());
        return;
      }
      open++;
      byAddress.set(address, fromThere + 1);
      socket.once('close', () => {
        open--;
        const left = (byAddress.get(address) ?? 1) - 1;
        if (left === 0) byAddress.delete(address);
        else byAddress.set(address, left);
      });
    });
  }

  /**
   * The token of an `Authorization` header. The last header and its token are
   * kept: clients send the same one request after request, and the token string
   * kept is one whose hash V8 has computed already, for the token table's lookup.
   */
  private bearer(header: string | undefined): string | undefined {
    if (header === this.lastAuthorization) return this.lastBearer;
    const token = tokenFromHeader(header);
    this.lastAuthorization = header;
    this.lastBearer = token;
    return token;
  }

  /** Filled for each answer and read by the engine during `Exchange.write`: not an object per answer. */
  private readonly responseHead: ResponseHead = {
    contentType: undefined,
    length: 0,
    syncToken: '',
    extra: undefined,
  };

  private lastAuthorization: string | undefined = undefined;
  private lastBearer: string | undefined = undefined;

  /** True for a connection over the cap, already answered with a 503. */
  overCap(socket: object): boolean {
    return overCap.has(socket);
  }

  /** Requests being answered right now (open streams do not count). */
  get active(): number {
    return this.inFlight;
  }

  /** True once `drain()` was called: every answer closes its connection. */
  get closing(): boolean {
    return this.draining;
  }

  /** Stops taking new requests (503) and resolves once the ones in flight are answered. */
  drain(): Promise<void> {
    this.draining = true;
    this.options.streams.closeAll();
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.drained = resolve;
    });
  }

  /** The `node:http` engine: a `request` listener. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    // Answered with a 503 on accept already; Node parsed a request of it all the same.
    if (overCap.has(req.socket)) return void res.destroy();
    this.serve(new NodeExchange(req, res));
  };

  /** Answers one request, read by either engine. */
  serve(ex: Exchange): void {
    this.inFlight++;
    const { metrics, requestLog } = this.options;
    // A request id only means something beside a log line: without request logs, none is made or sent.
    let id: string | undefined;
    if (requestLog !== undefined) {
      const given = ex.header('x-request-id');
      id = given !== undefined && REQUEST_ID.test(given) ? given : this.idPrefix + ++this.idCounter;
    }
    const track: Track | undefined =
      metrics || requestLog
        ? {
            started: performance.now(),
            route: ROUTE_INDEX.other,
            command: undefined,
            commands: 0,
            database: undefined,
          }
        : undefined;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      if (--this.inFlight === 0 && this.drained) this.drained();
    };
    const send: Send = (answer) => {
      const status = this.respond(ex, answer, id);
      if (track !== undefined) this.record(ex, track, status, id);
      release();
    };
    try {
      this.route(ex, send, release, id, track);
    } catch (error) {
      // e.g. `?_token=%zz`: the request is malformed, the server is fine.
      this.answerError(error, send);
    }
  }

  /**
   * Answers a request that threw: a `ServerError` (a malformed request, too
   * many commands…) with its code's status and message; anything else is a
   * bug, logged and answered 500.
   */
  private answerError(error: unknown, send: Send): void {
    if (error instanceof ServerError) return send(errorAnswer(error.code, error.message));
    this.options.log.error('unexpected error while handling a request', { error: String(error) });
    send(errorAnswer('internal', 'ERR internal server error'));
  }

  /**
   * Answers what Node's HTTP parser refuses before there is a request (headers
   * over 16 KiB, malformed requests, timeouts) with a JSON error, as every other
   * error: Node's own answers have no body, which clients cannot parse.
   */
  readonly clientError = (error: NodeJS.ErrnoException, socket: Duplex): void => {
    const current = (socket as { _httpMessage?: ServerResponse })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || current?.headersSent) {
      socket.destroy();
      return;
    }
    const [status, message] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'ERR request headers too large']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'ERR request timeout']
          : [400, 'ERR malformed HTTP request'];
    this.refuse(socket, status, message);
  };

  /**
   * `CONNECT`: Node hands the socket over instead of making a request of it. We
   * are no proxy: a JSON 405, as for every other method we do not serve.
   */
  readonly connectMethod = (req: IncomingMessage, socket: Duplex): void => {
    socket.on('error', () => {});
    this.refuse(socket, 405, errors.methodNotAllowed(req.method ?? 'CONNECT'));
  };

  /** An `Expect` header other than `100-continue` (which Node answers itself): a JSON 417. */
  readonly expectation = (req: IncomingMessage, res: ServerResponse): void => {
    req.resume();
    const body = encodeError(
      `ERR unsupported Expect header ${JSON.stringify(String(req.headers.expect))}: only 100-continue is understood`,
    );
    res.writeHead(417, [
      'content-type',
      'application/json',
      'content-length',
      String(Buffer.byteLength(body)),
      ...this.head(req.headers.origin, undefined),
      'connection',
      'close',
    ]);
    res.end(body);
  };

  /**
   * Writes a JSON error straight to a socket that has no request object, then
   * closes it — and destroys it after a grace period: a client that never
   * closes its side would otherwise keep the file descriptor (FIN-WAIT-2) for good.
   */
  refuse(socket: Duplex, status: number, message: string): void {
    const body = encodeError(message);
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${headers.syncToken}: ${this.syncPrefix}${++this.syncCounter}\r\nconnection: close\r\n\r\n${body}`,
    );
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  /** The request's log line and metrics. Never values or tokens: names, counts, status, time. */
  private record(ex: Exchange, track: Track, status: number, id: string | undefined): void {
    const ms = performance.now() - track.started;
    this.options.metrics?.request(track.route, status, ms);
    const level = this.options.requestLog;
    if (level === undefined) return;
    this.options.log[level === 'debug' ? 'debug' : 'info']('request', {
      id,
      method: ex.method,
      route: ROUTE_NAMES[track.route],
      command: track.command,
      commands:
        track.route === ROUTE_INDEX.pipeline || track.route === ROUTE_INDEX['multi-exec']
          ? track.commands
          : undefined,
      database: track.database,
      status,
      ms: Math.round(ms * 100) / 100,
      client: ex.remoteAddress,
    });
  }

  private route(
    ex: Exchange,
    send: Send,
    release: () => void,
    id: string | undefined,
    track: Track | undefined,
  ): void {
    const method = ex.method;
    const url = ex.url;
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? '' : url.slice(q + 1);

    if (method === 'OPTIONS') {
      return send({ status: 204, body: '', contentType: 'application/json' });
    }
    if (this.draining) return send(errorAnswer('unavailable', errors.shuttingDown));
    if (path.startsWith('/-/')) {
      if (track) track.route = ROUTE_INDEX.health;
      ex.skipBody();
      return this.operator(ex, method, path, query, send);
    }
    if (method !== 'POST' && method !== 'GET' && method !== 'PUT' && method !== 'HEAD') {
      return send(errorAnswer('method-not-allowed', errors.methodNotAllowed(method)));
    }
    const coding = unsupportedCoding(ex);
    if (coding !== undefined) {
      return send({ status: 415, body: encodeError(coding), contentType: 'application/json' });
    }
    const token = this.bearer(ex.header('authorization')) ?? tokenFromQuery(query);
    const identities = this.options.identities;
    // A configured token is known at once: no callback to make for it.
    const known = identities.known(token);
    if (known !== undefined) return this.serveAs(known, ex, method, path, query, send, release, id, track);
    identities.resolve(token, (identity) =>
      this.serveAs(identity, ex, method, path, query, send, release, id, track),
    );
  }

  /** Serves the request as `identity` (or refuses it). */
  private serveAs(
    identity: Identity | Rejection,
    ex: Exchange,
    method: string,
    path: string,
    query: string,
    send: Send,
    release: () => void,
    id: string | undefined,
    track: Track | undefined,
  ): void {
    // ACL tokens resolve after a round trip to Redis. A client that left meanwhile fired its
    // 'close' before anyone listened: a stream would never be closed, a body never finish.
    if (ex.gone) {
      send(errorAnswer('command', 'ERR the client went away before the request was answered'));
      return;
    }
    if (!('executor' in identity)) {
      ex.skipBody();
      send(
        identity.kind === 'unauthorized'
          ? errorAnswer('unauthorized', errors.unauthorized)
          : errorAnswer('unavailable', errors.unavailable(identity.message)),
      );
      return;
    }
    if (track !== undefined) {
      track.database = identity.database.id;
      if (this.options.multi) this.options.metrics?.database(identity.database.id);
    }
    try {
      this.dispatch(ex, method, path, query, identity, send, release, id, track);
    } catch (error) {
      this.answerError(error, send);
    }
  }

  private dispatch(
    ex: Exchange,
    method: string,
    path: string,
    query: string,
    identity: Identity,
    send: Send,
    release: () => void,
    id: string | undefined,
    track: Track | undefined,
  ): void {
    const { executor, access } = identity;
    const stream = streamKind(path);
    if (stream !== undefined) {
      if (track) {
        track.route = ROUTE_INDEX.stream;
        track.command = stream.toUpperCase();
      }
      // The body is ignored here: @upstash/redis sends `[]`, which is no channel.
      ex.skipBody();
      if (method !== 'GET' && method !== 'POST') {
        return send(errorAnswer('method-not-allowed', errors.methodNotAllowed(method)));
      }
      const res = ex.response;
      // The fast engine hands every stream path over to node:http before it gets here.
      if (res === undefined) throw new Error('a stream reached an engine that cannot serve it');
      // An open stream is not a request in flight: shutdown closes streams instead of waiting for them.
      this.options.streams.serve(
        stream,
        path,
        identity,
        res,
        this.head(ex.header('origin'), id),
        send,
        release,
      );
      return;
    }

    const format = replyFormat(ex);
    if (typeof format === 'string') {
      ex.skipBody();
      return send(errorAnswer('command', format));
    }
    const limit = identity.database.maxRequestSize;
    const metrics = this.options.metrics;
    if (path === '/' || path === '') {
      if (track) track.route = ROUTE_INDEX.command;
      if (method === 'GET' || method === 'HEAD') {
        return send(
          errorAnswer(
            'command',
            `${errors.emptyCommand}: send the command as a JSON array in a POST body (["GET","key"]) or in the path (GET /get/key)`,
          ),
        );
      }
      this.readBody(ex, limit, send, (body) => {
        const command = parseCommandBody(body.toString('utf8'));
        if (track) track.command = commandName(command[0]);
        metrics?.command(command[0]);
        ex.responseLimit = limit;
        executor.single(command, access, format, send);
      });
      return;
    }
    if (path === paths.pipeline || path === paths.multiExec) {
      if (method !== 'POST' && method !== 'PUT') {
        ex.skipBody();
        return send(errorAnswer('method-not-allowed', errors.methodNotAllowed(method)));
      }
      const transaction = path === paths.multiExec;
      if (track) track.route = transaction ? ROUTE_INDEX['multi-exec'] : ROUTE_INDEX.pipeline;
      this.readBody(ex, limit, send, (body) => {
        const commands = parsePipelineBody(body.toString('utf8'), this.options.maxPipelineCommands);
        if (track) track.commands = commands.length;
        if (metrics) for (let i = 0; i < commands.length; i++) metrics.command(commands[i]![0]);
        // /multi-exec always answers JSON, even when RESP2 is asked for.
        ex.responseLimit = limit;
        if (transaction)
          executor.transaction(commands, access, format.base64 ? BASE64_FORMAT : JSON_FORMAT, send);
        else executor.pipeline(commands, access, format, send);
      });
      return;
    }
    if (track) {
      track.route = ROUTE_INDEX.path;
      track.command = requestLabel(path);
    }
    if (method === 'GET' || method === 'HEAD') {
      const command = parsePathCommand(path, query, null);
      metrics?.command(command[0]);
      ex.responseLimit = limit;
      executor.single(command, access, format, send);
    } else {
      this.readBody(ex, limit, send, (body) => {
        const command = parsePathCommand(path, query, body);
        metrics?.command(command[0]);
        ex.responseLimit = limit;
        executor.single(command, access, format, send);
      });
    }
  }

  /**
   * Reads the body up to `limit`, then runs `use`; a `ServerError` from `use`
   * is answered with its status (a `BadRequest` is a 400).
   */
  private readBody(ex: Exchange, limit: number, send: Send, use: (body: Buffer) => void): void {
    const declared = Number(ex.header('content-length'));
    if (declared > limit) {
      ex.skipBody();
      send(errorAnswer('too-large', errors.maxRequestSize(limit, declared)));
      return;
    }
    ex.readBody(limit, (body, refused) => {
      if (refused !== undefined) return send(refused);
      try {
        use(body!);
      } catch (error) {
        this.answerError(error, send);
      }
    });
  }

  /** Headers every response carries: a new sync token, the request id (if logged) and CORS. */
  private head(origin: string | undefined, id: string | undefined): string[] {
    const head: string[] = [headers.syncToken, this.nextSyncToken()];
    this.addExtraHead(head, origin, id);
    return head;
  }

  /** A new `Upstash-Sync-Token` value. */
  private nextSyncToken(): string {
    return this.syncPrefix + ++this.syncCounter;
  }

  /** Appends the headers of {@link head} but the sync token: the request id (if logged) and CORS. */
  private addExtraHead(head: string[], origin: string | undefined, id: string | undefined): void {
    // CORS headers only matter to browsers, which always send Origin; skipping them elsewhere saves work per response.
    if (origin !== undefined) {
      head.push(
        'access-control-allow-origin',
        this.options.corsOrigin,
        'access-control-expose-headers',
        'Upstash-Sync-Token, X-Request-Id',
        'vary',
        'Origin',
      );
    }
    if (id !== undefined) head.push('x-request-id', id);
  }

  /**
   * `/-/…`: liveness, readiness, version and metrics. No token but the metrics
   * one: a load balancer or an orchestrator has none.
   */
  private operator(ex: Exchange, method: string, path: string, query: string, send: Send): void {
    if (method !== 'GET' && method !== 'HEAD') {
      return send(errorAnswer('method-not-allowed', errors.methodNotAllowed(method)));
    }
    const json = (status: number, value: unknown): Answer => ({
      status,
      body: JSON.stringify(value),
      contentType: 'application/json',
    });
    if (path === paths.health) return send(json(200, { status: 'ok' }));
    if (path === OPERATOR_PATHS.version) return send(json(200, { version: this.options.version }));
    if (path === OPERATOR_PATHS.ready) {
      let database: string | undefined;
      try {
        database = new URLSearchParams(query).get('db') ?? undefined;
      } catch {
        database = undefined;
      }
      this.options.ready(database).then(
        (problem) =>
          send(
            problem === null
              ? json(404, { error: `ERR no database ${JSON.stringify(database)}` })
              : problem === undefined
                ? json(200, database === undefined ? { status: 'ready' } : { status: 'ready', database })
                : errorAnswer('unavailable', errors.unavailable(problem)),
          ),
        (error: unknown) => send(errorAnswer('unavailable', errors.unavailable(String(error)))),
      );
      return;
    }
    const { metrics, metricsToken } = this.options;
    if (path === OPERATOR_PATHS.metrics && metrics && metricsToken !== undefined) {
      const token = tokenFromHeader(ex.header('authorization')) ?? tokenFromQuery(query);
      if (token === undefined || !sameToken(token, metricsToken)) {
        return send(errorAnswer('unauthorized', errors.unauthorized));
      }
      return send({
        status: 200,
        body: metrics.render(),
        contentType: 'text/plain; version=0.0.4; charset=utf-8',
      });
    }
    send(json(404, { error: `ERR no such endpoint ${path}` }));
  }

  /** Writes the answer; returns the status sent (a 413 or 503 may replace the answer's). */
  private respond(ex: Exchange, answer: Answer, id: string | undefined): number {
    if (ex.sent || ex.gone) return answer.status;
    const limit = ex.responseLimit;
    let { body } = answer;
    let length: number;
    if (typeof body === 'string') {
      length = Buffer.byteLength(body);
    } else {
      length = 0;
      for (const chunk of body) length += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    }
    let { status, contentType } = answer;
    if (length > limit) {
      const tooLarge = errorAnswer('too-large', errors.maxResponseSize(limit));
      ({ status, contentType } = tooLarge);
      body = tooLarge.body as string;
      length = Buffer.byteLength(body);
    } else if (
      length > SMALL_RESPONSE &&
      this.buffered > 0 &&
      this.buffered + length > this.options.maxBufferedResponses
    ) {
      // Clients that do not read hold the budget: a big answer now would grow memory without bound.
      // (With nothing held, one answer of any size within the response limit still goes.)
      const busy = errorAnswer('unavailable', errors.busy(BUSY));
      ({ status, contentType } = busy);
      body = busy.body as string;
      length = Buffer.byteLength(body);
    }
    const origin = ex.header('origin');
    // A refused upload may still be arriving: do not read it, close the connection.
    const close = this.draining || status === 413 || status === 415;
    // Headers most answers do not have: built only when one does.
    let extra: string[] | undefined;
    if (origin !== undefined || id !== undefined || status === 204 || status === 405 || close) {
      extra = [];
      this.addExtraHead(extra, origin, id);
      if (status === 204) {
        extra.push(
          'access-control-allow-methods',
          ALLOWED_METHODS,
          'access-control-allow-headers',
          CORS_ALLOW_HEADERS,
          'access-control-max-age',
          '86400',
        );
      } else if (status === 405) {
        extra.push('allow', ALLOWED_METHODS);
      }
      if (close) extra.push('connection', 'close');
    }
    const head = this.responseHead;
    head.contentType = status === 204 ? undefined : contentType;
    head.length = length;
    head.syncToken = this.nextSyncToken();
    head.extra = extra;
    ex.write(status, head, body, close);
    const res = ex.response;
    if (res !== undefined && res.writableLength > 0 && !res.writableFinished) this.holdUntilRead(res);
    return status;
  }

  /** Counts response bytes a client of the fast engine has not taken yet against the budget. */
  holdBytes(bytes: number): void {
    this.buffered += bytes;
  }

  /** Gives back what `holdBytes` counted. */
  releaseBytes(bytes: number): void {
    this.buffered -= bytes;
  }

  /** How long a client may take to read a response before its connection is closed, in ms. */
  get responseTimeout(): number {
    return this.options.responseTimeout;
  }

  /**
   * Counts a response its client has not taken yet against the budget, and
   * closes the connection if the client does not take it within the response
   * timeout: a reader that never reads must not hold memory for good.
   */
  /** The answers a connection holds, given back when it closes (one listener per connection). */
  private holdFor(socket: Socket): Set<() => void> {
    const answers = new Set<() => void>();
    this.heldBySocket.set(socket, answers);
    socket.once('close', () => {
      for (const give of answers) give();
      this.heldBySocket.delete(socket);
    });
    return answers;
  }

  private holdUntilRead(res: ServerResponse): void {
    const held = res.writableLength;
    this.buffered += held;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      clearTimeout(timer);
      this.buffered -= held;
      waiting.delete(release);
    };
    // A pipelined answer queued behind an unread one has no socket yet and, when the client leaves,
    // never emits 'finish' or 'close': the budget is given back at the timeout and on the socket's close.
    const timer = setTimeout(() => {
      release();
      res.destroy();
    }, this.options.responseTimeout);
    timer.unref();
    const socket = res.req.socket;
    const waiting = this.heldBySocket.get(socket) ?? this.holdFor(socket);
    waiting.add(release);
    res.once('finish', release);
    res.once('close', release);
  }
}

/**
 * Why the body cannot be read, if it is compressed: Node undoes the chunked
 * transfer coding only, and a gzip body read as text would be garbage run as
 * a command. `identity` is no coding.
 */
function unsupportedCoding(ex: Exchange): string | undefined {
  const content = ex.header('content-encoding');
  if (content !== undefined && content.trim().toLowerCase() !== 'identity') {
    return `ERR Content-Encoding ${JSON.stringify(content)} is not supported: send the body uncompressed`;
  }
  const transfer = ex.header('transfer-encoding');
  if (transfer !== undefined) {
    for (const coding of transfer.split(',')) {
      const name = coding.trim().toLowerCase();
      if (name !== 'chunked' && name !== 'identity') {
        return `ERR Transfer-Encoding ${JSON.stringify(transfer)} is not supported: only chunked is`;
      }
    }
  }
  return undefined;
}

function replyFormat(ex: Exchange): ReplyFormat | string {
  const encoding = ex.header(headers.encoding);
  const base64 = encoding !== undefined && encoding.trim().toLowerCase() === 'base64';
  const formatHeader = ex.header(headers.responseFormat);
  if (formatHeader === undefined) return base64 ? BASE64_FORMAT : JSON_FORMAT;
  const value = formatHeader.trim().toLowerCase();
  if (value === 'json') return base64 ? BASE64_FORMAT : JSON_FORMAT;
  if (value !== 'resp2') return errors.badResponseFormat(value);
  if (base64) return errors.resp2WithBase64;
  return RESP2_FORMAT;
}

const ROUTE_NAMES = Object.keys(ROUTE_INDEX);

/** The command name of a path command (`/get/key` → `GET`), never arguments. */
function requestLabel(path: string): string | undefined {
  const slash = path.indexOf('/', 1);
  return commandName(path.slice(1, slash === -1 ? path.length : slash));
}

/** A command name for a log line: upper case, and only if it looks like one (no value ends up in a log). */
function commandName(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  const upper = name.toUpperCase();
  return /^[A-Z0-9_.|-]{1,64}$/.test(upper) ? upper : '(invalid)';
}

/** Constant-time token comparison. */
export function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
