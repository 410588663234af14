import { describe, expect, it } from 'vitest';
import { seeded } from '../../test/helpers.js';
import { CommandWriter, encodeResp, type Reply, ReplyError, ReplyParser, ReplyTooLarge } from './resp.js';

function parseAll(chunks: (string | Buffer)[]): Reply[] {
  const replies: Reply[] = [];
  const parser = new ReplyParser((reply) => replies.push(reply));
  for (const chunk of chunks) parser.feed(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
  return replies;
}

const SAMPLE =
  '+OK\r\n-ERR bad\r\n:42\r\n:-7\r\n:9223372036854775807\r\n$3\r\nfoo\r\n$-1\r\n*-1\r\n*0\r\n*2\r\n*2\r\n:1\r\n$0\r\n\r\n$1\r\nx\r\n';

function expectSample(replies: Reply[]) {
  expect(replies).toHaveLength(9);
  expect(replies[0]).toBe('OK');
  expect(replies[1]).toEqual(new ReplyError('ERR bad'));
  expect(replies[2]).toBe(42);
  expect(replies[3]).toBe(-7);
  expect(replies[4]).toBe(9223372036854775807n);
  expect(Buffer.from(replies[5] as Uint8Array).toString()).toBe('foo');
  expect(replies[6]).toBeNull();
  expect(replies[7]).toBeNull();
  expect(replies[8]).toEqual([]);
}

describe('ReplyParser', () => {
  it('parses every RESP2 type from one chunk', () => {
    const replies = parseAll([SAMPLE]);
    expectSample(replies.slice(0, 9));
    const nested = replies[9] as Reply[];
    expect(nested[0]).toEqual([1, Buffer.alloc(0)]);
    expect(Buffer.from(nested[1] as Uint8Array).toString()).toBe('x');
  });

  it('gives the same replies however the bytes are split', () => {
    for (let size = 1; size <= 7; size++) {
      const chunks: string[] = [];
      for (let i = 0; i < SAMPLE.length; i += size) chunks.push(SAMPLE.slice(i, i + size));
      const replies = parseAll(chunks);
      expectSample(replies.slice(0, 9));
      expect(replies).toHaveLength(10);
    }
  });

  it('assembles a large bulk string that arrives in many chunks', () => {
    const value = Buffer.alloc(1_000_000, 7);
    const wire = Buffer.concat([Buffer.from(`$${value.length}\r\n`), value, Buffer.from('\r\n:1\r\n')]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < wire.length; i += 65536) chunks.push(wire.subarray(i, i + 65536));
    const replies = parseAll(chunks);
    expect(replies).toHaveLength(2);
    expect(Buffer.from(replies[0] as Uint8Array).equals(value)).toBe(true);
    expect(replies[1]).toBe(1);
  });

  it('gives the same replies at every split point of nested arrays with CR-filled bulk strings', () => {
    const bulk = Buffer.alloc(3000, 13);
    const wire = Buffer.from(
      `+OK\r\n*3\r\n*4\r\n$4\r\na\r\nb\r\n$-1\r\n*0\r\n:931322574615478515625\r\n$3000\r\n${bulk.toString('latin1')}\r\n:-12\r\n$-1\r\n$0\r\n\r\n`,
      'latin1',
    );
    const reencode = (replies: Reply[]) => {
      const out: (string | Uint8Array)[] = [];
      for (const reply of replies) encodeResp(reply, out);
      return Buffer.concat(out.map((c) => (typeof c === 'string' ? Buffer.from(c, 'latin1') : c)));
    };
    const failures: number[] = [];
    for (let i = 0; i <= wire.length; i++) {
      const replies = parseAll([wire.subarray(0, i), wire.subarray(i, i + 5), wire.subarray(i + 5)]);
      if (replies.length !== 4 || !reencode(replies).equals(wire)) failures.push(i);
    }
    expect(failures).toEqual([]);
  });

  it('keeps binary bytes exact', () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const replies = parseAll([Buffer.concat([Buffer.from('$256\r\n'), bytes, Buffer.from('\r\n')])]);
    expect(Buffer.from(replies[0] as Uint8Array).equals(bytes)).toBe(true);
  });

  it('drops a bulk string over the limit as it arrives and goes on with the next reply, however it is split', () => {
    const big = Buffer.alloc(300_000, 120);
    const wire = Buffer.concat([
      Buffer.from('*2\r\n$3\r\nabc\r\n'),
      Buffer.from(`$${big.length}\r\n`),
      big,
      Buffer.from('\r\n$5\r\nsmall\r\n:7\r\n'),
    ]);
    for (const size of [1, 7, 1000, 65536, wire.length]) {
      const replies: Reply[] = [];
      const parser = new ReplyParser(
        (reply) => replies.push(reply),
        () => 1024,
      );
      for (let i = 0; i < wire.length; i += size) parser.feed(wire.subarray(i, i + size));
      expect(replies).toHaveLength(3);
      const [first, second, third] = replies as [Reply[], Reply, Reply];
      expect(Buffer.from(first[0] as Uint8Array).toString()).toBe('abc');
      expect(first[1]).toBeInstanceOf(ReplyTooLarge);
      expect((first[1] as ReplyTooLarge).length).toBe(300_000);
      expect(Buffer.from(second as Uint8Array).toString()).toBe('small');
      expect(third).toBe(7);
    }
  });

  it('throws on a byte that starts no RESP2 type', () => {
    expect(() => parseAll(['%1\r\n'])).toThrow(/protocol error/);
  });
});

describe('CommandWriter', () => {
  it('encodes text and binary arguments with byte lengths', () => {
    const writer = new CommandWriter();
    writer.write(['SET', 'k\u00e9', Buffer.from([0, 255])]);
    writer.write(['GET', 'k']);
    const wire = Buffer.concat(writer.take().map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
    expect(
      wire.equals(
        Buffer.concat([
          Buffer.from('*3\r\n$3\r\nSET\r\n$3\r\nk\u00e9\r\n$2\r\n'),
          Buffer.from([0, 255]),
          Buffer.from('\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n'),
        ]),
      ),
    ).toBe(true);
    expect(writer.take()).toEqual([]);
  });

  /** RESP of one command, the plain way. */
  function reference(args: (string | Uint8Array)[]): Buffer {
    const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
    for (const arg of args) {
      const bytes = typeof arg === 'string' ? Buffer.from(arg, 'utf8') : Buffer.from(arg);
      parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
    }
    return Buffer.concat(parts);
  }

  it('encodes every kind of argument like the plain encoding, across slabs, and never rewrites bytes it gave out', () => {
    const { next: random } = seeded(7);
    const text = (n: number, alphabet: string) =>
      Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    const pick = (): string | Uint8Array => {
      const kind = Math.floor(random() * 8);
      if (kind === 0) return text(Math.floor(random() * 33), 'abcXYZ019:_');
      if (kind === 1) return text(Math.floor(random() * 33), 'aé€😀\u0000\ud800'); // non-ASCII, a lone surrogate
      if (kind === 2) return text(33 + Math.floor(random() * 3000), 'ab€');
      if (kind === 3) return text(40_000 + Math.floor(random() * 1000), 'xé'); // over half a slab
      if (kind === 4) return Buffer.from(text(Math.floor(random() * 1025), 'q\u00ff'), 'latin1');
      if (kind === 5) return Buffer.alloc(1025 + Math.floor(random() * 70_000), 7); // a chunk of its own
      if (kind === 6) return String(Math.floor(random() * 1e15));
      return '';
    };
    const writer = new CommandWriter();
    const given: { chunk: Uint8Array; copy: Buffer }[] = [];
    for (let batch = 0; batch < 60; batch++) {
      const expected: Buffer[] = [];
      const commands = 1 + Math.floor(random() * 40);
      for (let c = 0; c < commands; c++) {
        const args = Array.from({ length: 1 + Math.floor(random() * 5) }, pick);
        writer.write(args);
        expected.push(reference(args));
      }
      const want = Buffer.concat(expected);
      expect(writer.size).toBe(want.length);
      const chunks = writer.take();
      expect(Buffer.concat(chunks).equals(want)).toBe(true);
      for (const chunk of chunks) given.push({ chunk, copy: Buffer.from(chunk) });
    }
    // A socket may still hold what take() returned while later batches are written.
    for (const { chunk, copy } of given) expect(Buffer.from(chunk).equals(copy)).toBe(true);
    expect(writer.size).toBe(0);
  });
});

describe('encodeResp', () => {
  it('re-encodes parsed replies to the same bytes', () => {
    const replies = parseAll([SAMPLE]);
    const out: (string | Uint8Array)[] = [];
    for (const reply of replies) encodeResp(reply, out);
    const wire = Buffer.concat(out.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))).toString(
      'latin1',
    );
    // RESP2 has one nil; *-1 comes back as $-1.
    expect(wire).toBe(SAMPLE.replace('*-1\r\n', '$-1\r\n'));
  });
});
