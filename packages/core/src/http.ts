import { RestashError } from './errors.js';
import { parseJsonExact } from './json.js';
import {
  decodeBase64Result,
  decodeBase64ResultToText,
  headers as HEADERS,
  paths,
  type RestReply,
  SSE_DATA_PREFIX,
  TOKEN_QUERY_PARAM,
} from './protocol/index.js';
import type { Requester, RequesterRequest, StreamRequest } from './requester.js';
import { strictUtf8, type WireArg } from './values.js';

/** Retries after network errors (never after an HTTP answer). */
export interface RetryOptions {
  /** How many times to retry. @default 5 */
  retries?: number;
  /** Milliseconds to wait before retry number `attempt` (0-based). @default (attempt) => Math.exp(attempt) * 50 */
  backoff?: (attempt: number) => number;
}

/** Options of {@link HttpRequester}. */
export interface HttpRequesterOptions {
  /** Base URL of the REST server, `http://` or `https://`. */
  url: string;
  /** Bearer token. */
  token: string;
  /** The `fetch` to use. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Ask the server to base64-encode every string of a reply, so values arrive byte-exact. @default 'base64' */
  responseEncoding?: 'base64' | false;
  /** Track the `upstash-sync-token` header and send it back (read-your-writes). @default true */
  readYourWrites?: boolean;
  /** Retries after network errors; `false` for none. @default { retries: 5 } */
  retry?: RetryOptions | false;
  /** Milliseconds a request may take before it fails with `timeout`. @default none */
  timeout?: number;
  /** Ask `fetch` to keep the request alive beyond the page (`keepalive`), for bodies small enough for browsers. @default true */
  keepAlive?: boolean;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Largest server-sent event line, in bytes. @default 10485760 */
  maxEventSize?: number;
  /**
   * An `AbortSignal` for every request of this client (or a function returning
   * one per request), as in `@upstash/redis`; a per-call signal from
   * `redis.with({ signal })` takes its place.
   */
  signal?: AbortSignal | (() => AbortSignal);
  /** The `cache` mode passed to `fetch` (e.g. `'no-store'` in a framework that caches fetches). @default not set */
  cache?: RequestCache;
}

const TIMEOUT = Symbol('timeout');
const BASE64_HEADER = { [HEADERS.encoding]: 'base64' };
// Browsers refuse `keepalive` requests with bodies over 64 KiB in flight.
const KEEPALIVE_LIMIT = 32 * 1024;

/**
 * The default {@link Requester}: `fetch` to a REST server speaking the Upstash
 * protocol. Uses only web APIs, so it runs in Node 20+, edge runtimes and browsers.
 *
 * @example
 * const requester = new HttpRequester({ url: 'http://127.0.0.1:8079', token: 'secret' });
 * await requester.request({ kind: 'command', commands: [{ args: ['PING'] }] }); // [{ result: 'PONG' }]
 */
export class HttpRequester implements Requester {
  /** The read-your-writes token; `''` until the server sends one. */
  syncToken = '';
  private readonly base: string;
  private readonly fetch: typeof fetch;
  private readonly headers: Record<string, string>;
  private readonly base64: boolean;
  private readonly readYourWrites: boolean;
  private readonly retries: number;
  private readonly backoff: (attempt: number) => number;
  private readonly timeout: number | undefined;
  private readonly keepAlive: boolean;
  private readonly maxEventSize: number;
  private readonly signal: AbortSignal | (() => AbortSignal) | undefined;
  private readonly cache: RequestCache | undefined;

  constructor(options: HttpRequesterOptions) {
    this.base = checkUrl(options.url);
    if (typeof options.token !== 'string' || options.token.length === 0) {
      throw new RestashError(
        'config',
        'missing token: pass { token }, or use Redis.fromEnv() to read RESTASH_TOKEN',
      );
    }
    if (/[\s]/.test(options.token)) {
      throw new RestashError('config', 'token: contains whitespace or a line break; check how it was copied');
    }
    const f = options.fetch ?? (globalThis.fetch as typeof fetch | undefined);
    if (typeof f !== 'function') {
      throw new RestashError('config', 'fetch: this runtime has no global fetch; pass { fetch }');
    }
    this.fetch = options.fetch ? f : f.bind(globalThis);
    this.base64 = (options.responseEncoding ?? 'base64') === 'base64';
    this.readYourWrites = options.readYourWrites ?? true;
    const retry = options.retry ?? {};
    this.retries = retry === false ? 0 : (retry.retries ?? 5);
    this.backoff = (retry === false ? undefined : retry.backoff) ?? ((attempt) => Math.exp(attempt) * 50);
    if (!Number.isInteger(this.retries) || this.retries < 0) {
      throw new RestashError('config', `retry.retries: must be an integer ≥ 0, got ${this.retries}`);
    }
    this.timeout = checkTimeout(options.timeout);
    this.keepAlive = options.keepAlive ?? true;
    this.maxEventSize = options.maxEventSize ?? 10 * 1024 * 1024;
    this.signal = options.signal;
    this.cache = options.cache;
    this.headers = {
      ...options.headers,
      authorization: `Bearer ${options.token}`,
      'content-type': 'application/json',
    };
    if (this.base64) this.headers[HEADERS.encoding] = 'base64';
  }

  async request(request: RequesterRequest): Promise<RestReply[]> {
    const { kind, commands } = request;
    const label =
      kind === 'command' ? commandLabel(commands[0]?.args) : kind === 'pipeline' ? 'PIPELINE' : 'MULTI-EXEC';
    let url: string;
    let body: string | Uint8Array;
    if (kind === 'command') {
      const args = commands[0]?.args ?? [];
      const json = jsonArgs(args);
      if (json === undefined) {
        ({ url, body } = pathCommand(this.base, args));
      } else {
        url = this.base;
        body = JSON.stringify(json);
      }
    } else {
      url = this.base + (kind === 'pipeline' ? paths.pipeline : paths.multiExec);
      const rows: unknown[] = new Array(commands.length);
      for (let i = 0; i < commands.length; i++) {
        const row = jsonArgs(commands[i]!.args);
        if (row === undefined) {
          throw new RestashError(
            'invalid-argument',
            `a ${kind} cannot carry bytes that are not valid UTF-8 (command ${i + 1}, ${commandLabel(commands[i]!.args)}); send that command on its own`,
            { command: label },
          );
        }
        rows[i] = row;
      }
      body = JSON.stringify(rows);
    }

    // Exact bytes only survive base64 replies: ask for them whenever a command wants bytes.
    const base64 = this.base64 || commands.some((command) => command.bytes === true);
    const sent = await this.send(
      url,
      body,
      label,
      request,
      base64 && !this.base64 ? BASE64_HEADER : undefined,
    );
    const { res } = sent;
    let text: string;
    try {
      text = await res.text();
    } catch (error) {
      throw failure(error, label, sent.signal);
    } finally {
      // The timeout and the caller's signal cover the body too, not only the headers.
      sent.done();
    }
    if (this.readYourWrites) {
      const token = res.headers.get(HEADERS.syncToken);
      if (token !== null) this.syncToken = token;
    }
    let parsed: unknown;
    try {
      // Integer replies beyond 2^53 arrive as bigint, never rounded.
      parsed = parseJsonExact(text);
    } catch (error) {
      // A 2xx body is the reply itself and may hold stored values: never quote it.
      throw new RestashError(
        'invalid-response',
        `the server answered HTTP ${res.status} with a body that is not JSON${res.ok ? '' : `: ${text.slice(0, 120)}`}`,
        { command: label, status: res.status, cause: res.ok ? undefined : error },
      );
    }
    if (!res.ok) {
      const message = errorText(parsed) ?? `HTTP ${res.status}`;
      if (res.status === 400 && kind === 'command') return [failed(message, 400)];
      if (res.status === 400) throw new RestashError('redis', message, { command: label, status: 400 });
      throw new RestashError('http', `HTTP ${res.status}: ${message}`, {
        command: label,
        status: res.status,
      });
    }
    if (kind === 'command') {
      return [this.entry(parsed, base64, commands[0]?.bytes === true, label, res.status)];
    }
    if (!Array.isArray(parsed) || parsed.length !== commands.length) {
      throw new RestashError(
        'invalid-response',
        `expected ${commands.length} replies from /${kind === 'pipeline' ? 'pipeline' : 'multi-exec'}`,
        { command: label, status: res.status },
      );
    }
    for (let i = 0; i < parsed.length; i++) {
      parsed[i] = this.entry(parsed[i], base64, commands[i]!.bytes === true, label, res.status);
    }
    return parsed as RestReply[];
  }

  private entry(value: unknown, base64: boolean, bytes: boolean, label: string, status: number): RestReply {
    if (value === null || typeof value !== 'object') {
      throw new RestashError('invalid-response', 'a reply is not an object with "result" or "error"', {
        command: label,
        status,
      });
    }
    const entry = value as { result?: unknown; error?: unknown };
    if (typeof entry.error === 'string') return failed(entry.error, status);
    if (!('result' in entry)) {
      throw new RestashError('invalid-response', 'a reply has neither "result" nor "error"', {
        command: label,
        status,
      });
    }
    const { result } = entry;
    if (base64) {
      return { result: bytes ? decodeBase64Result(result) : decodeBase64ResultToText(result) };
    }
    return { result };
  }

  /**
   * `fetch` with timeout, abort and retries on network errors. The timeout and
   * the caller's signal stay armed until `done()`, so they also cover reading
   * the body; `stopTimer()` disarms only the timeout (for event streams).
   */
  private async send(
    url: string,
    body: string | Uint8Array,
    label: string,
    request: { signal?: AbortSignal | undefined; timeout?: number | undefined; retry?: boolean | undefined },
    extraHeaders?: Record<string, string>,
  ): Promise<InFlight> {
    const timeout = request.timeout ?? this.timeout;
    const userSignal = request.signal ?? (typeof this.signal === 'function' ? this.signal() : this.signal);
    if (userSignal?.aborted) throw aborted(label, userSignal);
    let signal = userSignal;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    if (timeout !== undefined) {
      const controller = new AbortController();
      timer = setTimeout(() => controller.abort(TIMEOUT), timeout);
      if (userSignal) {
        onAbort = () => controller.abort(userSignal.reason);
        userSignal.addEventListener('abort', onAbort, { once: true });
      }
      signal = controller.signal;
    }
    const stopTimer = () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    };
    const done = () => {
      stopTimer();
      if (onAbort) userSignal?.removeEventListener('abort', onAbort);
      onAbort = undefined;
    };
    const headers: Record<string, string> = extraHeaders
      ? { ...this.headers, ...extraHeaders }
      : { ...this.headers };
    if (this.readYourWrites) headers[HEADERS.syncToken] = this.syncToken;
    const init: RequestInit = { method: 'POST', headers, body: body as BodyInit, signal: signal ?? null };
    if (this.keepAlive && byteLength(body) < KEEPALIVE_LIMIT) init.keepalive = true;
    if (this.cache !== undefined) init.cache = this.cache;
    const attempts = request.retry === false ? 1 : this.retries + 1;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const res = await this.fetch(url, init);
          return { res, signal, stopTimer, done };
        } catch (error) {
          if (signal?.aborted) throw failure(error, label, signal);
          if (attempt + 1 >= attempts) throw failure(error, label, signal);
          await sleep(this.backoff(attempt), signal);
          if (signal?.aborted) throw failure(error, label, signal);
        }
      }
    } catch (error) {
      done();
      throw error;
    }
  }

  /** Opens `/subscribe/<name>` or `/psubscribe/<name>` and yields the data of every event. */
  async *stream(request: StreamRequest): AsyncIterable<string> {
    const label = request.kind.toUpperCase();
    const url = `${this.base}${request.kind === 'subscribe' ? paths.subscribe : paths.psubscribe}/${encodePathSegment(utf8Encoder.encode(request.name))}`;
    const sent = await this.send(
      url,
      '[]',
      label,
      { signal: request.signal, retry: false },
      {
        accept: 'text/event-stream',
        'cache-control': 'no-cache',
      },
    );
    // The timeout covers opening the stream; the caller's signal must keep closing it until it ends.
    sent.stopTimer();
    const { res } = sent;
    try {
      if (this.readYourWrites) {
        const token = res.headers.get(HEADERS.syncToken);
        if (token !== null) this.syncToken = token;
      }
      if (!res.ok) {
        let text = '';
        try {
          text = await res.text();
        } catch {}
        let message: string | undefined;
        try {
          message = errorText(JSON.parse(text));
        } catch {}
        const detail = message ?? `HTTP ${res.status}`;
        if (res.status === 400) throw new RestashError('redis', detail, { command: label, status: 400 });
        throw new RestashError('http', `HTTP ${res.status}: ${detail}`, {
          command: label,
          status: res.status,
        });
      }
      if (!res.body)
        throw new RestashError('invalid-response', 'the event stream has no body', { command: label });
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      let event = '';
      try {
        for (;;) {
          let chunk: ReadableStreamReadResult<Uint8Array>;
          try {
            chunk = await reader.read();
          } catch (error) {
            throw failure(error, label, sent.signal);
          }
          if (chunk.done) return;
          buffer += decoder.decode(chunk.value, { stream: true });
          let start = 0;
          for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n', start)) {
            let line = buffer.slice(start, nl);
            start = nl + 1;
            if (line.endsWith('\r')) line = line.slice(0, -1);
            if (line === '') {
              event = '';
            } else if (line.startsWith(SSE_EVENT_PREFIX)) {
              event = line.slice(SSE_EVENT_PREFIX.length);
            } else if (line.startsWith(SSE_DATA_PREFIX)) {
              const data = line.slice(SSE_DATA_PREFIX.length);
              // The server ends a stream it must drop (Redis went away, a slow reader) with an error event.
              if (event === 'error') {
                throw new RestashError('network', `the server closed the ${request.kind} stream: ${data}`, {
                  command: label,
                  status: res.status,
                });
              }
              yield data;
            }
          }
          buffer = buffer.slice(start);
          if (buffer.length > this.maxEventSize) {
            throw new RestashError('invalid-response', `an event is larger than ${this.maxEventSize} bytes`, {
              command: label,
            });
          }
        }
      } finally {
        reader.cancel().catch(() => {});
      }
    } finally {
      sent.done();
    }
  }
}

/** A request whose headers arrived: the response, the signal that aborts it, and its clean-up. */
interface InFlight {
  res: Response;
  /** Aborts the request (the caller's signal, or one that also fires on timeout). */
  signal: AbortSignal | undefined;
  /** Disarms the timeout, keeping the caller's signal armed. */
  stopTimer(): void;
  /** Disarms both; call once the body has been read. */
  done(): void;
}

/** The `event:` field of a server-sent event. */
const SSE_EVENT_PREFIX = 'event: ';

const utf8Encoder = new TextEncoder();

/** The size of a body in bytes; a string is only encoded when its length alone cannot tell. */
function byteLength(body: string | Uint8Array): number {
  if (typeof body !== 'string') return body.byteLength;
  // A UTF-16 code unit is at most 3 UTF-8 bytes.
  return body.length * 3 < KEEPALIVE_LIMIT ? body.length : utf8Encoder.encode(body).byteLength;
}

function checkUrl(url: unknown): string {
  if (typeof url !== 'string' || url.length === 0) {
    throw new RestashError('config', 'missing url: pass { url }, or use Redis.fromEnv() to read RESTASH_URL');
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new RestashError('config', 'url: not a valid URL; expected http(s)://host[:port]', {
      cause: error,
    });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new RestashError('config', `url: must start with http:// or https://, got ${parsed.protocol}//`);
  }
  if (parsed.search || parsed.hash) {
    throw new RestashError('config', 'url: must not have a query string or fragment');
  }
  return url.replace(/\/+$/, '');
}

/** Validates a timeout option in milliseconds. */
export function checkTimeout(timeout: unknown): number | undefined {
  if (timeout === undefined) return undefined;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
    throw new RestashError(
      'config',
      `timeout: must be a positive number of milliseconds, got ${String(timeout)}`,
    );
  }
  return timeout;
}

function commandLabel(args: readonly WireArg[] | undefined): string {
  const name = args?.[0];
  return typeof name === 'string' ? name.toUpperCase() : 'COMMAND';
}

/** The JSON row for a command, or undefined if it holds bytes that are not UTF-8. */
function jsonArgs(args: readonly WireArg[]): readonly (string | number | boolean)[] | undefined {
  let out: (string | number | boolean)[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!(arg instanceof Uint8Array)) {
      if (out) out[i] = arg;
      continue;
    }
    const text = strictUtf8(arg);
    if (text === undefined) return undefined;
    out ??= args.slice(0, i) as (string | number | boolean)[];
    out[i] = text;
  }
  return out ?? (args as readonly (string | number | boolean)[]);
}

/**
 * The path form of a command, which carries any bytes: arguments as
 * percent-encoded path segments, except the largest binary argument, which
 * travels as the raw body, with the arguments after it as query parameters
 * (the server appends the body, then the query, after the path).
 */
function pathCommand(base: string, args: readonly WireArg[]): { url: string; body: string | Uint8Array } {
  let bodyAt = -1;
  for (let i = 1; i < args.length; i++) {
    const arg = args[i];
    if (
      arg instanceof Uint8Array &&
      arg.length > 0 &&
      (bodyAt === -1 || arg.length > (args[bodyAt] as Uint8Array).length)
    ) {
      bodyAt = i;
    }
  }
  // An empty argument cannot be a query parameter: then everything goes in the path.
  for (let i = bodyAt + 1; bodyAt !== -1 && i < args.length; i++) if (String(args[i]) === '') bodyAt = -1;
  const segments = bodyAt === -1 ? args : args.slice(0, bodyAt);
  let url = base;
  for (const arg of segments) url += `/${encodeArg(arg)}`;
  if (bodyAt === -1) {
    // The server drops one trailing empty segment (a trailing slash): keep an empty last argument.
    if (url.endsWith('/')) url += '/';
    return { url, body: '' };
  }
  const query = args.slice(bodyAt + 1).map((arg) => {
    const encoded = encodeArg(arg);
    return encoded === TOKEN_QUERY_PARAM ? `%5F${encoded.slice(1)}` : encoded;
  });
  if (query.length > 0) url += `?${query.join('&')}`;
  return { url, body: args[bodyAt] as Uint8Array };
}

function encodeArg(arg: WireArg): string {
  return encodePathSegment(arg instanceof Uint8Array ? arg : utf8Encoder.encode(String(arg)));
}

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

function encodePathSegment(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) {
    const ch = String.fromCharCode(byte);
    out +=
      byte < 0x80 && UNRESERVED.test(ch) ? ch : `%${byte < 16 ? '0' : ''}${byte.toString(16).toUpperCase()}`;
  }
  return out;
}

/**
 * A failed reply that remembers the HTTP status of the response that carried
 * it (400 for a command sent alone, 200 inside a pipeline). The status is not
 * enumerable, so replies still compare equal to `{ error }`.
 */
function failed(error: string, status: number): RestReply {
  const reply = { error };
  Object.defineProperty(reply, 'status', { value: status });
  return reply;
}

function errorText(body: unknown): string | undefined {
  if (body !== null && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string') {
    return (body as { error: string }).error;
  }
  return undefined;
}

function aborted(label: string, signal: AbortSignal): RestashError {
  return new RestashError('aborted', `${label} was aborted`, { command: label, cause: signal.reason });
}

function failure(error: unknown, label: string, signal: AbortSignal | undefined): RestashError {
  if (error instanceof RestashError) return error;
  if (signal?.aborted) {
    if (signal.reason === TIMEOUT) {
      // fetch rejects with the abort reason itself, our private marker: no cause worth keeping then.
      return new RestashError('timeout', `${label} timed out`, {
        command: label,
        cause: error === TIMEOUT ? undefined : error,
      });
    }
    return aborted(label, signal);
  }
  const detail = error instanceof Error ? describeNetworkError(error) : String(error);
  return new RestashError('network', `${label} failed: ${detail}`, { command: label, cause: error });
}

function describeNetworkError(error: Error): string {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error && cause.message) return `${error.message} (${cause.message})`;
  return error.message;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
