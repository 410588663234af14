import { describe, expect, it } from 'vitest';
import { deserializeValue, serializeValue, strictUtf8, toNumber } from './values.js';

describe('automatic deserialization', () => {
  it('parses JSON values and keeps strings that would change', () => {
    expect(deserializeValue('{"a":[1,2]}')).toEqual({ a: [1, 2] });
    expect(deserializeValue('42')).toBe(42);
    expect(deserializeValue('true')).toBe(true);
    expect(deserializeValue('null')).toBeNull();
    expect(deserializeValue('"quoted"')).toBe('quoted');
    expect(deserializeValue('9007199254740993')).toBe('9007199254740993');
    expect(deserializeValue('1.0')).toBe('1.0');
    expect(deserializeValue('007')).toBe('007');
    expect(deserializeValue('hello')).toBe('hello');
    expect(deserializeValue('{not json')).toBe('{not json');
    expect(deserializeValue('')).toBe('');
    expect(deserializeValue(null)).toBeNull();
    expect(deserializeValue(5)).toBe(5);
  });
});

describe('value serialization', () => {
  it('sends scalars as they are and everything else as JSON', () => {
    expect(serializeValue('a')).toBe('a');
    expect(serializeValue(1.5)).toBe(1.5);
    expect(serializeValue(false)).toBe(false);
    expect(serializeValue(null)).toBe('null');
    expect(serializeValue([1, 'a'])).toBe('[1,"a"]');
    expect(serializeValue(new Date(0))).toBe('"1970-01-01T00:00:00.000Z"');
    expect(serializeValue(Number.NEGATIVE_INFINITY)).toBe('-inf');
    const bytes = new Uint8Array([1]);
    expect(serializeValue(bytes)).toBe(bytes);
    expect(serializeValue(new Uint8Array([1, 2]).buffer)).toEqual(new Uint8Array([1, 2]));
    expect(serializeValue(new Uint16Array([0x0201]))).toEqual(new Uint8Array([1, 2]));
    expect(serializeValue(new DataView(new Uint8Array([0, 7, 0]).buffer, 1, 1))).toEqual(new Uint8Array([7]));
    expect(() => serializeValue(() => 1)).toThrow('[restash/core] a function cannot be sent to Redis');
    expect(() => serializeValue(Symbol('s'))).toThrow(/symbol/);
  });

  it('tells valid UTF-8 from other bytes and reads Redis floats', () => {
    expect(strictUtf8(new TextEncoder().encode('héllo'))).toBe('héllo');
    expect(strictUtf8(new Uint8Array([0xff, 0xfe]))).toBeUndefined();
    expect(toNumber('inf')).toBe(Number.POSITIVE_INFINITY);
    expect(toNumber('-inf')).toBe(Number.NEGATIVE_INFINITY);
    expect(toNumber('1e3')).toBe(1000);
  });
});
