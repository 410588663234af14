import { describe, expect, it } from 'vitest';
import { frame, readAll, streamOf, ttlSeconds, unframe } from './bytes.js';

describe('stored records', () => {
  it('frame and unframe give back the metadata and every payload byte', () => {
    const payload = Uint8Array.from({ length: 256 }, (_, i) => i);
    const record = unframe<{ tags: string[] }>(frame({ tags: ['a', 'é'] }, payload));
    expect(record?.meta).toEqual({ tags: ['a', 'é'] });
    expect(record?.payload).toEqual(payload);
  });

  it('keeps an empty payload', () => {
    expect(unframe(frame({ a: 1 }, new Uint8Array(0)))?.payload.byteLength).toBe(0);
  });

  it('treats bytes that are not a record as no record', () => {
    expect(unframe(new Uint8Array([1, 2]))).toBeUndefined();
    expect(unframe(new Uint8Array([0, 0, 0, 200, 123]))).toBeUndefined();
    expect(unframe(new TextEncoder().encode('\u0000\u0000\u0000\u0003abc'))).toBeUndefined();
    expect(unframe(new TextEncoder().encode('plain text written by someone else'))).toBeUndefined();
  });
});

describe('streams', () => {
  it('reads a many-chunk stream whole, and streamOf gives a copy the reader may not alter', async () => {
    const chunks = [new Uint8Array([1, 2]), new Uint8Array([3]), new Uint8Array([])];
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    });
    expect(await readAll(stream)).toEqual(new Uint8Array([1, 2, 3]));
    const kept = new Uint8Array([9, 9]);
    const read = await readAll(streamOf(kept));
    read[0] = 0;
    expect(kept).toEqual(new Uint8Array([9, 9]));
    expect(await readAll(streamOf(new Uint8Array(0)))).toEqual(new Uint8Array(0));
  });
});

describe('ttlSeconds', () => {
  it('rounds up, keeps at least a second, and has no TTL for unbounded lifetimes', () => {
    expect(ttlSeconds(0.2)).toBe(1);
    expect(ttlSeconds(59.1)).toBe(60);
    expect(ttlSeconds(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(ttlSeconds(2 ** 32)).toBeUndefined();
    expect(ttlSeconds(Number.NaN)).toBeUndefined();
  });
});
