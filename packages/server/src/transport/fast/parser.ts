/**
 * The request head parser of the fast engine: the narrow, strict subset of
 * HTTP/1.1 that API clients send. Whatever it does not fully understand is
 * not guessed at: it says "hand over", and `node:http` reads those bytes instead.
 */
import { streamKind } from '../sse.js';

/** The head is not complete yet. */
export const NEED_MORE = 0;
/** A head was parsed into the target: `end` is where the body (if any) begins. */
export const PARSED = 1;
/** Outside the subset: `node:http` must read this request, from its first byte. */
export const HAND_OVER = 2;

export type ParseResult = typeof NEED_MORE | typeof PARSED | typeof HAND_OVER;

/** Most bytes of a request line and headers together (Node's own limit is 16 KiB: beyond ours, Node answers). */
export const MAX_HEAD = 8192;
/** Most header lines. */
export const MAX_HEADERS = 64;
/** Largest body the fast engine reads itself; a larger one is read by `node:http`. */
export const MAX_FAST_BODY = 1024 * 1024;

/** The methods served; any other goes to `node:http` (which answers 405 for most). */
const METHODS = ['GET', 'POST', 'PUT', 'HEAD', 'OPTIONS'] as const;

/** The headers the fast engine reads (lower case); every other one is checked for syntax and skipped. */
enum H {
  ContentLength,
  TransferEncoding,
  Expect,
  Upgrade,
  Connection,
  Authorization,
  Origin,
  RequestId,
  ContentEncoding,
  UpstashEncoding,
  ResponseFormat,
  Host,
  Other,
}
const KNOWN: readonly (readonly [string, H])[] = [
  ['content-length', H.ContentLength],
  ['transfer-encoding', H.TransferEncoding],
  ['expect', H.Expect],
  ['upgrade', H.Upgrade],
  ['connection', H.Connection],
  ['authorization', H.Authorization],
  ['origin', H.Origin],
  ['x-request-id', H.RequestId],
  ['content-encoding', H.ContentEncoding],
  ['upstash-encoding', H.UpstashEncoding],
  ['upstash-response-format', H.ResponseFormat],
  ['host', H.Host],
  // Headers that change how a request is framed or forwarded in some stacks: never on the fast path.
  ['te', H.Upgrade],
  ['trailer', H.Upgrade],
  ['http2-settings', H.Upgrade],
  ['proxy-connection', H.Upgrade],
  ['keep-alive', H.Upgrade],
];
/** Known names by length, as byte arrays. */
const BY_LENGTH: { name: Uint8Array; id: H }[][] = [];
for (const [name, id] of KNOWN) {
  const list = BY_LENGTH[name.length] ?? [];
  list.push({ name: Buffer.from(name, 'latin1'), id });
  BY_LENGTH[name.length] = list;
}

/** tchar of RFC 9110: the bytes a header name (and a method) may have. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;
/** The bytes of a request target: visible ASCII but `#` (a fragment is never sent). */
const URL_BYTE = new Uint8Array(256);
for (let c = 0x21; c <= 0x7e; c++) URL_BYTE[c] = 1;
URL_BYTE[0x23] = 0;
/** The bytes of a header value: visible ASCII, space and tab. */
const VALUE_BYTE = new Uint8Array(256);
for (let c = 0x20; c <= 0x7e; c++) VALUE_BYTE[c] = 1;
VALUE_BYTE[0x09] = 1;

/**
 * What the parser found in a head. A connection parses into one until a head
 * is whole; the request's exchange then keeps it, and the next head gets a new one.
 */
export class RequestHead {
  method = '';
  url = '';
  /** Where the head ends (after its blank line). */
  end = 0;
  /** -1: no Content-Length. */
  contentLength = -1;
  contentLengthText: string | undefined = undefined;
  /** The client sent `Connection: close`. */
  close = false;
  authorization: string | undefined = undefined;
  origin: string | undefined = undefined;
  requestId: string | undefined = undefined;
  contentEncoding: string | undefined = undefined;
  upstashEncoding: string | undefined = undefined;
  responseFormat: string | undefined = undefined;

  reset(): void {
    this.method = '';
    this.url = '';
    this.end = 0;
    this.contentLength = -1;
    this.contentLengthText = undefined;
    this.close = false;
    this.authorization = undefined;
    this.origin = undefined;
    this.requestId = undefined;
    this.contentEncoding = undefined;
    this.upstashEncoding = undefined;
    this.responseFormat = undefined;
  }
}

const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;
const COLON = 58;
const VERSION = Buffer.from('HTTP/1.1\r\n', 'latin1');

/**
 * Parses the head that begins at `start` in `buf[start, end)` into `head`.
 * Strict: exactly `METHOD SP origin-form SP HTTP/1.1 CRLF`, header lines
 * `token ":" OWS visible-ASCII OWS CRLF`, a blank line; no bare LF, no
 * control bytes, no bytes over 0x7E, no obs-fold, no duplicate of a header it
 * reads; `Transfer-Encoding`, `Expect`, `Upgrade`, a `Connection` other than
 * `keep-alive`/`close`, a body on `GET`/`HEAD`/`OPTIONS`, or a body over
 * {@link MAX_FAST_BODY} are handed over.
 */
export function parseHead(buf: Buffer, start: number, end: number, head: RequestHead): ParseResult {
  head.reset();
  const limit = Math.min(end, start + MAX_HEAD);
  let p = start;
  // ---- method
  while (p < limit && buf[p] !== SP) {
    const c = buf[p]!;
    if (c < 0x41 || c > 0x5a || p - start >= 7) return HAND_OVER;
    p++;
  }
  if (p === limit) return limit === end ? NEED_MORE : HAND_OVER;
  const method = methodOf(buf, start, p);
  if (method === undefined) return HAND_OVER;
  head.method = method;
  p++;
  // ---- request target: origin-form, visible ASCII but '#'
  const urlStart = p;
  if (p < limit && buf[p] !== 0x2f) return HAND_OVER;
  while (p < limit && URL_BYTE[buf[p]!] === 1) p++;
  if (p === limit) return limit === end ? NEED_MORE : HAND_OVER;
  if (buf[p] !== SP) return HAND_OVER;
  head.url = latin1(buf, urlStart, p);
  if (nodeOnlyPath(head.url)) return HAND_OVER;
  p++;
  // ---- version and CRLF
  for (let i = 0; i < VERSION.length; i++, p++) {
    if (p === limit) return limit === end ? NEED_MORE : HAND_OVER;
    if (buf[p] !== VERSION[i]) return HAND_OVER;
  }
  // ---- header lines
  let count = 0;
  let host = false;
  for (;;) {
    if (p === limit) return limit === end ? NEED_MORE : HAND_OVER;
    if (buf[p] === CR) {
      if (p + 1 === limit) return limit === end ? NEED_MORE : HAND_OVER;
      if (buf[p + 1] !== LF) return HAND_OVER;
      p += 2;
      break;
    }
    if (++count > MAX_HEADERS) return HAND_OVER;
    const nameStart = p;
    while (p < limit && TCHAR[buf[p]!] === 1) p++;
    if (p === limit) return limit === end ? NEED_MORE : HAND_OVER;
    // An empty name, or anything but ':' right after it (whitespace, obs-fold, bare LF, NUL…).
    if (p === nameStart || buf[p] !== COLON) return HAND_OVER;
    const id = knownHeader(buf, nameStart, p);
    p++;
    const afterColon = p;
    while (p < limit && (buf[p] === SP || buf[p] === HTAB)) p++;
    const valueStart = p;
    while (p < limit && VALUE_BYTE[buf[p]!] === 1) p++;
    if (p + 1 >= limit) return limit === end ? NEED_MORE : HAND_OVER;
    if (buf[p] !== CR || buf[p + 1] !== LF) return HAND_OVER;
    let valueEnd = p;
    while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HTAB)) valueEnd--;
    p += 2;
    if (id === H.Other || id === H.Host) {
      if (id === H.Host) {
        if (host) return HAND_OVER;
        host = true;
      }
      continue;
    }
    const value = latin1(buf, valueStart, valueEnd);
    switch (id) {
      case H.ContentLength: {
        if (head.contentLengthText !== undefined) return HAND_OVER;
        // llhttp refuses some tabs around a length and not others: any tab is node:http's to judge.
        for (let i = afterColon; i < p - 2; i++) if (buf[i] === HTAB) return HAND_OVER;
        const length = contentLength(buf, valueStart, valueEnd);
        if (length < 0) return HAND_OVER;
        head.contentLength = length;
        head.contentLengthText = value;
        break;
      }
      case H.Connection: {
        const lower = value.toLowerCase();
        if (lower === 'close') head.close = true;
        else if (lower !== 'keep-alive') return HAND_OVER;
        break;
      }
      case H.Authorization:
        if (head.authorization !== undefined) return HAND_OVER;
        head.authorization = value;
        break;
      case H.Origin:
        if (head.origin !== undefined) return HAND_OVER;
        head.origin = value;
        break;
      case H.RequestId:
        if (head.requestId !== undefined) return HAND_OVER;
        head.requestId = value;
        break;
      case H.ContentEncoding:
        if (head.contentEncoding !== undefined) return HAND_OVER;
        head.contentEncoding = value;
        break;
      case H.UpstashEncoding:
        if (head.upstashEncoding !== undefined) return HAND_OVER;
        head.upstashEncoding = value;
        break;
      case H.ResponseFormat:
        if (head.responseFormat !== undefined) return HAND_OVER;
        head.responseFormat = value;
        break;
      default:
        // Transfer-Encoding, Expect, Upgrade and the like.
        return HAND_OVER;
    }
  }
  if (head.contentLength > 0) {
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return HAND_OVER;
    if (head.contentLength > MAX_FAST_BODY) return HAND_OVER;
  }
  head.end = p;
  return PARSED;
}

function methodOf(buf: Buffer, start: number, end: number): string | undefined {
  for (let m = 0; m < METHOD_BYTES.length; m++) {
    const method = METHOD_BYTES[m]!;
    if (method.length !== end - start) continue;
    let i = 0;
    while (i < method.length && buf[start + i] === method[i]) i++;
    if (i === method.length) return METHODS[m];
  }
  return undefined;
}

const METHOD_BYTES = METHODS.map((method) => Buffer.from(method, 'latin1'));

/** `buf.latin1Slice`: what `toString('latin1', …)` ends up calling, without its argument checks. */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: (start: number, end: number) => string })
  .latin1Slice;
function latin1(buf: Buffer, start: number, end: number): string {
  return latin1Slice !== undefined ? latin1Slice.call(buf, start, end) : buf.toString('latin1', start, end);
}

/** Which header the token name `buf[start, end)` is, whatever its case. */
function knownHeader(buf: Buffer, start: number, end: number): H {
  const candidates = BY_LENGTH[end - start];
  if (candidates === undefined) return H.Other;
  for (let c = 0; c < candidates.length; c++) {
    const name = candidates[c]!.name;
    let i = 0;
    // Only letters differ by 0x20 between cases; a tchar OR 0x20 is a lower-case letter only if it was a letter.
    while (i < name.length && (buf[start + i]! | 0x20) === name[i]) i++;
    if (i === name.length) return candidates[c]!.id;
  }
  return H.Other;
}

/** A Content-Length value of 1–9 digits, no sign, no inner space, no leading zero (-1 otherwise). */
function contentLength(buf: Buffer, start: number, end: number): number {
  const digits = end - start;
  if (digits < 1 || digits > 9) return -1;
  if (digits > 1 && buf[start] === 0x30) return -1;
  let n = 0;
  for (let p = start; p < end; p++) {
    const c = buf[p]!;
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

/** True for a path left to `node:http` whatever the request: the SSE streams. */
export function nodeOnlyPath(url: string): boolean {
  const q = url.indexOf('?');
  return streamKind(q === -1 ? url : url.slice(0, q)) !== undefined;
}
