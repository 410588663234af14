import { describe, expect, it } from 'vitest';
import { parseRecord, stringifyRecord } from './serialize.js';

describe('ISR record serialization', () => {
  it('brings back an App Router page with its segmentData map and every byte of its buffers', () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const page = {
      kind: 'APP_PAGE',
      html: '<html>é</html>',
      rscData: bytes,
      headers: { 'x-next-cache-tags': 'a,b' },
      postponed: undefined,
      status: 200,
      segmentData: new Map([
        ['/_tree', Buffer.from('tree')],
        ['/page', bytes],
      ]),
    };
    const back = parseRecord<typeof page>(stringifyRecord({ value: page }));
    expect((back as unknown as { value: typeof page }).value).toEqual({ ...page, postponed: undefined });
    const value = (back as unknown as { value: typeof page }).value;
    expect(value.segmentData).toBeInstanceOf(Map);
    expect(value.segmentData.get('/page')).toBeInstanceOf(Buffer);
    expect(value.segmentData.get('/page')!.equals(bytes)).toBe(true);
    expect('postponed' in value).toBe(false);
  });

  it('stores a rendered body by its text', () => {
    const rendered = { toUnchunkedString: () => '<p>hi</p>' };
    expect(parseRecord(stringifyRecord({ html: rendered }))).toEqual({ html: '<p>hi</p>' });
  });

  it('keeps plain values, nulls, arrays and nested objects as they are', () => {
    const value = { a: [1, 'two', null, { b: true }], c: { d: { e: 'f' } }, g: 0 };
    expect(parseRecord(stringifyRecord(value))).toEqual(value);
  });

  it('keeps an empty map and an empty buffer', () => {
    const back = parseRecord<{ m: Map<string, Buffer>; b: Buffer }>(
      stringifyRecord({ m: new Map(), b: Buffer.alloc(0) }),
    );
    expect(back.m).toEqual(new Map());
    expect(back.b.byteLength).toBe(0);
  });
});
