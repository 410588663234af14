/**
 * JSON parsing that never rounds an integer: Redis integer replies travel as
 * JSON numbers, and `JSON.parse` turns 9007199254740993 into …992. Integers
 * beyond `Number.MAX_SAFE_INTEGER` come back as `bigint`; everything else is
 * exactly what `JSON.parse` returns.
 */

// 16 digits in a row are needed for an unsafe integer; most bodies have none and take the fast path.
const SIXTEEN_DIGITS = /\d{16}/;
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

/**
 * Parses JSON text; integers beyond ±`Number.MAX_SAFE_INTEGER` become `bigint`.
 * Throws a `SyntaxError` like `JSON.parse` for text that is not JSON.
 *
 * @example
 * parseJsonExact('{"result":9007199254740993}') // { result: 9007199254740993n }
 */
export function parseJsonExact(text: string): unknown {
  if (!SIXTEEN_DIGITS.test(text)) return JSON.parse(text);
  const parser = new Parser(text);
  const value = parser.value();
  parser.space();
  if (parser.at < text.length) parser.fail();
  return value;
}

/** Whether a reply holds a `bigint` at any depth (an integer the exact parser kept). */
export function hasBigInt(value: unknown): boolean {
  if (typeof value === 'bigint') return true;
  if (Array.isArray(value)) {
    for (const item of value) if (hasBigInt(item)) return true;
  }
  return false;
}

/** A reply with every `bigint` turned into its decimal digits. */
export function bigIntsToStrings(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(bigIntsToStrings);
  return value;
}

class Parser {
  at = 0;
  constructor(private readonly text: string) {}

  fail(): never {
    throw new SyntaxError(`Unexpected token in JSON at position ${this.at}`);
  }

  space(): void {
    const { text } = this;
    while (this.at < text.length) {
      const c = text.charCodeAt(this.at);
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return;
      this.at++;
    }
  }

  value(): unknown {
    this.space();
    const { text } = this;
    const c = text[this.at];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const [word, value] of LITERALS) {
      if (text.startsWith(word, this.at)) {
        this.at += word.length;
        return value;
      }
    }
    return this.fail();
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.at++;
    this.space();
    if (this.text[this.at] === '}') {
      this.at++;
      return out;
    }
    for (;;) {
      this.space();
      if (this.text[this.at] !== '"') this.fail();
      const key = this.string();
      this.space();
      if (this.text[this.at++] !== ':') this.fail();
      out[key] = this.value();
      this.space();
      const next = this.text[this.at++];
      if (next === '}') return out;
      if (next !== ',') this.fail();
    }
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.at++;
    this.space();
    if (this.text[this.at] === ']') {
      this.at++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.space();
      const next = this.text[this.at++];
      if (next === ']') return out;
      if (next !== ',') this.fail();
    }
  }

  private string(): string {
    const { text } = this;
    const start = this.at;
    let end = start + 1;
    for (;;) {
      const quote = text.indexOf('"', end);
      if (quote === -1) this.fail();
      let backslashes = 0;
      for (let i = quote - 1; text.charCodeAt(i) === 92; i--) backslashes++;
      end = quote + 1;
      if (backslashes % 2 === 0) break;
    }
    this.at = end;
    // The string alone, with its escapes, is valid JSON: let the engine decode it.
    return JSON.parse(text.slice(start, end)) as string;
  }

  private number(): number | bigint {
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (!match) return this.fail();
    this.at = NUMBER.lastIndex;
    const token = match[0];
    const value = Number(token);
    if (match[1] === undefined && match[2] === undefined && !Number.isSafeInteger(value))
      return BigInt(token);
    return value;
  }
}

const LITERALS: [string, unknown][] = [
  ['true', true],
  ['false', false],
  ['null', null],
];
