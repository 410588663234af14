import { errors, TOKEN_QUERY_PARAM } from '@restash/core/protocol';
import { ServerError } from '../errors.js';
import type { Arg } from '../resp/resp.js';

/** A request that cannot be turned into commands: a `ServerError` answered with 400 and this message. */
export class BadRequest extends ServerError {
  constructor(message: string) {
    super('command', message);
  }
}

/**
 * Parses `POST /` bodies: one JSON array of arguments.
 * Numbers keep their exact text (no rounding of big integers), booleans become
 * `"true"`/`"false"`; anything else is a `BadRequest`.
 */
export function parseCommandBody(text: string): Arg[] {
  const parser = new JsonArgsParser(text);
  parser.skipSpace();
  if (parser.peek() !== 91 /* [ */) throw new BadRequest(errors.notACommand);
  const args = parser.parseArgs(-1);
  parser.end();
  return args;
}

/** Parses `/pipeline` and `/multi-exec` bodies: a JSON array of argument arrays. */
export function parsePipelineBody(text: string, maxCommands = Number.POSITIVE_INFINITY): Arg[][] {
  const parser = new JsonArgsParser(text);
  parser.skipSpace();
  if (!parser.eat(91)) throw new BadRequest(errors.notAPipeline);
  const commands: Arg[][] = [];
  parser.skipSpace();
  if (parser.eat(93)) {
    parser.end();
    return commands;
  }
  for (;;) {
    parser.skipSpace();
    if (parser.peek() !== 91) throw new BadRequest(errors.notAPipeline);
    // Stop at once: a 10 MB body of tiny commands would otherwise cost hundreds of MB to hold.
    if (commands.length === maxCommands) {
      // A pipeline or transaction of more commands than allowed: a 413, before anything runs.
      throw new ServerError(
        'too-large',
        `ERR too many commands in one request: the limit is ${maxCommands} (--max-pipeline-commands)`,
      );
    }
    commands.push(parser.parseArgs(commands.length));
    parser.skipSpace();
    if (parser.eat(44)) continue;
    if (parser.eat(93)) break;
    parser.fail('expected "," or "]"');
  }
  parser.end();
  return commands;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * A JSON reader for exactly the shapes the REST API accepts. It is here instead
 * of `JSON.parse` to keep integer text lossless (JSON.parse rounds 2^63-1) and
 * to give errors that name the bad argument.
 */
class JsonArgsParser {
  private pos = 0;
  private nextBackslash: number;

  constructor(private readonly text: string) {
    this.nextBackslash = text.indexOf('\\');
  }

  peek(): number {
    return this.text.charCodeAt(this.pos);
  }

  eat(code: number): boolean {
    if (this.text.charCodeAt(this.pos) === code) {
      this.pos++;
      return true;
    }
    return false;
  }

  skipSpace(): void {
    const text = this.text;
    let pos = this.pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 32 || c === 10 || c === 13 || c === 9) pos++;
      else break;
    }
    this.pos = pos;
  }

  end(): void {
    this.skipSpace();
    if (this.pos !== this.text.length) this.fail('unexpected data after the end of the JSON value');
  }

  fail(detail: string): never {
    throw new BadRequest(errors.invalidJson(`${detail} at position ${this.pos}`));
  }

  /** Parses `[arg, …]` at the current position. `row` numbers pipeline rows in messages (-1: not a pipeline). */
  parseArgs(row: number): Arg[] {
    this.pos++; // '['
    const args: Arg[] = [];
    this.skipSpace();
    if (this.eat(93)) return args;
    for (;;) {
      this.skipSpace();
      args.push(this.parseArg(args.length, row));
      this.skipSpace();
      if (this.eat(44)) continue;
      if (this.eat(93)) return args;
      this.fail('expected "," or "]"');
    }
  }

  private parseArg(index: number, row: number): string {
    const c = this.peek();
    if (c === 34) return this.parseString();
    if (c === 45 || (c >= 48 && c <= 57)) {
      NUMBER.lastIndex = this.pos;
      const match = NUMBER.exec(this.text);
      if (!match) this.fail('invalid number');
      this.pos += match[0].length;
      return match[0];
    }
    if (this.text.startsWith('true', this.pos)) {
      this.pos += 4;
      return 'true';
    }
    if (this.text.startsWith('false', this.pos)) {
      this.pos += 5;
      return 'false';
    }
    const where = row >= 0 ? ` of command ${row}` : '';
    if (this.text.startsWith('null', this.pos))
      throw new BadRequest(errors.badArgument(index, `null${where}`));
    if (c === 91) throw new BadRequest(errors.badArgument(index, `an array${where}`));
    if (c === 123) throw new BadRequest(errors.badArgument(index, `an object${where}`));
    if (Number.isNaN(c)) this.fail('unexpected end of input');
    this.fail(`unexpected character ${JSON.stringify(this.text[this.pos])}`);
  }

  private parseString(): string {
    const text = this.text;
    const start = this.pos + 1;
    const close = text.indexOf('"', start);
    if (close === -1) this.fail('unterminated string');
    if (this.nextBackslash !== -1 && this.nextBackslash < start) {
      this.nextBackslash = text.indexOf('\\', start);
    }
    if (this.nextBackslash === -1 || this.nextBackslash > close) {
      this.pos = close + 1;
      return text.slice(start, close);
    }
    return this.parseEscapedString(start);
  }

  private parseEscapedString(start: number): string {
    const text = this.text;
    let out = '';
    let pos = start;
    let chunkStart = start;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (Number.isNaN(c)) {
        this.pos = pos;
        this.fail('unterminated string');
      }
      if (c === 34) break;
      if (c !== 92) {
        pos++;
        continue;
      }
      out += text.slice(chunkStart, pos);
      const e = text[pos + 1];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          pos += 2;
          break;
        case 'b':
          out += '\b';
          pos += 2;
          break;
        case 'f':
          out += '\f';
          pos += 2;
          break;
        case 'n':
          out += '\n';
          pos += 2;
          break;
        case 'r':
          out += '\r';
          pos += 2;
          break;
        case 't':
          out += '\t';
          pos += 2;
          break;
        case 'u': {
          const hex = text.slice(pos + 2, pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            this.pos = pos;
            this.fail('invalid \\u escape');
          }
          out += String.fromCharCode(Number.parseInt(hex, 16));
          pos += 6;
          break;
        }
        default:
          this.pos = pos;
          this.fail('invalid escape');
      }
      chunkStart = pos;
    }
    out += text.slice(chunkStart, pos);
    this.pos = pos + 1;
    this.nextBackslash = text.indexOf('\\', this.pos);
    return out;
  }
}

const SLASH = 0x2f;

/**
 * Turns a path command into arguments: `/set/foo/bar/EX/100` → SET foo bar EX 100.
 * Each segment is percent-decoded on its own (`%2F` is a `/` inside an argument,
 * `+` stays `+`); a trailing slash is ignored, empty segments in between are
 * empty arguments. Then the body (if any), then query parameters in order:
 * `?EX=100` adds `EX`, `100`; `?NX` adds `NX`; `_token` is never an argument.
 */
export function parsePathCommand(path: string, query: string, body: Uint8Array | null): Arg[] {
  // Each '/' begins an argument, up to the next one; one trailing '/' ends the path and begins none.
  // (As `path.split('/')` without its first segment and a trailing empty one, without that array.)
  const end = path.charCodeAt(path.length - 1) === SLASH ? path.length - 1 : path.length;
  // Sized first: a command's array is then made once, at its length, not grown from empty.
  let count = 0;
  for (let slash = path.indexOf('/'); slash !== -1 && slash < end; slash = path.indexOf('/', slash + 1))
    count++;
  const args: Arg[] = new Array(count);
  let slash = path.indexOf('/');
  for (let i = 0; i < count; i++) {
    const next = path.indexOf('/', slash + 1);
    args[i] = percentDecode(path.slice(slash + 1, next === -1 || next > end ? end : next), false);
    slash = next;
  }
  if (body !== null && body.length > 0) args.push(body);
  if (query.length > 0) {
    for (const pair of query.split('&')) {
      if (pair.length === 0) continue;
      const eq = pair.indexOf('=');
      const key = eq === -1 ? pair : pair.slice(0, eq);
      if (key === TOKEN_QUERY_PARAM) continue;
      args.push(percentDecode(key, true));
      if (eq !== -1) args.push(percentDecode(pair.slice(eq + 1), true));
    }
  }
  return args;
}

/** Finds the `_token` query parameter, if any. */
export function tokenFromQuery(query: string): string | undefined {
  if (!query.includes(TOKEN_QUERY_PARAM)) return undefined;
  for (const pair of query.split('&')) {
    if (pair.startsWith(`${TOKEN_QUERY_PARAM}=`)) {
      const value = percentDecode(pair.slice(TOKEN_QUERY_PARAM.length + 1), true);
      return typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
    }
  }
  return undefined;
}

/**
 * Percent-decodes to bytes, so `%FF` stays the byte 0xFF instead of becoming U+FFFD.
 * Returns the text unchanged when there is nothing to decode.
 */
export function percentDecode(text: string, plusIsSpace: boolean): Arg {
  if (!text.includes('%') && !(plusIsSpace && text.includes('+'))) return text;
  const source = Buffer.from(plusIsSpace ? text.replaceAll('+', ' ') : text, 'utf8');
  const out = Buffer.allocUnsafe(source.length);
  let n = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c !== 37) {
      out[n++] = c;
      continue;
    }
    const hi = hexValue(source[i + 1]);
    const lo = hexValue(source[i + 2]);
    if (hi < 0 || lo < 0) {
      throw new BadRequest(
        `ERR malformed percent-encoding in "${text}": % must be followed by two hex digits`,
      );
    }
    out[n++] = hi * 16 + lo;
    i += 2;
  }
  return out.subarray(0, n);
}

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}
