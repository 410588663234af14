import type { ServerResponse } from 'node:http';
import { errors } from '@restash/core/protocol';
import type { RedisStream } from '../backend/stream.js';
import type { Identity } from '../database/identity.js';
import { ServerError } from '../errors.js';
import { type Answer, errorAnswer } from '../protocol/execute.js';
import { BadRequest, percentDecode } from '../protocol/request.js';
import { type Arg, type Reply, ReplyError } from '../resp/resp.js';

/** The streaming endpoints. */
export type StreamKind = 'subscribe' | 'psubscribe' | 'monitor';

export interface SseOptions {
  /** Interval of the `: keep-alive` comment lines, in ms. */
  heartbeatMs: number;
  /** Most bytes that may wait for a slow reader before its stream is closed. */
  maxBuffer: number;
}

/** Which streaming endpoint a path is, if any. */
export function streamKind(path: string): StreamKind | undefined {
  if (path.startsWith('/subscribe/') || path === '/subscribe') return 'subscribe';
  if (path.startsWith('/psubscribe/') || path === '/psubscribe') return 'psubscribe';
  if (path === '/monitor' || path === '/monitor/') return 'monitor';
  return undefined;
}

const MONITOR_CLIENT = /^(\d+\.\d+ \[\d+ )(?!lua\])[^\]]*\]/;

/**
 * Serves one SSE stream on a Redis connection of its own:
 * `data: subscribe,<channel>,<count>`, `data: message,<channel>,<payload>`,
 * `data: pmessage,<pattern>,<channel>,<payload>`, or MONITOR lines with the
 * client address masked. Payloads are raw (never base64); a payload with a line
 * break is sent as a JSON string literal so that it stays one `data:` line.
 * The stream ends when the client goes away (the Redis connection is closed at
 * once), when Redis goes away, or when the client reads so slowly that more
 * than `maxBuffer` bytes wait for it.
 */
export class SseStreams {
  private readonly open = new Map<ServerResponse, (finalEvent?: string) => void>();

  constructor(private readonly options: SseOptions) {}

  /** Streams open right now. */
  get size(): number {
    return this.open.size;
  }

  serve(
    kind: StreamKind,
    path: string,
    identity: Identity,
    res: ServerResponse,
    head: string[],
    answer: (answer: Answer) => void,
    onStart: () => void,
  ): void {
    // A refused subscription is answered, then its connection closed, which reports the end too: answer once.
    let answered = false;
    const fail = (error: Answer) => {
      if (answered) return;
      answered = true;
      answer(error);
    };
    let command: Arg[];
    try {
      command = streamCommand(kind, path);
    } catch (error) {
      return fail(errorAnswer('command', (error as Error).message));
    }
    // The operator's deny list covers the streams too (e.g. MONITOR where tenants share a Redis).
    const denied = identity.database.table.administrative(command[0] as string, command);
    if (denied !== undefined) return fail(errorAnswer('command', denied));
    if (kind === 'monitor' && identity.access === 'read-only') {
      return fail(errorAnswer('forbidden', errors.noPermission('monitor')));
    }
    let started = false;
    let heartbeat: NodeJS.Timeout | undefined;
    let recheck: NodeJS.Timeout | undefined;
    let stream: RedisStream;
    const finish = (finalEvent?: string) => {
      clearInterval(heartbeat);
      clearInterval(recheck);
      if (!this.open.delete(res)) return;
      stream.close();
      if (res.destroyed) return;
      if (finalEvent) res.write(finalEvent);
      res.end();
      // A reader that stopped reading cannot take even the end: do not wait for it forever.
      setTimeout(() => res.destroy(), 5000).unref();
    };
    const write = (chunk: string | Uint8Array): void => {
      if (res.destroyed) return;
      res.write(chunk);
      if (res.writableLength > this.options.maxBuffer) {
        finish(
          `event: error\ndata: ERR stream closed: more than ${this.options.maxBuffer} bytes waited for a slow reader\n\n`,
        );
      }
    };
    const start = () => {
      started = true;
      this.open.set(res, finish);
      res.writeHead(200, [
        ...head,
        'content-type',
        'text/event-stream',
        'cache-control',
        'no-cache',
        'x-accel-buffering',
        'no',
        // A stream that ended leaves nothing to reuse the connection for.
        'connection',
        'close',
      ]);
      res.flushHeaders();
      heartbeat = setInterval(() => write(': keep-alive\n\n'), this.options.heartbeatMs);
      heartbeat.unref();
      const { credentials, database } = identity;
      if (credentials) {
        // Redis closes a user's connections on ACL DELUSER only, not on a new password or `off`:
        // ask it again, at least every second, as REST requests are re-checked.
        const every = Math.min(1000, Math.max(100, database.options.aclRecheckMs));
        recheck = setInterval(() => {
          database.verifyUser(credentials.username, credentials.password, (valid) => {
            if (!valid) finish('event: error\ndata: ERR the ACL user was revoked\n\n');
          });
        }, every);
        recheck.unref();
      }
      onStart();
    };
    try {
      stream = identity.database.openStream(
        {
          commands: [command],
          onReply: (reply) => {
            if (!started) {
              if (reply instanceof ReplyError) {
                fail(errorAnswer('command', reply.message));
                return stream.close();
              }
              start();
            } else if (reply instanceof ReplyError) {
              // e.g. NOPERM for the second channel of /subscribe/a/b: the stream cannot be what was asked.
              return finish(`event: error\ndata: ${reply.message.replaceAll(/[\r\n]/g, ' ')}\n\n`);
            }
            const event = formatEvent(kind, reply);
            if (event !== undefined) write(event);
          },
          onEnd: (reason) => {
            if (!started) {
              // Also when the client left first: the answer goes nowhere, but the request is over.
              fail(errorAnswer('unavailable', errors.unavailable(reason || 'the client went away')));
              return;
            }
            finish(reason ? `event: error\ndata: ERR ${reason.replaceAll(/[\r\n]/g, ' ')}\n\n` : undefined);
          },
        },
        identity.credentials,
      );
    } catch (error) {
      if (error instanceof ServerError) return fail(errorAnswer(error.code, error.message));
      throw error;
    }
    // The client may leave at any time, also before Redis confirmed the subscription.
    res.once('close', () => {
      if (started) finish();
      else stream.close();
    });
  }

  /** Ends every stream, e.g. at shutdown. */
  closeAll(): void {
    for (const finish of [...this.open.values()]) finish(': server shutting down\n\n');
  }
}

/** The Redis command of a streaming path: each segment percent-decoded to one channel or pattern. */
function streamCommand(kind: StreamKind, path: string): Arg[] {
  if (kind === 'monitor') return ['MONITOR'];
  const segments = path.split('/').slice(2);
  if (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
  if (segments.length === 0 || segments.includes('')) {
    throw new BadRequest(
      `ERR /${kind} needs at least one ${kind === 'subscribe' ? 'channel' : 'pattern'}: /${kind}/<name>`,
    );
  }
  return [kind.toUpperCase(), ...segments.map((segment) => percentDecode(segment, false))];
}

/** The `data:` line for one reply (one write), or undefined for replies that make no event. */
function formatEvent(kind: StreamKind, reply: Reply): string | Buffer | undefined {
  if (kind === 'monitor') {
    if (typeof reply !== 'string') return undefined;
    if (reply === 'OK') return 'data: "OK"\n\n';
    return `data: ${reply.replace(MONITOR_CLIENT, (_, head: string) => `${head}0.0.0.0:0]`)}\n\n`;
  }
  if (!Array.isArray(reply) || reply.length < 3) return undefined;
  const parts: Buffer[] = [DATA];
  for (let i = 0; i < reply.length; i++) {
    const item = reply[i]!;
    if (i > 0) parts.push(COMMA);
    if (typeof item === 'number' || typeof item === 'bigint' || typeof item === 'string') {
      parts.push(Buffer.from(String(item)));
    } else if (item instanceof Uint8Array) {
      parts.push(payload(item));
    }
  }
  parts.push(END);
  return Buffer.concat(parts);
}

const DATA = Buffer.from('data: ');
const COMMA = Buffer.from(',');
const END = Buffer.from('\n\n');

function payload(bytes: Uint8Array): Buffer {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!buffer.includes(10) && !buffer.includes(13)) return buffer;
  return Buffer.from(JSON.stringify(buffer.toString('utf8')));
}
