/**
 * JSON for Next's ISR cache values: bytes (`Buffer`, `Uint8Array`) travel as
 * base64 and `Map`s (the App Router's `segmentData`, Next ≥ 16.3) as entry
 * lists, so both come back as what they were. `undefined` object members are
 * dropped, as JSON does.
 */
const BYTES = '__restash_bytes';
const MAP = '__restash_map';

function encode(value: unknown): unknown {
  if (value instanceof Uint8Array) return { [BYTES]: toBase64(value) };
  if (value instanceof Map) return { [MAP]: [...value].map(([k, v]) => [encode(k), encode(v)]) };
  if (Array.isArray(value)) return value.map(encode);
  if (value !== null && typeof value === 'object') {
    // Next's RenderResult (an HTML body still in memory) stores as its text.
    const rendered = value as { toUnchunkedString?: () => string };
    if (typeof rendered.toUnchunkedString === 'function') return rendered.toUnchunkedString();
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = encode(v);
    return out;
  }
  return value;
}

function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record[BYTES] === 'string') return fromBase64(record[BYTES]);
    if (Array.isArray(record[MAP])) {
      return new Map((record[MAP] as [unknown, unknown][]).map(([k, v]) => [decode(k), decode(v)]));
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) out[k] = decode(v);
    return out;
  }
  return value;
}

/** Turns an ISR cache record into text that {@link parseRecord} turns back, bytes and maps included. */
export function stringifyRecord(value: unknown): string {
  return JSON.stringify(encode(value));
}

/** The inverse of {@link stringifyRecord}. Bytes come back as `Buffer`, which Next expects. */
export function parseRecord<T>(text: string): T {
  return decode(JSON.parse(text)) as T;
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function fromBase64(text: string): Buffer {
  return Buffer.from(text, 'base64');
}
