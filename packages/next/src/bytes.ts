/** Reads a stream to its end and joins its chunks. */
export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  if (chunks.length === 1) return chunks[0]!;
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.byteLength;
  }
  return all;
}

/** A new one-chunk stream over a copy of `bytes` (a reader may not alter what the cache keeps). */
export function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (bytes.byteLength > 0) controller.enqueue(bytes.slice());
      controller.close();
    },
  });
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * One stored record: a 4-byte big-endian length, that many bytes of JSON
 * metadata, then the payload bytes untouched.
 */
export function frame(meta: unknown, payload: Uint8Array): Uint8Array {
  const head = encoder.encode(JSON.stringify(meta));
  const out = new Uint8Array(4 + head.byteLength + payload.byteLength);
  new DataView(out.buffer).setUint32(0, head.byteLength);
  out.set(head, 4);
  out.set(payload, 4 + head.byteLength);
  return out;
}

/** The inverse of {@link frame}; `undefined` for bytes that are not a record (written by something else). */
export function unframe<T>(bytes: Uint8Array): { meta: T; payload: Uint8Array } | undefined {
  if (bytes.byteLength < 4) return undefined;
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  if (4 + length > bytes.byteLength) return undefined;
  try {
    const meta = JSON.parse(decoder.decode(bytes.subarray(4, 4 + length))) as T;
    return { meta, payload: bytes.subarray(4 + length) };
  } catch {
    return undefined;
  }
}

/** Seconds as a Redis `EX`, or `undefined` for "no expiry" (Infinity, or beyond what a TTL can say). */
export function ttlSeconds(seconds: number): number | undefined {
  if (!Number.isFinite(seconds) || seconds >= 2 ** 31) return undefined;
  return Math.max(1, Math.ceil(seconds));
}
