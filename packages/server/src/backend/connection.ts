import type net from 'node:net';
import { coarseNow, TICK } from '../clock.js';
import type { Logger } from '../log.js';
import { type Arg, CommandWriter, type Reply, ReplyError, ReplyParser } from '../resp/resp.js';
import { type Backend, BackendFailure, type BatchCallback } from './backend.js';
import { describeEndpoint, type RedisEndpoint } from './redis-url.js';
import { handshakeCommands, isNameRefusal, openSocket, readyEvent } from './socket.js';

interface Pending {
  expect: number;
  /** Made at its final size (`expect`), filled in order: no growing per reply. */
  replies: Reply[];
  /** Replies arrived so far. */
  filled: number;
  done: BatchCallback;
  deadline: number;
  settled: boolean;
}

export interface ConnectionOptions {
  /**
   * Where Redis is; a function is asked again at every (re)connection (a
   * master found through Sentinel), and may return why there is nowhere to go.
   */
  endpoint: RedisEndpoint | (() => RedisEndpoint | string);
  log: Logger;
  /** Name shown by `CLIENT LIST`; none for ACL users who may not set one. */
  name: string | undefined;
  /** How long one connection attempt may take, in ms. */
  connectTimeout: number;
  /** How long a command may wait for its reply, in ms. */
  commandTimeout: number;
  /** PEM certificates to trust for `rediss://`, besides Node's default CAs. */
  tlsCa?: string;
  /** The largest bulk string a reply may hold; longer ones are dropped as they arrive (`ReplyTooLarge`). */
  maxBulk?: () => number;
  /** Extra commands to run after AUTH/SELECT on every (re)connect, e.g. `COMMAND`; `handle` may throw to refuse the connection. */
  onConnect?: { commands: Arg[][]; handle: (replies: Reply[]) => void };
  /** Called when a connection attempt fails or an open connection is lost. */
  onDown?: () => void;
  /**
   * Once connected, while Redis cannot be reached, commands wait for a
   * connection (up to the command timeout) instead of failing at once: for a
   * master that moves in a failover (Sentinel), so that requests ride it out.
   * Before the first connection (a wrong address, say) they fail at once.
   */
  hold?: boolean;
}

type State = 'idle' | 'connecting' | 'ready' | 'backoff' | 'closed';

const MAX_BACKOFF_MS = 1000;

/**
 * One auto-pipelined connection to Redis. Commands from all requests are
 * written back to back (one socket write per event-loop turn) and replies are
 * matched to them in order. A batch is written contiguously, so a
 * `MULTI … EXEC` batch can never have another request's command inside it.
 *
 * It reconnects by itself after Redis goes away. While no connection can be
 * made, commands fail at once with `unavailable` — they are never parked
 * indefinitely — and commands that were in flight when the connection dropped
 * fail with a message saying they may or may not have run.
 */
/** Why a rediss:// connection fails against a Redis that does not speak TLS. */
export const NOT_TLS =
  'the server accepts connections but does not speak TLS — a plain-text Redis? Use redis:// for it, or enable TLS in Redis (tls-port)';

export class RedisConnection implements Backend {
  private socket: net.Socket | null = null;
  private state: State = 'idle';
  private readonly writer = new CommandWriter();
  private flushScheduled = false;
  private queue: Pending[] = [];
  private head = 0;
  /** Batches accepted while a connection attempt is under way. */
  private offline: { commands: readonly Arg[][]; pending: Pending }[] = [];
  private readonly parser: ReplyParser;
  private attempts = 0;
  private lastError = 'not connected yet';
  private retryTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private readyWaiters: ((error?: Error) => void)[] = [];
  private label: string;
  /** Where the current socket goes. */
  private endpoint: RedisEndpoint | undefined;
  /** True once a connection was ready: holding commands for a failover makes sense from then on. */
  private connectedOnce = false;

  constructor(private readonly options: ConnectionOptions) {
    this.parser = new ReplyParser((reply) => this.onReply(reply), options.maxBulk);
    this.label = typeof options.endpoint === 'function' ? 'redis' : describeEndpoint(options.endpoint);
  }

  /** True when commands are being sent to Redis right now. */
  get ready(): boolean {
    return this.state === 'ready';
  }

  /** One: this connection. */
  get connections(): number {
    return 1;
  }

  /** Times the connection was restored after it was lost (for metrics). */
  restored = 0;

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.state === 'closed';
  }

  /** True while Redis cannot be reached (between reconnection attempts). */
  get failing(): boolean {
    return this.state === 'backoff';
  }

  /** True while commands wait for replies. */
  get busy(): boolean {
    return this.head < this.queue.length || this.offline.length > 0;
  }

  /** The last connection problem, for error messages and health checks. */
  get lastFailure(): string {
    return this.lastError;
  }

  /** Starts connecting; resolves once the first connection is ready, rejects if it fails. */
  connect(): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    const waiting = new Promise<void>((resolve, reject) => {
      this.readyWaiters.push((error) => (error ? reject(error) : resolve()));
    });
    if (this.state === 'backoff' || this.state === 'idle') this.open();
    return waiting;
  }

  /**
   * Sends commands as one contiguous batch and calls `done` with all their replies.
   * Redis errors are `ReplyError` entries, not failures.
   */
  send(commands: readonly Arg[][], done: BatchCallback): void {
    const pending: Pending = {
      expect: commands.length,
      replies: new Array(commands.length),
      filled: 0,
      done,
      // The clock may be a tick behind: the tick added keeps a deadline from coming early.
      deadline: coarseNow() + TICK + this.options.commandTimeout,
      settled: false,
    };
    switch (this.state) {
      case 'ready':
        this.enqueue(commands, pending);
        return;
      case 'idle':
        // Connections open lazily: the first command opens it and waits for it.
        this.open();
        this.offline.push({ commands, pending });
        this.startSweeping();
        return;
      case 'connecting':
        this.offline.push({ commands, pending });
        this.startSweeping();
        return;
      case 'backoff':
        if (this.holding) {
          // Wait for the next attempt (at most 1 s away, or at once when told where the master went).
          this.offline.push({ commands, pending });
          this.startSweeping();
          return;
        }
        // Try again right away rather than waiting out the back-off, but do not park the command.
        if (this.retryTimer) {
          clearTimeout(this.retryTimer);
          this.retryTimer = null;
          this.open();
          this.offline.push({ commands, pending });
          this.startSweeping();
          return;
        }
        done(new BackendFailure('unavailable', this.lastError, false));
        return;
      case 'closed':
        done(new BackendFailure('unavailable', 'the server is shutting down', false));
        return;
    }
  }

  /** A `MULTI … EXEC` batch: written contiguously like every batch, so nothing lands in between. */
  atomic(batch: readonly Arg[][], done: BatchCallback): void {
    this.send(batch, done);
  }

  /** Sends one command; resolves with its reply (which may be a `ReplyError`). */
  command(args: Arg[]): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.send([args], (result) => {
        if (result instanceof BackendFailure) reject(new Error(result.message));
        else resolve(result[0]!);
      });
    });
  }

  /** Closes the connection for good. Pending commands fail with `unavailable`. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.retryTimer = null;
    this.sweepTimer = null;
    this.failAll('the server is shutting down');
    this.socket?.destroy();
    this.socket = null;
    // Whoever waits for the first connection (listen()) must not wait forever.
    for (const waiter of this.readyWaiters.splice(0)) waiter(new Error('the connection was closed'));
  }

  /**
   * Drops the current connection (its commands fail as "may or may not have
   * run") and connects again; between attempts, tries again now.
   */
  reconnect(reason: string): void {
    if (this.socket) {
      // The next attempt (to wherever the endpoint now says) starts at once, not after a back-off.
      this.attempts = 0;
      this.socket.destroy(new Error(reason));
      return;
    }
    if (this.state === 'backoff' && this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.open();
    }
  }

  private open(): void {
    this.state = 'connecting';
    const { connectTimeout, tlsCa } = this.options;
    const endpoint =
      typeof this.options.endpoint === 'function' ? this.options.endpoint() : this.options.endpoint;
    if (typeof endpoint === 'string') {
      this.lastError = endpoint;
      this.onClose();
      return;
    }
    this.endpoint = endpoint;
    this.label = describeEndpoint(endpoint);
    const socket = openSocket(endpoint, tlsCa);
    this.socket = socket;
    // A rediss:// URL aimed at a plain-text Redis: TCP connects, then Redis waits for a command
    // line and never answers the TLS hello. Say that, rather than "connect timeout".
    let tcpConnected = false;
    if (endpoint.tls) socket.once('connect', () => (tcpConnected = true));
    const timer = setTimeout(() => {
      socket.destroy(
        new Error(
          tcpConnected
            ? `the TLS handshake did not complete within ${connectTimeout} ms: ${NOT_TLS}`
            : `connect timeout after ${connectTimeout} ms`,
        ),
      );
    }, connectTimeout);
    socket.once(readyEvent(endpoint), () => {
      clearTimeout(timer);
      this.handshake(socket);
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        this.parser.feed(chunk);
      } catch (error) {
        socket.destroy(error as Error);
      }
    });
    socket.on('error', (error) => {
      const notTls =
        endpoint.tls && /wrong version number|packet length too long|unknown protocol/i.test(error.message);
      this.lastError = `${this.label}: ${error.message}${notTls ? ` (${NOT_TLS})` : ''}`;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      if (this.socket === socket) this.onClose();
    });
  }

  private handshake(socket: net.Socket): void {
    const { onConnect, name } = this.options;
    const setup = handshakeCommands(this.endpoint!, name);
    const extra = onConnect?.commands ?? [];
    const pending: Pending = {
      expect: setup.length + extra.length,
      replies: new Array(setup.length + extra.length),
      filled: 0,
      deadline: Date.now() + this.options.connectTimeout + this.options.commandTimeout,
      settled: false,
      done: (result) => {
        if (this.socket !== socket) return;
        if (result instanceof BackendFailure) {
          // Redis took the connection but does not answer (busy, paused, or not Redis at all):
          // start over, or the connection would stay "connecting" even after Redis recovers.
          socket.destroy(new Error(`no answer to the connection handshake: ${result.message}`));
          return;
        }
        const failed = result
          .slice(0, setup.length)
          .find((reply, i) => reply instanceof ReplyError && !isNameRefusal(setup, i, reply));
        if (failed) {
          socket.destroy(new Error((failed as ReplyError).message));
          return;
        }
        try {
          onConnect?.handle(result.slice(setup.length));
        } catch (error) {
          socket.destroy(error as Error);
          return;
        }
        this.onReady();
      },
    };
    // The handshake goes out ahead of any batch parked while connecting.
    this.enqueue([...setup, ...extra], pending);
  }

  /** Commands wait out an outage rather than fail at once (see `hold`). */
  private get holding(): boolean {
    return this.options.hold === true && this.connectedOnce;
  }

  private onReady(): void {
    this.state = 'ready';
    if (this.connectedOnce) this.restored++;
    this.connectedOnce = true;
    if (this.attempts > 0) this.options.log.info('redis connection restored', { redis: this.label });
    this.attempts = 0;
    const parked = this.offline;
    this.offline = [];
    for (const { commands, pending } of parked) {
      if (!pending.settled) this.enqueue(commands, pending);
    }
    for (const waiter of this.readyWaiters.splice(0)) waiter();
  }

  private onClose(): void {
    this.socket = null;
    this.parser.reset();
    if (this.state === 'closed') return;
    const wasReady = this.state === 'ready';
    this.state = 'backoff';
    this.options.onDown?.();
    this.failAll(
      wasReady
        ? `connection to ${this.label} lost before it answered; the command may or may not have run`
        : this.lastError,
      // Held commands were never sent: they wait for the next attempt (or their deadline).
      !this.holding,
    );
    if (wasReady)
      this.options.log.warn('redis connection lost', { redis: this.label, reason: this.lastError });
    for (const waiter of this.readyWaiters.splice(0)) waiter(new Error(this.lastError));
    const delay = Math.min(MAX_BACKOFF_MS, this.attempts === 0 ? 0 : 50 * 2 ** this.attempts);
    if (this.attempts === 1) {
      this.options.log.warn('cannot reach redis, retrying', { redis: this.label, reason: this.lastError });
    }
    this.attempts++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.state === 'backoff') this.open();
    }, delay);
    this.retryTimer.unref();
  }

  private failAll(message: string, parkedToo = true): void {
    const failure = new BackendFailure('unavailable', message);
    const queue = this.queue;
    const head = this.head;
    this.queue = [];
    this.head = 0;
    this.writer.take();
    for (let i = head; i < queue.length; i++) settle(queue[i]!, failure, this.options.log);
    if (!parkedToo) return;
    const parked = this.offline;
    this.offline = [];
    const unsent = new BackendFailure('unavailable', message, false);
    for (const { pending } of parked) settle(pending, unsent, this.options.log);
  }

  private enqueue(commands: readonly Arg[][], pending: Pending): void {
    for (const args of commands) this.writer.write(args);
    this.queue.push(pending);
    this.startSweeping();
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const socket = this.socket;
    const chunks = this.writer.take();
    if (!socket || chunks.length === 0) return;
    if (chunks.length === 1) {
      socket.write(chunks[0]!);
      return;
    }
    socket.cork();
    for (const chunk of chunks) socket.write(chunk);
    socket.uncork();
  };

  private onReply(reply: Reply): void {
    const pending = this.queue[this.head];
    if (pending === undefined) {
      this.socket?.destroy(new Error('protocol error: a reply arrived for no command'));
      return;
    }
    pending.replies[pending.filled++] = reply;
    if (pending.filled < pending.expect) return;
    this.queue[this.head++] = undefined as unknown as Pending;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (!pending.settled) {
      pending.settled = true;
      deliver(pending, pending.replies, this.options.log);
    }
  }

  private startSweeping(): void {
    if (this.sweepTimer) return;
    this.sweepTimer = setInterval(() => this.sweep(), Math.min(250, this.options.commandTimeout));
    this.sweepTimer.unref();
  }

  /** Answers commands whose deadline passed. Their replies, if they come, are dropped. */
  private sweep(): void {
    const now = Date.now();
    const failure = new BackendFailure(
      'timeout',
      `Redis did not answer within ${this.options.commandTimeout} ms`,
    );
    for (let i = this.head; i < this.queue.length; i++) {
      const pending = this.queue[i]!;
      if (pending.deadline > now) break;
      settle(pending, failure, this.options.log);
    }
    // A held command that saw no connection in time says why there was none.
    const unreachable = this.holding ? new BackendFailure('unavailable', this.lastError, false) : failure;
    let answered = false;
    for (const { pending } of this.offline) {
      if (pending.deadline <= now) {
        settle(pending, unreachable, this.options.log);
        answered = true;
      }
    }
    // Answered commands leave at once: held ones would otherwise stay in memory for the whole outage.
    if (answered) this.offline = this.offline.filter(({ pending }) => !pending.settled);
    if (this.head === this.queue.length && this.offline.length === 0 && this.sweepTimer) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = null;
    }
  }
}

function settle(pending: Pending, failure: BackendFailure, log: Logger): void {
  if (pending.settled) return;
  pending.settled = true;
  deliver(pending, failure, log);
}

/**
 * Calls a batch's callback. A callback that throws must not take the connection
 * down with it: the exception would otherwise unwind through the parser and
 * destroy the socket that every other request shares.
 */
function deliver(pending: Pending, result: Reply[] | BackendFailure, log: Logger): void {
  try {
    pending.done(result);
  } catch (error) {
    log.error('a reply callback failed', { error: String(error) });
  }
}
