import { type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { errors, headers } from '@restash/core/protocol';
import { coarseNow } from '../../clock.js';
import { errorAnswer } from '../../protocol/execute.js';
import type { BodyCallback, Exchange, HttpHandler, ResponseHead } from '../http.js';
import { type DirectIo, type DirectSink, directIo, owned } from './direct.js';
import { HAND_OVER, NEED_MORE, parseHead, RequestHead } from './parser.js';

/** What a connection needs of its engine. */
export interface ConnectionHost {
  readonly handler: HttpHandler;
  /** `node:http`'s settings, read at each use: the fast engine keeps the same timeouts. */
  readonly settings: { headersTimeout: number; requestTimeout: number; keepAliveTimeout: number };
  /** Gives the socket, with `bytes` unread, to `node:http` for good. */
  handOver(connection: FastConnection, socket: Socket, bytes: Buffer): void;
  /** The connection is over (closed or handed over). */
  forget(connection: FastConnection): void;
}

const EMPTY = Buffer.alloc(0);
/** `HTTP/1.1 200 OK\r\n`… made once per status. */
const STATUS_LINES: string[] = [];
for (const code of Object.keys(STATUS_CODES)) {
  STATUS_LINES[Number(code)] = `HTTP/1.1 ${code} ${STATUS_CODES[code]}\r\n`;
}
const SYNC_TOKEN_LINE = `${headers.syncToken}: `;
const CLOSED_MID_BODY = 'ERR the client closed the request before sending the whole body';
const HEAD_STATE = 0;
const BODY_STATE = 1;

/** `Date` header line, made again once a second (as Node does). */
let dateLine = '';
let dateExpires = 0;
function date(now: number): string {
  if (now >= dateExpires) {
    dateLine = `Date: ${new Date(now).toUTCString()}\r\n`;
    dateExpires = now - (now % 1000) + 1000;
  }
  return dateLine;
}

/** One request of a fast connection: the {@link Exchange} the handler answers. */
export class FastExchange implements Exchange {
  /** The serialized response once written, until its turn to go out comes. */
  out: string | (string | Uint8Array)[] | undefined = undefined;
  /** Close the connection once this response is out. */
  closeAfter = false;
  /** Bytes of `out` counted against the slow-reader budget while it waits behind an earlier answer. */
  heldBytes = 0;
  sent = false;
  responseLimit = Number.POSITIVE_INFINITY;

  constructor(
    private readonly connection: FastConnection,
    /** What the parser read of this request's head (its own: the connection parses the next into another). */
    private readonly head: RequestHead,
    /** The whole body, once it has arrived (see `complete`). */
    private body: Buffer,
    /** False while the body is arriving: the request is served from its head, as node:http does. */
    private complete: boolean,
  ) {}

  get method(): string {
    return this.head.method;
  }

  get url(): string {
    return this.head.url;
  }

  /** Who waits for the body, while it arrives. */
  private waiter: BodyCallback | undefined = undefined;

  /** The rest of the body arrived. */
  arrived(body: Buffer): void {
    this.body = body;
    this.complete = true;
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter !== undefined) waiter(body, undefined);
  }

  /** The client went away before the whole body came. */
  aborted(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter !== undefined) waiter(undefined, errorAnswer('command', CLOSED_MID_BODY));
  }

  get remoteAddress(): string | undefined {
    return this.connection.remoteAddress;
  }

  get gone(): boolean {
    return this.connection.closed;
  }

  get response(): ServerResponse | undefined {
    return undefined;
  }

  header(name: string): string | undefined {
    const head = this.head;
    switch (name) {
      case 'authorization':
        return head.authorization;
      case 'origin':
        return head.origin;
      case 'x-request-id':
        return head.requestId;
      case 'content-length':
        return head.contentLengthText;
      case 'content-encoding':
        return head.contentEncoding;
      case 'upstash-encoding':
        return head.upstashEncoding;
      case 'upstash-response-format':
        return head.responseFormat;
      default:
        // Transfer-Encoding (and anything else the handler may read) never reaches the fast engine.
        return undefined;
    }
  }

  skipBody(): void {
    // A body still arriving is counted, not kept, from now on.
    if (!this.complete) this.connection.discardBody(this);
  }

  readBody(limit: number, done: BodyCallback): void {
    // The handler refused a declared length over the limit already: the body fits.
    if (this.body.length > limit) done(undefined, errorAnswer('too-large', errors.maxRequestSize(limit)));
    else if (this.complete) done(this.body, undefined);
    else this.waiter = done;
  }

  write(status: number, head: ResponseHead, body: string | (string | Uint8Array)[], close: boolean): void {
    this.sent = true;
    let text = STATUS_LINES[status] ?? `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n`;
    const { contentType, extra } = head;
    if (contentType !== undefined)
      text += `content-type: ${contentType}\r\ncontent-length: ${head.length}\r\n`;
    text += `${SYNC_TOKEN_LINE}${head.syncToken}\r\n`;
    if (extra !== undefined) {
      for (let i = 0; i < extra.length; i += 2) text += `${extra[i]}: ${extra[i + 1]}\r\n`;
    }
    text += date(coarseNow());
    const requestClose = this.head.close;
    this.closeAfter = close || requestClose;
    if (close) text += '\r\n';
    else if (requestClose) text += 'Connection: close\r\n\r\n';
    else text += this.connection.keepAliveLines;
    const bare = this.head.method === 'HEAD';
    if (typeof body === 'string') {
      this.out = bare || body.length === 0 ? text : text + body;
    } else {
      this.out = bare ? text : [text, ...body];
    }
    this.connection.answered(this);
  }
}

/**
 * One client connection on the fast engine: parses requests as they come,
 * hands each to the handler, writes the answers in the order the requests came,
 * and gives the socket to `node:http` at the first request outside the subset
 * it serves (once the answers before it are written).
 */
export class FastConnection implements DirectSink {
  closed = false;
  /** Answers in request order; the first is the next to write. */
  private readonly queue: FastExchange[] = [];
  /** What the request being read is parsed into. */
  private head = new RequestHead();
  /** Bytes read but not parsed yet (a partial request). */
  private pending: Buffer = EMPTY;
  private state = HEAD_STATE;
  /** The request whose body is arriving. */
  private body: Buffer = EMPTY;
  /** Bytes of the arriving body read so far, and how many it has. */
  private bodyFilled = 0;
  private bodyLength = 0;
  /** The arriving body is not wanted (a refused request): its bytes are counted, not kept. */
  private discarding = false;
  /** Bytes for `node:http`, once the answers before them are written. */
  private handing: Buffer | undefined = undefined;
  /** No more requests are read (a `Connection: close`, an answer that closes). */
  private done = false;
  /** Reading is paused until answers are taken (see `mustWait`). */
  private stalled = false;
  /** Inside `consume`: what would resume reading is left to its loop. */
  private consuming = false;
  /** When the request being read began (0: none is). */
  requestStarted: number;
  /** When the connection last finished a request or an answer: the keep-alive timeout counts from there. */
  idleSince: number;
  /** Response bytes counted against the handler's budget, until the client takes them. */
  private held = 0;
  /** Since when the client has taken none of the bytes held. */
  private holdSince = 0;
  readonly remoteAddress: string | undefined;
  keepAliveLines: string;
  /** Reads and writes on the socket's handle, past the stream API (plain TCP; see direct.ts). */
  private readonly io: DirectIo | undefined;

  constructor(
    private readonly host: ConnectionHost,
    readonly socket: Socket,
  ) {
    this.remoteAddress = socket.remoteAddress;
    // node:http counts the headers timeout from the connection for its first request.
    this.requestStarted = coarseNow();
    this.idleSince = this.requestStarted;
    const keepAlive = Math.floor(host.settings.keepAliveTimeout / 1000);
    // As node:http: no Keep-Alive header without a keep-alive timeout.
    this.keepAliveLines =
      keepAlive > 0
        ? `Connection: keep-alive\r\nKeep-Alive: timeout=${keepAlive}\r\n\r\n`
        : 'Connection: keep-alive\r\n\r\n';
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.on('drain', this.onDrain);
    this.io = directIo(socket, this);
  }

  received(chunk: Buffer): void {
    this.onData(chunk);
  }

  drained(): void {
    this.onDrain();
  }

  /** Bytes written that the client has not taken yet. */
  private unsent(): number {
    return this.io !== undefined ? this.io.pending : this.socket.writableLength;
  }

  private pauseReading(): void {
    if (this.io !== undefined) this.io.pause();
    else this.socket.pause();
  }

  private resumeReading(): void {
    if (this.io !== undefined) this.io.resume();
    else this.socket.resume();
  }

  /** True when nothing is being read or answered. */
  get idle(): boolean {
    return this.queue.length === 0 && this.requestStarted === 0 && this.handing === undefined;
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.closed) return;
    // After a request that closes the connection, only the rest of its body is read.
    if (this.done && this.state === HEAD_STATE) return;
    if (this.handing !== undefined) {
      this.handing = Buffer.concat([this.handing, chunk]);
      return;
    }
    let buf: Buffer;
    if (this.pending.length === 0) {
      buf = chunk;
      if (this.state === HEAD_STATE && this.requestStarted === 0) this.requestStarted = coarseNow();
    } else {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = EMPTY;
    }
    this.consume(buf, chunk.length);
  };

  /** Reads every request in `buf`; `fresh` is how many of its bytes just arrived. */
  private consume(buf: Buffer, fresh: number): void {
    this.consuming = true;
    try {
      this.consumeAll(buf, fresh);
    } finally {
      this.consuming = false;
    }
  }

  private consumeAll(buf: Buffer, fresh: number): void {
    let pos = 0;
    const end = buf.length;
    while (pos < end && !this.closed && (!this.done || this.state === BODY_STATE)) {
      if (this.state === HEAD_STATE && this.mustWait()) {
        // Backpressure, as node:http applies it: no more requests until the client takes its answers.
        this.pending = owned(pos === 0 ? buf : buf.subarray(pos));
        if (!this.stalled) {
          this.stalled = true;
          this.pauseReading();
        }
        return;
      }
      if (this.state === BODY_STATE) {
        const take = Math.min(end - pos, this.bodyLength - this.bodyFilled);
        if (!this.discarding) {
          // Grown as bytes come, not allocated at the declared length: a declared megabyte costs nothing until sent.
          if (this.bodyFilled + take > this.body.length) {
            const grown = Buffer.allocUnsafe(
              Math.min(this.bodyLength, Math.max(2 * this.body.length, this.bodyFilled + take)),
            );
            this.body.copy(grown, 0, 0, this.bodyFilled);
            this.body = grown;
          }
          buf.copy(this.body, this.bodyFilled, pos, pos + take);
        }
        this.bodyFilled += take;
        pos += take;
        if (this.bodyFilled < this.bodyLength) return;
        this.state = HEAD_STATE;
        const body = this.discarding ? EMPTY : this.body;
        this.body = EMPTY;
        this.discarding = false;
        const ex = this.receiving!;
        this.receiving = undefined;
        this.requestStarted = 0;
        this.idleSince = coarseNow();
        ex.arrived(body);
        if (pos < end) this.requestStarted = coarseNow();
        continue;
      }
      // A partial head only changes once a line ends: do not parse it again for every byte of a slow sender.
      if (pos === 0 && fresh < end && buf.indexOf(LF_BYTE, end - fresh) === -1 && end < MAX_PARTIAL) {
        this.pending = owned(buf);
        return;
      }
      const result = parseHead(buf, pos, end, this.head);
      if (result === NEED_MORE) {
        this.pending = owned(pos === 0 ? buf : buf.subarray(pos));
        return;
      }
      if (result === HAND_OVER) {
        this.startHandOver(buf.subarray(pos));
        return;
      }
      const head = this.head;
      pos = head.end;
      if (head.close) this.done = true;
      const length = head.contentLength;
      if (length <= 0) {
        this.dispatch(this.exchange(EMPTY, true));
      } else if (end - pos >= length) {
        this.dispatch(this.exchange(owned(buf.subarray(pos, pos + length)), true));
        pos += length;
      } else {
        // Served from its head now (a wrong token is answered before the body comes, as on node:http);
        // the body is read meanwhile, also when the answer did not need it.
        this.bodyLength = length;
        this.bodyFilled = end - pos;
        this.body = Buffer.allocUnsafe(Math.min(length, Math.max(this.bodyFilled, INITIAL_BODY)));
        buf.copy(this.body, 0, pos, end);
        this.discarding = false;
        this.state = BODY_STATE;
        const ex = this.exchange(EMPTY, false);
        this.receiving = ex;
        this.queue.push(ex);
        this.host.handler.serve(ex);
        return;
      }
      if (pos < end) this.requestStarted = coarseNow();
    }
  }

  /** The handler will not read the body arriving for `ex`: drop what was kept of it. */
  discardBody(ex: FastExchange): void {
    if (this.receiving !== ex || this.state !== BODY_STATE) return;
    this.discarding = true;
    this.body = EMPTY;
  }

  /** Too many answers wait, or the client does not read them: read no further request for now. */
  private mustWait(): boolean {
    if (this.queue.length >= MAX_PIPELINED) return true;
    return this.io !== undefined ? this.io.full : this.socket.writableNeedDrain;
  }

  /** Requests are read again once the answers waiting are few and taken. */
  private resumeIfStalled(): void {
    if (!this.stalled || this.consuming || this.closed || this.done || this.handing !== undefined) return;
    if (this.mustWait()) return;
    this.stalled = false;
    const rest = this.pending;
    this.pending = EMPTY;
    if (rest.length > 0) this.consume(rest, rest.length);
    if (!this.stalled && !this.closed && this.handing === undefined) this.resumeReading();
  }

  /** The exchange of the request whose body is arriving. */
  private receiving: FastExchange | undefined = undefined;

  /** The exchange of the request just parsed: it takes the head, the next request is parsed into a new one. */
  private exchange(body: Buffer, complete: boolean): FastExchange {
    const head = this.head;
    this.head = new RequestHead();
    return new FastExchange(this, head, body, complete);
  }

  private dispatch(ex: FastExchange): void {
    this.requestStarted = 0;
    this.queue.push(ex);
    this.host.handler.serve(ex);
  }

  /**
   * An answer is ready. One that must wait behind an earlier, slower one counts
   * against the slow-reader budget meanwhile, as a written but unread one does.
   */
  answered(ex: FastExchange): void {
    if (this.queue[0] !== ex && !this.closed) {
      const out = ex.out!;
      let bytes = 0;
      if (typeof out === 'string') bytes = out.length;
      else for (const chunk of out) bytes += chunk.length;
      ex.heldBytes = bytes;
      this.host.handler.holdBytes(bytes);
    }
    this.flush();
  }

  /** Forgets the answers not written yet (the connection is closing), and what they held of the budget. */
  private dropQueue(): void {
    const handler = this.host.handler;
    for (const ex of this.queue) {
      if (ex.heldBytes > 0) handler.releaseBytes(ex.heldBytes);
      ex.heldBytes = 0;
    }
    this.queue.length = 0;
  }

  /** Writes the answers that are ready, in order; hands over or closes when their turn comes. */
  flush(): void {
    const queue = this.queue;
    const socket = this.socket;
    while (queue.length > 0) {
      const ex = queue[0]!;
      const out = ex.out;
      if (out === undefined) return;
      queue.shift();
      if (ex.heldBytes > 0) {
        this.host.handler.releaseBytes(ex.heldBytes);
        ex.heldBytes = 0;
      }
      if (this.closed) continue;
      if (this.io !== undefined) {
        this.io.write(out);
      } else if (typeof out === 'string') {
        socket.write(out);
      } else {
        socket.cork();
        for (const chunk of out) socket.write(chunk);
        socket.uncork();
      }
      if (ex.closeAfter) {
        this.closeAfterWrite();
        return;
      }
    }
    const now = coarseNow();
    if (this.unsent() !== this.held) this.account(now);
    // Written to the socket is enough: node:http's answers queue behind ours there.
    if (this.handing !== undefined) return this.finishHandOver();
    this.idleSince = now;
    if (this.stalled) this.resumeIfStalled();
  }

  private startHandOver(bytes: Buffer): void {
    // Copied: a chunk may be a slice of a larger buffer that the next read reuses.
    this.handing = Buffer.from(bytes);
    this.pending = EMPTY;
    if (this.queue.length > 0) {
      this.pauseReading();
      return;
    }
    this.finishHandOver();
  }

  private finishHandOver(): void {
    const bytes = this.handing!;
    this.handing = undefined;
    this.detach();
    this.host.handOver(this, this.socket, bytes);
  }

  /** No more of this connection is ours: node:http has it, or it is closed. */
  private detach(): void {
    const socket = this.socket;
    socket.removeListener('data', this.onData);
    socket.removeListener('end', this.onEnd);
    socket.removeListener('error', this.onError);
    socket.removeListener('close', this.onClose);
    socket.removeListener('drain', this.onDrain);
    this.io?.release();
    this.release();
    this.host.forget(this);
  }

  /** A response that closes the connection went out: end it, read nothing more. */
  private closeAfterWrite(): void {
    this.done = true;
    this.closed = true;
    this.dropQueue();
    const socket = this.socket;
    socket.end();
    // A client that never closes its side must not keep the descriptor.
    setTimeout(() => socket.destroy(), 5000).unref();
  }

  private readonly onEnd = (): void => {
    if (this.closed) return;
    if (this.handing !== undefined) {
      // node:http will see the end after the bytes it is handed.
      return;
    }
    if (this.pending.length > 0 || this.state === BODY_STATE) {
      // A request cut short: node:http answers this with a 400 too.
      if (this.queue.length === 0) {
        this.closed = true;
        this.host.handler.refuse(this.socket, 400, 'ERR malformed HTTP request');
        return;
      }
    }
    // As node:http does (no half-open HTTP): the connection ends now, answers not yet written are dropped.
    this.closed = true;
    this.dropQueue();
    this.socket.end();
  };

  private readonly onError = (): void => {
    this.socket.destroy();
  };

  private readonly onClose = (): void => {
    this.closed = true;
    this.dropQueue();
    this.detach();
    const receiving = this.receiving;
    this.receiving = undefined;
    receiving?.aborted();
  };

  /**
   * Counts the bytes the client has not taken yet against the handler's budget
   * of bytes held for slow readers (at each write, each `drain` and each check);
   * `check` closes the connection when the client takes none of them for the
   * response timeout.
   */
  private account(now: number): void {
    const pending = this.unsent();
    const handler = this.host.handler;
    if (pending > this.held) {
      handler.holdBytes(pending - this.held);
      if (this.held === 0) this.holdSince = now;
    } else if (pending < this.held) {
      handler.releaseBytes(this.held - pending);
      this.holdSince = now;
    }
    this.held = pending;
  }

  private release(): void {
    if (this.held > 0) this.host.handler.releaseBytes(this.held);
    this.held = 0;
  }

  private readonly onDrain = (): void => {
    this.account(coarseNow());
    if (this.stalled) this.resumeIfStalled();
  };

  /**
   * Called about once a second: a request whose head (or body) takes longer than
   * node:http's headers (request) timeout gets a 408, as node:http answers it;
   * an idle connection is closed after the keep-alive timeout.
   */
  check(now: number): void {
    if (this.handing !== undefined) return;
    // Also for a connection that is closing: its FIN waits behind bytes the client may never take.
    if (this.held > 0 || this.unsent() > 0) {
      this.account(now);
      if (this.held > 0 && now - this.holdSince > this.host.handler.responseTimeout) {
        this.closed = true;
        this.socket.destroy();
        return;
      }
    }
    if (this.closed) return;
    // Stalled: the client is slow to read, which the response timeout bounds.
    if (this.stalled) return;
    const { headersTimeout, requestTimeout, keepAliveTimeout } = this.host.settings;
    if (this.requestStarted !== 0) {
      const limit = this.state === HEAD_STATE ? headersTimeout : requestTimeout;
      if (limit > 0 && now - this.requestStarted > limit) {
        // As node:http: a 408 unless an answer is half-written; answers not written yet are dropped.
        this.closed = true;
        this.dropQueue();
        const receiving = this.receiving;
        this.receiving = undefined;
        receiving?.aborted();
        if (this.unsent() === 0) this.host.handler.refuse(this.socket, 408, 'ERR request timeout');
        else this.socket.destroy();
      }
      return;
    }
    if (
      this.queue.length === 0 &&
      this.held === 0 &&
      keepAliveTimeout > 0 &&
      now - this.idleSince > keepAliveTimeout
    ) {
      this.closed = true;
      this.socket.destroy();
    }
  }

  /** Closes the connection if nothing is being read or answered (server shutdown). */
  closeIfIdle(): void {
    if (this.idle && this.pending.length === 0 && this.unsent() === 0) {
      this.closed = true;
      this.socket.destroy();
    }
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }
}

const LF_BYTE = 10;
/** The first allocation for a body that has not all come with its head. */
const INITIAL_BODY = 16 * 1024;
/** Most pipelined requests of a connection being answered at once. */
const MAX_PIPELINED = 64;
/** Past this many bytes of a partial head, parse it anyway (the parser hands over beyond its limit). */
const MAX_PARTIAL = 8192;
