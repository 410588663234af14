import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, decodeBase64Result, errors, statusOf } from './index.js';

describe('base64 helpers', () => {
  it('round-trip every byte value', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes);
    expect(bytesToBase64(new TextEncoder().encode('bar'))).toBe('YmFy');
  });

  it('decode a result: a top-level OK may be raw, nested strings never are', () => {
    const text = (value: unknown) => new TextDecoder().decode(value as Uint8Array);
    expect(text(decodeBase64Result('OK'))).toBe('OK');
    const nested = decodeBase64Result(['T0s=', 'UE9ORw==', 3, null, ['eA==']]) as unknown[];
    expect(text(nested[0])).toBe('OK');
    expect(text(nested[1])).toBe('PONG');
    expect(nested.slice(2, 4)).toEqual([3, null]);
    expect(text((nested[4] as unknown[])[0])).toBe('x');
  });
});

describe('error texts and statuses', () => {
  it('match what Upstash clients look for', () => {
    expect(errors.notAvailable('blpop')).toBe("ERR Command is not available: 'BLPOP'");
    expect(errors.notAllowedInRest('multi')).toBe(
      'ERR Command "MULTI" is not allowed in REST or it has a special context path',
    );
    expect(errors.noPermission('SET')).toMatch(/^NOPERM .*'set'/);
    expect(errors.maxRequestSize(10, 20)).toMatch(/^ERR max request size exceeded/);
    expect([statusOf.command, statusOf.unauthorized, statusOf['too-large'], statusOf.unavailable]).toEqual([
      400, 401, 413, 503,
    ]);
  });
});

describe('pub/sub events', () => {
  it('parse every event type, keeping commas in payloads and in known channel names', async () => {
    const { parsePubSubEvent, formatPubSubEvent } = await import('./index.js');
    expect(parsePubSubEvent('subscribe,chat,1')).toEqual({ type: 'subscribe', name: 'chat', count: 1 });
    expect(parsePubSubEvent('message,chat,hi, there')).toEqual({
      type: 'message',
      channel: 'chat',
      payload: 'hi, there',
    });
    expect(parsePubSubEvent('message,a,b,c', 'a,b')).toEqual({
      type: 'message',
      channel: 'a,b',
      payload: 'c',
    });
    expect(parsePubSubEvent('pmessage,ch*,chat,{"a":1}')).toEqual({
      type: 'pmessage',
      pattern: 'ch*',
      channel: 'chat',
      payload: '{"a":1}',
    });
    expect(parsePubSubEvent('punsubscribe,ch*,0')).toEqual({ type: 'punsubscribe', name: 'ch*', count: 0 });
    expect(parsePubSubEvent('hello')).toBeUndefined();
    expect(parsePubSubEvent('subscribe,chat,x')).toBeUndefined();
    const event = { type: 'pmessage', pattern: 'p*', channel: 'pq', payload: 'x,y' } as const;
    expect(parsePubSubEvent(formatPubSubEvent(event), 'p*')).toEqual(event);
  });

  it('read a payload with a line break from its JSON string literal, and leave every other payload raw', async () => {
    const { parsePubSubEvent, formatPubSubEvent } = await import('./index.js');
    // What @restash/server writes for "a<LF>b" and "x<CR><LF>y": the payload as a JSON string literal.
    expect(parsePubSubEvent('message,ch,"a\\nb"')).toMatchObject({ payload: 'a\nb' });
    expect(parsePubSubEvent('pmessage,c*,ch,"x\\r\\ny"')).toMatchObject({ channel: 'ch', payload: 'x\r\ny' });
    for (const raw of ['"quoted"', '"tab\\tonly"', '"unterminated', '"', '{"a":"b\\nc"}', 'a\\nb']) {
      expect(parsePubSubEvent(`message,ch,${raw}`)).toMatchObject({ payload: raw });
    }
    for (const payload of ['a\nb', 'x\r\ny', '{\n "pretty": true\n}', '"quoted"', 'plain, with comma']) {
      const line = formatPubSubEvent({ type: 'message', channel: 'ch', payload });
      expect(line).not.toMatch(/[\r\n]/);
      expect(parsePubSubEvent(line, 'ch')).toEqual({ type: 'message', channel: 'ch', payload });
    }
  });
});
