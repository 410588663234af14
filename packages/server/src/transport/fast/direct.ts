/**
 * Direct I/O for the fast engine on a plain TCP socket: bytes are read from,
 * and answers written to, the socket's libuv handle, past the `net.Socket`
 * stream. A request then costs no `Readable` push, no `Writable` bookkeeping
 * and no `process.nextTick` per read and per write; and every read lands in
 * one buffer shared by all connections (as `net.Socket`'s documented `onread`
 * option does), not in a new `ArrayBuffer` each time, whose sweeping was
 * about a third of every young-generation GC pause.
 *
 * It uses what `net.Socket` itself uses: the handle's `onread`,
 * `useUserBuffer`, `readStart`, `readStop`, `writeUtf8String`, `writev` and
 * `writeQueueSize`, and Node's `stream_wrap` binding for `WriteWrap` and the
 * read and write state. Where any of that is missing (another Node, a TLS
 * socket) {@link directIo} says so and the connection uses the stream API.
 * End of stream, read errors and closing stay the socket's own: they go to
 * `net.Socket` as before, and its `end`, `error` and `close` events come as
 * they always did. Once the connection is handed to `node:http`
 * ({@link DirectIo.release}), each read is copied and pushed to the socket
 * as `net.Socket` does it.
 */
import type { Socket } from 'node:net';

/** What `process.binding('stream_wrap')` gives (Node 20–24). */
interface StreamWrapBinding {
  WriteWrap: new () => WriteRequest;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kLastWriteWasAsync: number;
}

interface WriteRequest {
  handle: TcpHandle;
  oncomplete: (this: WriteRequest, status: number) => void;
  async: boolean;
  /** Keeps the bytes of a write that completes later alive. */
  buffer: unknown;
  io: DirectIo;
}

interface TcpHandle {
  onread: (this: TcpHandle, buffer: ArrayBuffer | undefined) => unknown;
  useUserBuffer(buffer: Uint8Array): void;
  reading: boolean;
  readStart(): number;
  readStop(): number;
  writeUtf8String(req: WriteRequest, text: string): number;
  writev(req: WriteRequest, chunks: unknown[], allBuffers: boolean): number;
  readonly writeQueueSize: number;
}

/** What a connection on direct I/O is told. */
export interface DirectSink {
  /**
   * Bytes arrived. They are in the buffer every connection reads into: valid
   * only during the call, so whatever is kept must be copied.
   */
  received(chunk: Buffer): void;
  /** A write that could not complete at once has completed: the client took bytes. */
  drained(): void;
}

let binding: StreamWrapBinding | null | undefined;

function streamWrap(): StreamWrapBinding | null {
  if (binding !== undefined) return binding;
  binding = null;
  try {
    const found = (process as unknown as { binding(name: string): Partial<StreamWrapBinding> }).binding(
      'stream_wrap',
    );
    if (
      typeof found.WriteWrap === 'function' &&
      found.streamBaseState instanceof Int32Array &&
      typeof found.kReadBytesOrError === 'number' &&
      typeof found.kLastWriteWasAsync === 'number'
    ) {
      binding = found as StreamWrapBinding;
    }
  } catch {
    // No process.binding (or not this one): the stream API it is.
  }
  return binding;
}

/**
 * Direct I/O on `socket`, or `undefined` when it cannot have it (TLS, or a
 * Node without the internals it needs): then use the stream API.
 */
export function directIo(socket: Socket, sink: DirectSink): DirectIo | undefined {
  if ((socket as { encrypted?: boolean }).encrypted) return undefined;
  const handle = (socket as unknown as { _handle?: Partial<TcpHandle> })._handle;
  const wrap = streamWrap();
  if (
    wrap === null ||
    handle == null ||
    handle.constructor?.name !== 'TCP' ||
    typeof handle.onread !== 'function' ||
    typeof handle.writeUtf8String !== 'function' ||
    typeof handle.writev !== 'function' ||
    typeof handle.readStart !== 'function' ||
    typeof handle.readStop !== 'function' ||
    typeof handle.useUserBuffer !== 'function' ||
    typeof (socket as { _unrefTimer?: unknown })._unrefTimer !== 'function' ||
    typeof handle.writeQueueSize !== 'number' ||
    handle.reading !== true
  ) {
    return undefined;
  }
  return new DirectIo(socket, handle as TcpHandle, wrap, sink);
}

/** Node's default `highWaterMark` of a socket: past this many unsent bytes, wait (as `writableNeedDrain`). */
const HIGH_WATER = 16 * 1024;
/** What every direct connection reads into (libuv's suggested size for a read, as Node allocates). */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** `bytes` itself, or a copy of it if it is in the shared read buffer (which the next read overwrites). */
export function owned(bytes: Buffer): Buffer {
  return bytes.buffer === READ_BUFFER.buffer ? Buffer.from(bytes) : bytes;
}

function writeComplete(this: WriteRequest, status: number): void {
  this.buffer = undefined;
  this.io.completed(status);
}

export class DirectIo {
  private active = true;

  constructor(
    private readonly socket: Socket,
    private readonly handle: TcpHandle,
    private readonly wrap: StreamWrapBinding,
    private readonly sink: DirectSink,
  ) {
    // `net.Socket`'s own reader, for what is not data: end of stream, errors.
    const streamRead = handle.onread;
    const io = this;
    const state = wrap.streamBaseState;
    const { kReadBytesOrError } = wrap;
    handle.onread = function onDirectRead(this: TcpHandle, buffer: ArrayBuffer | undefined) {
      const nread = state[kReadBytesOrError]!;
      // End of stream and read errors: net.Socket's own reader (which does not look at the buffer then).
      if (nread <= 0) return streamRead.call(this, buffer);
      if (io.active) io.sink.received(READ_BUFFER.subarray(0, nread));
      else io.push(nread);
      return undefined;
    };
    handle.useUserBuffer(READ_BUFFER);
  }

  /** A read after the hand-over: what `net.Socket` does with one, on a copy. */
  private push(nread: number): void {
    const socket = this.socket;
    (socket as unknown as { _unrefTimer(): void })._unrefTimer();
    if (socket.destroyed) return;
    if (!socket.push(Buffer.from(READ_BUFFER.subarray(0, nread)))) this.pause();
  }

  /** Writes that did not complete at once (libuv holds their rest): only then is there a queue to ask about. */
  private waiting = 0;

  /** Bytes written but not yet taken by the client. */
  get pending(): number {
    const queued = this.waiting > 0 ? this.handle.writeQueueSize : 0;
    return queued + this.socket.writableLength;
  }

  /** Too many bytes wait for the client: read no more requests for now. */
  get full(): boolean {
    return this.waiting > 0 && this.handle.writeQueueSize >= HIGH_WATER;
  }

  pause(): void {
    const handle = this.handle;
    if (!handle.reading) return;
    handle.reading = false;
    handle.readStop();
  }

  resume(): void {
    const handle = this.handle;
    if (handle.reading || this.socket.destroyed) return;
    handle.reading = true;
    const error = handle.readStart();
    if (error !== 0) this.socket.destroy();
  }

  /**
   * The write request for the next write. A write the kernel took whole never
   * reaches C++'s request object (Node makes one only for a write that goes
   * on after the call), so the same request serves every such write; one that
   * went async keeps its request until it completes, and the next write makes
   * a new one.
   */
  private spare: WriteRequest | undefined;

  /** Writes `data` in one system call if the client can take it now; libuv keeps the rest. */
  write(data: string | (string | Uint8Array)[]): void {
    if (this.socket.destroyed) return;
    let req = this.spare;
    if (req === undefined) {
      req = new this.wrap.WriteWrap();
      req.handle = this.handle;
      req.oncomplete = writeComplete;
      req.async = false;
      req.buffer = undefined;
      req.io = this;
      this.spare = req;
    }
    let error: number;
    if (typeof data === 'string') {
      error = this.handle.writeUtf8String(req, data);
    } else {
      const chunks: unknown[] = new Array(data.length * 2);
      for (let i = 0; i < data.length; i++) {
        const chunk = data[i]!;
        chunks[2 * i] = chunk;
        chunks[2 * i + 1] = typeof chunk === 'string' ? 'utf8' : 'buffer';
      }
      error = this.handle.writev(req, chunks, false);
    }
    if (error !== 0) {
      this.socket.destroy();
      return;
    }
    if (this.wrap.streamBaseState[this.wrap.kLastWriteWasAsync] !== 0) {
      // libuv holds the rest: this request is now Node's until it completes.
      req.async = true;
      req.buffer = data;
      this.spare = undefined;
      this.waiting++;
    }
  }

  /** A write that went on after `write` returned is over. */
  completed(status: number): void {
    this.waiting--;
    if (status < 0) {
      // EPIPE, ECONNRESET, or ECANCELED once closed: the socket's own events tell the rest.
      if (!this.socket.destroyed) this.socket.destroy();
      return;
    }
    if (this.active) this.sink.drained();
  }

  /**
   * The socket goes back to the stream API (handed to `node:http`): reads are
   * pushed to it, and it pauses and resumes them, as on any socket.
   */
  release(): void {
    if (!this.active) return;
    this.active = false;
    this.resume();
  }
}
