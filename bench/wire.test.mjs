// Tests of bench/wire.mjs on captures built here byte by byte (node --test; run by scripts/test.sh).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wireLatencies } from './wire.mjs';

const SERVER = 8080;

/** One Ethernet + IPv4 + TCP packet record; `time` in µs (ns with `nano`). */
function packet(time, from, to, payload, nano = false) {
  const frame = Buffer.alloc(14 + 20 + 20 + payload);
  frame.writeUInt16BE(0x0800, 12);
  const ip = 14;
  frame[ip] = 0x45;
  frame.writeUInt16BE(20 + 20 + payload, ip + 2);
  frame[ip + 9] = 6;
  const tcp = ip + 20;
  frame.writeUInt16BE(from, tcp);
  frame.writeUInt16BE(to, tcp + 2);
  frame[tcp + 12] = 5 << 4;
  const head = Buffer.alloc(16);
  const unit = nano ? 1e9 : 1e6;
  head.writeUInt32LE(Math.floor(time / unit), 0);
  head.writeUInt32LE(time % unit, 4);
  head.writeUInt32LE(frame.length, 8);
  head.writeUInt32LE(frame.length, 12);
  return Buffer.concat([head, frame]);
}

function pcap(records, { nano = false, link = 1 } = {}) {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(nano ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(link, 20);
  return Buffer.concat([head, ...records]);
}

test('each answer is timed from the oldest request waiting on its connection', () => {
  const capture = pcap([
    packet(5_000_000, 40000, SERVER, 80), // connection A asks
    packet(5_000_100, 40001, SERVER, 80), // connection B asks
    packet(5_000_300, SERVER, 40001, 200), // B answered: 200 µs
    packet(5_000_350, 40000, SERVER, 0), // a bare ACK: not a request
    packet(5_000_500, SERVER, 40000, 200), // A answered: 500 µs
    packet(5_000_510, SERVER, 40000, 0), // a bare ACK from the server: not an answer
    packet(5_001_000, 40000, SERVER, 80), // A asks again
    packet(5_001_020, 40000, SERVER, 80), // and pipelines a second request
    packet(5_001_700, SERVER, 40000, 1000), // first answer: 700 µs
    packet(5_001_750, SERVER, 40000, 1000), // second answer: 730 µs
    packet(5_001_760, SERVER, 40000, 500), // the rest of the second answer: not timed again
    packet(5_001_800, 50000, 6379, 30), // another port altogether
  ]);
  assert.deepEqual(wireLatencies(capture, SERVER), {
    packets: 12,
    requests: 4,
    latencies: [200, 500, 700, 730],
  });
});

test('nanosecond captures and Linux cooked headers are read too', () => {
  const cooked = (record) => {
    // Swap the 14-byte Ethernet header for a 16-byte SLL one, keeping the record's lengths right.
    const frame = Buffer.concat([Buffer.alloc(16), record.subarray(16 + 14)]);
    const head = Buffer.from(record.subarray(0, 16));
    head.writeUInt32LE(frame.length, 8);
    head.writeUInt32LE(frame.length, 12);
    return Buffer.concat([head, frame]);
  };
  const nano = pcap(
    [packet(2_000_000_000, 40000, SERVER, 10, true), packet(2_000_250_000, SERVER, 40000, 10, true)],
    {
      nano: true,
    },
  );
  assert.deepEqual(wireLatencies(nano, SERVER).latencies, [250]);
  const sll = pcap(
    [cooked(packet(1_000_000, 40000, SERVER, 10)), cooked(packet(1_000_040, SERVER, 40000, 10))],
    {
      link: 113,
    },
  );
  assert.deepEqual(wireLatencies(sll, SERVER).latencies, [40]);
});

test('what is not a pcap it reads is refused with the reason', () => {
  assert.throws(() => wireLatencies(Buffer.alloc(10), SERVER), /too short/);
  assert.throws(() => wireLatencies(Buffer.alloc(24), SERVER), /not a little-endian pcap/);
  assert.throws(() => wireLatencies(pcap([], { link: 228 }), SERVER), /link type 228/);
});
