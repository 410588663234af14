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
const CRLF = '\r\n';

/**
 * Appends the RESP encoding of one command to `out`. Text is gathered into one
 * string until a binary argument forces a chunk boundary, so a batch of plain
 * commands becomes a single write.
 */
export class CommandWriter {
  private text = '';
  private chunks: (string | Uint8Array)[] = [];
  private bytes = 0;

  /** Bytes written since the last `take()`. */
  get size(): number {
    return this.bytes + this.text.length;
  }

  write(args: readonly Arg[]): void {
    let text = `*${args.length}${CRLF}`;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      if (typeof arg === 'string') {
        text += `$${Buffer.byteLength(arg)}${CRLF}${arg}${CRLF}`;
      } else {
        text += `$${arg.length}${CRLF}`;
        this.text += text;
        text = CRLF;
        this.flushText();
        this.chunks.push(arg);
        this.bytes += arg.length;
      }
    }
    this.text += text;
  }

  /** Returns everything written so far as chunks for `socket.write`, and empties the writer. */
  take(): (string | Uint8Array)[] {
    this.flushText();
    const chunks = this.chunks;
    this.chunks = [];
    this.bytes = 0;
    return chunks;
  }

  private flushText(): void {
    if (this.text.length > 0) {
      this.chunks.push(this.text);
      this.bytes += this.text.length;
      this.text = '';
    }
  }
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
