/**
 * The wire protocol of the Upstash Redis REST API, as Restash speaks it.
 *
 * This module is the single owner of request/response shapes, header names,
 * error texts, the error → HTTP status table and the base64 rules. The client
 * and the server both import it, so they cannot disagree.
 *
 * @see https://upstash.com/docs/redis/features/restapi
 */

/** A single command as sent in a JSON body: name first, then the arguments. */
export type RestCommand = ReadonlyArray<string | number | boolean>;

/** A successful reply: the `result` key is always present (`null` for a nil reply). */
export interface RestSuccess<TResult = unknown> {
  result: TResult;
}

/** A failed reply: an `error` string and no `result` key. */
export interface RestFailure {
  error: string;
}

/** One reply of `POST /`, or one entry of a `/pipeline` or `/multi-exec` response. */
export type RestReply<TResult = unknown> = RestSuccess<TResult> | RestFailure;

/** Header names, lower-cased as Node and fetch report them. */
export const headers = {
  /** Request header; `base64` asks for every string in `result` to be base64 of its bytes. */
  encoding: 'upstash-encoding',
  /** Request header; `json` (default) or `resp2` (raw RESP2 bytes). */
  responseFormat: 'upstash-response-format',
  /** Request and response header for read-your-writes; a new value on every response. */
  syncToken: 'upstash-sync-token',
  authorization: 'authorization',
} as const;

/** Query parameter that carries the token instead of the `Authorization` header; never a command argument. */
export const TOKEN_QUERY_PARAM = '_token';

/** Paths with a meaning of their own; every other path is a command. */
export const paths = {
  pipeline: '/pipeline',
  multiExec: '/multi-exec',
  /** Health check for load balancers. `-` can never start a Redis command name. */
  health: '/-/health',
  /** `POST /subscribe/<channel>`: a server-sent event stream of the channel's messages. */
  subscribe: '/subscribe',
  /** `POST /psubscribe/<pattern>`: a server-sent event stream of messages on matching channels. */
  psubscribe: '/psubscribe',
} as const;

/** Every event of a `/subscribe` or `/psubscribe` stream is one line starting with this. */
export const SSE_DATA_PREFIX = 'data: ';

/**
 * One event of a pub/sub stream, parsed from the text after `data: `:
 * `subscribe,<channel>,<count>`, `message,<channel>,<payload>`,
 * `psubscribe,<pattern>,<count>`, `pmessage,<pattern>,<channel>,<payload>`
 * (and `unsubscribe`/`punsubscribe` like `subscribe`). Payloads are raw text,
 * except that a payload holding a line break (CR or LF) travels as a JSON
 * string literal, so that the event stays on one `data:` line.
 */
export type PubSubEvent =
  | { type: 'subscribe' | 'unsubscribe' | 'psubscribe' | 'punsubscribe'; name: string; count: number }
  | { type: 'message'; channel: string; payload: string }
  | { type: 'pmessage'; pattern: string; channel: string; payload: string };

/**
 * Parses the data of one pub/sub event. Channel names may contain commas
 * when the caller passes the channel or pattern it subscribed to as `name`;
 * without it the name ends at the first comma. Returns undefined for data
 * that is not a pub/sub event.
 *
 * @example
 * parsePubSubEvent('message,chat,hi, there', 'chat') // { type: 'message', channel: 'chat', payload: 'hi, there' }
 */
export function parsePubSubEvent(data: string, name?: string): PubSubEvent | undefined {
  const comma = data.indexOf(',');
  if (comma === -1) return undefined;
  const type = data.slice(0, comma);
  const start = comma + 1;
  const end =
    name !== undefined && data.startsWith(`${name},`, start) ? start + name.length : data.indexOf(',', start);
  if (end === -1) return undefined;
  const first = data.slice(start, end);
  const rest = data.slice(end + 1);
  switch (type) {
    case 'message':
      return { type, channel: first, payload: unescapePayload(rest) };
    case 'pmessage': {
      const split = rest.indexOf(',');
      if (split === -1) return undefined;
      return {
        type,
        pattern: first,
        channel: rest.slice(0, split),
        payload: unescapePayload(rest.slice(split + 1)),
      };
    }
    case 'subscribe':
    case 'unsubscribe':
    case 'psubscribe':
    case 'punsubscribe': {
      const count = Number(rest);
      return Number.isInteger(count) ? { type, name: first, count } : undefined;
    }
    default:
      return undefined;
  }
}

/** Formats the data of one pub/sub event (without the `data: ` prefix), the inverse of {@link parsePubSubEvent}. */
export function formatPubSubEvent(event: PubSubEvent): string {
  switch (event.type) {
    case 'message':
      return `message,${event.channel},${escapePayload(event.payload)}`;
    case 'pmessage':
      return `pmessage,${event.pattern},${event.channel},${escapePayload(event.payload)}`;
    default:
      return `${event.type},${event.name},${event.count}`;
  }
}

const LINE_BREAK = /[\r\n]/;

/** A payload as it goes on a `data:` line: raw, or a JSON string literal if it holds a line break. */
function escapePayload(payload: string): string {
  return LINE_BREAK.test(payload) ? JSON.stringify(payload) : payload;
}

/**
 * Undoes {@link escapePayload}. Only a JSON string literal whose text holds a
 * line break can be an escaped payload; any other text, including a literal
 * without one (`"quoted"`), is the raw payload. (A raw payload that is itself
 * such a literal, e.g. `"a\nb"` with a backslash, reads as escaped: the wire
 * cannot tell them apart.)
 */
function unescapePayload(payload: string): string {
  if (payload.length < 2 || payload.charCodeAt(0) !== 34 /* " */ || !payload.includes('\\')) return payload;
  try {
    const text: unknown = JSON.parse(payload);
    return typeof text === 'string' && LINE_BREAK.test(text) ? text : payload;
  } catch {
    return payload;
  }
}

/** Default limit for request and response bodies, as on Upstash's pay-as-you-go plans. */
export const DEFAULT_MAX_REQUEST_SIZE = 10 * 1024 * 1024;

/** The kinds of whole-request failure, each with one HTTP status. */
export type ErrorKind =
  | 'command' // the command failed or is malformed: Redis errors, bad arguments, refused commands
  | 'unauthorized'
  | 'forbidden' // NOPERM: the token may not run this command
  | 'not-found'
  | 'method-not-allowed'
  | 'too-large'
  | 'unavailable' // Redis is unreachable, the server is shutting down or at one of its limits
  | 'timeout'
  | 'internal';

/**
 * Error kind → HTTP status. Upstash answers command failures, including
 * permission denials, with 400; clients only look at the JSON `error`.
 */
export const statusOf: Readonly<Record<ErrorKind, number>> = {
  command: 400,
  unauthorized: 401,
  forbidden: 400,
  'not-found': 404,
  'method-not-allowed': 405,
  'too-large': 413,
  unavailable: 503,
  timeout: 504,
  internal: 500,
};

/** Error texts. Redis's own errors are passed through verbatim and are not listed here. */
export const errors = {
  unauthorized: 'WRONGPASS invalid or missing auth token',
  methodNotAllowed: (method: string) =>
    `ERR method ${method} is not allowed: use GET, HEAD, POST or PUT (OPTIONS for CORS preflight)`,
  maxRequestSize: (limit: number, actual?: number) =>
    actual === undefined
      ? `ERR max request size exceeded. Limit: ${limit} bytes`
      : `ERR max request size exceeded. Limit: ${limit} bytes, Actual: ${actual} bytes`,
  maxResponseSize: (limit: number) => `ERR max request size exceeded. Limit: ${limit} bytes (response)`,
  /** The command does not exist or cannot work over stateless HTTP (blocking commands). */
  notAvailable: (name: string) => `ERR Command is not available: '${name.toUpperCase()}'`,
  /** The command controls a connection, a transaction or a subscription, which REST does differently. */
  notAllowedInRest: (name: string) =>
    `ERR Command "${name.toUpperCase()}" is not allowed in REST or it has a special context path`,
  noPermission: (name: string) =>
    `NOPERM this user has no permissions to run the '${name.toLowerCase()}' command or its subcommand`,
  emptyCommand: "ERR Command is not available: ''",
  emptyPipeline: 'ERR empty pipeline: send at least one command',
  emptyTransaction: 'ERR empty transaction: send at least one command',
  invalidJson: (detail: string) => `ERR failed to parse the request body as JSON: ${detail}`,
  notACommand: 'ERR the request body must be a JSON array of command arguments, e.g. ["SET","key","value"]',
  notAPipeline:
    'ERR the request body must be a JSON array of commands, each an array of arguments, e.g. [["SET","k","v"],["GET","k"]]',
  badArgument: (index: number, type: string) =>
    `ERR argument ${index} is ${type}: arguments must be JSON strings, numbers or booleans`,
  badResponseFormat: (value: string) =>
    `ERR invalid Upstash-Response-Format "${value}": use "json" or "resp2"`,
  resp2WithBase64: 'ERR Upstash-Response-Format: resp2 cannot be combined with Upstash-Encoding: base64',
  resp2NotForTransactions: 'ERR Upstash-Response-Format: resp2 is not supported on /multi-exec',
  transactionAborted: (first: string) =>
    `EXECABORT Transaction discarded because of previous errors: ${first}`,
  unavailable: (detail: string) => `ERR Redis is unreachable: ${detail}`,
  /** A 503 about the server's own limits (connections, bytes held for slow readers), not about Redis. */
  busy: (detail: string) => `ERR server busy: ${detail}`,
  shuttingDown: 'ERR server is shutting down',
  timeout: (ms: number) => `ERR Redis did not answer within ${ms} ms`,
  notFound: (path: string) => `ERR no such endpoint: ${path}`,
  wrongArity: (command: string) => `ERR wrong number of arguments for '${command}' command`,
  /** `ACL RESTTOKEN` with a user that does not exist, is disabled, or another password. */
  wrongAclPassword: (username: string) => `ERR Wrong password or user "${username}" does not exist`,
} as const;

interface BufferLike {
  from(text: string, encoding: 'base64'): Uint8Array & { toString(encoding: 'utf8'): string };
}
// Node, Bun and Deno ship Buffer, whose base64 codec is several times faster than atob/btoa;
// elsewhere (browsers, workers) the standard web functions are used.
const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;
const utf8 = /* @__PURE__ */ new TextDecoder();
const OK = /* @__PURE__ */ new TextEncoder().encode('OK');

/** The standard base64 alphabet with padding, as Upstash and both official SDKs use. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Decodes standard base64 to bytes. Throws on text that is not base64. */
export function base64ToBytes(text: string): Uint8Array {
  if (NodeBuffer) {
    const buf = NodeBuffer.from(text, 'base64');
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Decodes standard base64 to UTF-8 text; invalid UTF-8 becomes U+FFFD, as in Upstash's JSON replies. */
export function base64ToText(text: string): string {
  if (NodeBuffer) return NodeBuffer.from(text, 'base64').toString('utf8');
  return utf8.decode(base64ToBytes(text));
}

/**
 * Decodes a `result` received with `Upstash-Encoding: base64` into byte arrays.
 *
 * Rule: every string at every depth is base64 of its exact bytes, except that a
 * top-level status reply `OK` may arrive raw. Integers and `null` are never encoded.
 *
 * @example
 * decodeBase64Result('YmFy') // Uint8Array [98, 97, 114]
 */
export function decodeBase64Result(result: unknown, topLevel = true): unknown {
  if (typeof result === 'string') {
    if (topLevel && result === 'OK') return OK.slice();
    return base64ToBytes(result);
  }
  if (Array.isArray(result)) return result.map((item) => decodeBase64Result(item, false));
  return result;
}

/**
 * Like {@link decodeBase64Result}, but strings become UTF-8 text instead of bytes.
 *
 * @example
 * decodeBase64ResultToText(['YmFy', 1]) // ['bar', 1]
 */
export function decodeBase64ResultToText(result: unknown, topLevel = true): unknown {
  if (typeof result === 'string') {
    if (topLevel && result === 'OK') return result;
    return base64ToText(result);
  }
  if (Array.isArray(result)) {
    const out = new Array(result.length);
    for (let i = 0; i < result.length; i++) out[i] = decodeBase64ResultToText(result[i], false);
    return out;
  }
  return result;
}
