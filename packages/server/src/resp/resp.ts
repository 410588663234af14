/**
 * RESP2: the encoder for commands we send to Redis and a resumable parser for
 * the replies. Replies keep bulk strings as the exact bytes Redis sent so they
 * can be encoded to JSON or base64 without a detour through JS strings.
 *
 * The bottom layer of the server (see `layers.test.ts`): backend, auth and
 * protocol all speak these types, so this module imports nothing of theirs.
 */

import { ServerError } from '../errors.js';

/** An error reply from Redis (`-ERR …`). Not an `Error`: no stack is captured on the hot path. */
export class ReplyError {
  constructor(readonly message: string) {}
}

/**
 * Stands in for a bulk string longer than the response limit: its bytes are
 * read from the socket and dropped, never held in memory. Encoding it throws,
 * so the request is answered 413.
 */
export class ReplyTooLarge extends ReplyError {
  constructor(
    readonly length: number,
    readonly limit: number,
  ) {
    super(
      `ERR max request size exceeded. Limit: ${limit} bytes, a value in the response has ${length} bytes`,
    );
  }
}

/**
 * A parsed RESP2 reply: `string` is a status reply (`+OK`), `Uint8Array` a bulk
 * string, `number`/`bigint` an integer (bigint beyond 2^53), `null` a nil bulk or array.
 */
export type Reply = string | Uint8Array | number | bigint | null | ReplyError | Reply[];

/** A command argument: text is sent as UTF-8, bytes as they are. */
export type Arg = string | Uint8Array;

/** An argument or a reply as text: bytes decoded as UTF-8, a string as it is, anything else ''. */
export function textOf(value: Arg | Reply | undefined): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return '';
}

/** Upper-cased names of the command names seen, so the hot path does not upper-case `get` again and again. */
const NAMES = new Map<string, string>();
const MAX_NAMES = 1024;

/** The upper-cased command name of an argument list ('' for an empty one). */
export function commandName(args: readonly Arg[]): string {
  const first = args[0];
  if (first === undefined) return '';
  if (typeof first !== 'string') return Buffer.from(first).toString('utf8').toUpperCase();
  let name = NAMES.get(first);
  if (name === undefined) {
    name = first.toUpperCase();
    // Names are few; anything else (garbage sent as command names) is upper-cased each time.
    if (NAMES.size < MAX_NAMES && first.length <= 32) NAMES.set(first, name);
  }
  return name;
}

const CR = 13;
const LF = 10;
const CRLF = '\r\n';

/** What the writer encodes into; each batch is a slice of it, as Node's own buffer pool does. */
const SLAB = 64 * 1024;
/** Text up to this many characters is encoded in place; a longer string is sized by Node first. */
const SHORT_TEXT = 32;
/** Binary arguments up to this size are copied into the slab; larger ones go out as their own chunk. */
const SMALL_BINARY = 1024;
/** Room for `*` or `$`, a length of up to 16 digits and CRLF. */
const PREFIX_ROOM = 20;

/**
 * Appends the RESP encoding of commands, as bytes, to one 64 KiB slab: a batch
 * is one slice of it and becomes a single write, with no string built per
 * argument. A batch's slices are never written to again (the socket may still
 * hold them), so the next batch goes on from where it ended, and a full slab
 * is left to the writes that hold it. Large binary arguments are not copied:
 * they go out as chunks of their own, between slices.
 */
export class CommandWriter {
  private slab = Buffer.allocUnsafe(SLAB);
  /** Where the bytes not yet taken begin in the slab, and where the next byte goes. */
  private start = 0;
  private pos = 0;
  private chunks: Uint8Array[] = [];
  private bytes = 0;

  /** Bytes written since the last `take()`. */
  get size(): number {
    return this.bytes + this.pos - this.start;
  }

  write(args: readonly Arg[]): void {
    this.reserve(PREFIX_ROOM);
    this.pos = prefix(this.slab, this.pos, 42, args.length); // '*'
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      if (typeof arg === 'string') this.text(arg);
      else this.binary(arg);
    }
  }

  /** Returns everything written so far as chunks for `socket.write`, and empties the writer. */
  take(): Uint8Array[] {
    this.cut();
    const chunks = this.chunks;
    this.chunks = [];
    this.bytes = 0;
    return chunks;
  }

  private text(arg: string): void {
    const n = arg.length;
    if (n <= SHORT_TEXT) {
      // Mostly ASCII (names, keys, numbers): written as it is read, its length known in advance.
      this.reserve(PREFIX_ROOM + 3 * n + 2);
      const slab = this.slab;
      const at = this.pos;
      let p = prefix(slab, at, 36, n); // '$'
      let i = 0;
      for (; i < n; i++) {
        const c = arg.charCodeAt(i);
        if (c > 0x7f) break;
        slab[p + i] = c;
      }
      if (i === n) {
        p += n;
      } else {
        // Not ASCII after all: encoded again, with its UTF-8 length.
        const length = Buffer.byteLength(arg, 'utf8');
        p = prefix(slab, at, 36, length);
        p += slab.write(arg, p, length, 'utf8');
      }
      slab[p] = CR;
      slab[p + 1] = LF;
      this.pos = p + 2;
      return;
    }
    const length = Buffer.byteLength(arg, 'utf8');
    if (length > SLAB / 2) {
      this.large(Buffer.from(arg, 'utf8'));
      return;
    }
    this.reserve(PREFIX_ROOM + length + 2);
    const slab = this.slab;
    let p = prefix(slab, this.pos, 36, length);
    p += slab.write(arg, p, length, 'utf8');
    slab[p] = CR;
    slab[p + 1] = LF;
    this.pos = p + 2;
  }

  private binary(arg: Uint8Array): void {
    if (arg.length > SMALL_BINARY) {
      this.large(arg);
      return;
    }
    this.reserve(PREFIX_ROOM + arg.length + 2);
    const slab = this.slab;
    let p = prefix(slab, this.pos, 36, arg.length);
    slab.set(arg, p);
    p += arg.length;
    slab[p] = CR;
    slab[p + 1] = LF;
    this.pos = p + 2;
  }

  /** An argument that goes out as a chunk of its own, not copied. */
  private large(bytes: Uint8Array): void {
    this.reserve(PREFIX_ROOM);
    this.pos = prefix(this.slab, this.pos, 36, bytes.length);
    this.cut();
    this.chunks.push(bytes);
    this.bytes += bytes.length;
    this.reserve(2);
    this.slab[this.pos] = CR;
    this.slab[this.pos + 1] = LF;
    this.pos += 2;
  }

  /** Makes the bytes not yet taken a chunk. */
  private cut(): void {
    if (this.pos === this.start) return;
    this.chunks.push(this.slab.subarray(this.start, this.pos));
    this.bytes += this.pos - this.start;
    this.start = this.pos;
  }

  /** Makes room for `n` more bytes: a new slab when this one is full. */
  private reserve(n: number): void {
    if (this.pos + n <= this.slab.length) return;
    this.cut();
    this.slab = Buffer.allocUnsafe(Math.max(SLAB, n));
    this.start = 0;
    this.pos = 0;
  }
}

/** Writes `type`, the decimal `n` and CRLF at `p`; returns where they end. */
function prefix(slab: Buffer, p: number, type: number, n: number): number {
  slab[p++] = type;
  if (n < 10) {
    slab[p++] = 48 + n;
  } else {
    let digits = 1;
    for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    for (let i = digits - 1, rest = n; i >= 0; i--, rest = Math.floor(rest / 10))
      slab[p + i] = 48 + (rest % 10);
    p += digits;
  }
  slab[p] = CR;
  slab[p + 1] = LF;
  return p + 2;
}

interface Frame {
  items: Reply[];
  filled: number;
}

/**
 * A streaming RESP2 parser. `feed()` it socket chunks; it calls `onReply` once
 * per complete top-level reply, in order. Nested arrays are tracked on an
 * explicit stack, so a reply split over many chunks is parsed once, not again
 * from its start for every chunk.
 */
export class ReplyParser {
  private rest: Uint8Array | null = null;
  private waiting: Uint8Array[] = [];
  private waitingBytes = 0;
  private needed = 0;
  private stack: Frame[] = [];
  /** Bytes of an oversized bulk string still to drop. */
  private skip = 0;

  /**
   * @param maxBulk the largest bulk string kept; longer ones become `ReplyTooLarge`
   *   and their bytes are dropped as they arrive.
   */
  constructor(
    private readonly onReply: (reply: Reply) => void,
    private readonly maxBulk: () => number = () => Number.POSITIVE_INFINITY,
  ) {}

  /** Drops all partial state, e.g. after the connection was lost. */
  reset(): void {
    this.rest = null;
    this.waiting = [];
    this.waitingBytes = 0;
    this.needed = 0;
    this.stack = [];
    this.skip = 0;
  }

  feed(chunk: Uint8Array): void {
    if (this.skip > 0) {
      if (chunk.length <= this.skip) {
        this.skip -= chunk.length;
        return;
      }
      chunk = chunk.subarray(this.skip);
      this.skip = 0;
    }
    let buf: Uint8Array;
    if (this.rest === null) {
      buf = chunk;
    } else if (this.needed > 0) {
      // A large bulk string is arriving: wait until all of it is here before copying once.
      this.waiting.push(chunk);
      this.waitingBytes += chunk.length;
      if (this.waitingBytes < this.needed) return;
      buf = Buffer.concat(this.waiting, this.waitingBytes);
      this.waiting = [];
      this.waitingBytes = 0;
      this.needed = 0;
    } else {
      buf = Buffer.concat([this.rest, chunk]);
    }
    this.rest = null;
    this.parse(buf as Buffer);
  }

  private parse(buf: Buffer): void {
    const end = buf.length;
    let pos = 0;
    while (pos < end) {
      const start = pos;
      const lineEnd = buf.indexOf(CR, pos + 1);
      if (lineEnd === -1 || lineEnd + 1 >= end) {
        this.keep(buf, start, 0);
        return;
      }
      const type = buf[pos];
      let value: Reply;
      pos = lineEnd + 2;
      switch (type) {
        case 43: // '+'
          value = buf.toString('utf8', start + 1, lineEnd);
          break;
        case 45: // '-'
          value = new ReplyError(buf.toString('utf8', start + 1, lineEnd));
          break;
        case 58: // ':'
          value = parseInteger(buf, start + 1, lineEnd);
          break;
        case 36: {
          // '$'
          const length = Number(parseInteger(buf, start + 1, lineEnd));
          if (length < 0) {
            value = null;
            break;
          }
          const limit = this.maxBulk();
          if (length > limit) {
            const available = end - pos;
            if (available >= length + 2) {
              pos += length + 2;
            } else {
              this.skip = length + 2 - available;
              pos = end;
            }
            value = new ReplyTooLarge(length, limit);
            break;
          }
          const stop = pos + length;
          if (stop + 2 > end) {
            this.keep(buf, start, stop + 2 - start);
            return;
          }
          value = buf.subarray(pos, stop);
          pos = stop + 2;
          break;
        }
        case 42: {
          // '*'
          const count = Number(parseInteger(buf, start + 1, lineEnd));
          if (count < 0) {
            value = null;
          } else if (count === 0) {
            value = [];
          } else {
            this.stack.push({ items: new Array(count), filled: 0 });
            continue;
          }
          break;
        }
        default:
          throw new Error(`[restash/server] protocol error: unexpected byte ${type} in a Redis reply`);
      }
      this.emit(value);
    }
  }

  private emit(value: Reply): void {
    let current = value;
    const stack = this.stack;
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      frame.items[frame.filled++] = current;
      if (frame.filled < frame.items.length) return;
      stack.pop();
      current = frame.items;
    }
    this.onReply(current);
  }

  private keep(buf: Buffer, from: number, needed: number): void {
    // Copy the tail so the (possibly large) chunk it came from can be freed.
    const tail = Buffer.from(buf.subarray(from));
    this.rest = tail;
    if (needed > tail.length) {
      this.needed = needed;
      this.waiting = [tail];
      this.waitingBytes = tail.length;
    }
  }
}

function parseInteger(buf: Buffer, from: number, to: number): number | bigint {
  let negative = false;
  let i = from;
  if (buf[i] === 45) {
    negative = true;
    i++;
  }
  if (to - i > 15) return BigInt(buf.toString('latin1', from, to));
  let n = 0;
  for (; i < to; i++) n = n * 10 + (buf[i]! - 48);
  return negative ? -n : n;
}

/** Encodes a reply back to RESP2 bytes, for `Upstash-Response-Format: resp2`. */
export function encodeResp(reply: Reply, out: (string | Uint8Array)[]): void {
  if (reply === null) {
    out.push('$-1\r\n');
  } else if (typeof reply === 'string') {
    out.push(`+${reply}\r\n`);
  } else if (typeof reply === 'number' || typeof reply === 'bigint') {
    out.push(`:${reply}\r\n`);
  } else if (reply instanceof Uint8Array) {
    out.push(`$${reply.length}\r\n`, reply, CRLF);
  } else if (reply instanceof ReplyError) {
    if (reply instanceof ReplyTooLarge) throw new ServerError('too-large', reply.message);
    out.push(`-${reply.message}\r\n`);
  } else {
    out.push(`*${reply.length}\r\n`);
    for (const item of reply) encodeResp(item, out);
  }
}
