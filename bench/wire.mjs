// Latency at the wire: reads a pcap of one target's HTTP traffic on the loopback
// (taken by run.sh with WIRE=1) and times each request from its first packet to
// the server's first packet back on the same connection. The kernel stamps a
// loopback packet as the sender writes it, so this is the time from wrk's write
// of a request to the server's write of its answer — the server and Redis
// behind it — without the time wrk took to read the answer or to send the next.
//
//   node bench/wire.mjs capture.pcap 8080   → one JSON line: packets, requests, answered, percentiles in µs
//
// No dependencies: node's standard library only.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Bytes before the IP header, by pcap link type (what `tcpdump -i lo` may write). */
const LINK_HEADER = new Map([
  [0, 4], // BSD loopback
  [1, 14], // Ethernet: Linux's lo
  [12, 0], // raw IP
  [101, 0], // raw IP
  [113, 16], // Linux cooked (any)
  [276, 20], // Linux cooked v2
]);

/**
 * The request-to-answer times in a capture, in µs, in capture order.
 * Only packets with a payload count; HTTP requests on a connection are answered in order, so each
 * packet from the server answers the oldest request of its connection still waiting, and a packet
 * from the server with none waiting is the rest of an answer already timed.
 * @param {Buffer} pcap the whole file
 * @param {number} port the server's port
 * @returns {{ packets: number, requests: number, latencies: number[] }}
 */
export function wireLatencies(pcap, port) {
  if (pcap.length < 24) throw new Error('not a pcap file (too short)');
  const magic = pcap.readUInt32LE(0);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error('not a little-endian pcap file');
  const nano = magic === 0xa1b23c4d;
  const link = pcap.readUInt32LE(20);
  const skip = LINK_HEADER.get(link);
  if (skip === undefined) throw new Error(`pcap link type ${link} is not read here`);
  const waiting = new Map();
  const latencies = [];
  let packets = 0;
  let requests = 0;
  for (let at = 24; at + 16 <= pcap.length; ) {
    const time = pcap.readUInt32LE(at) * 1e6 + pcap.readUInt32LE(at + 4) / (nano ? 1000 : 1);
    const captured = pcap.readUInt32LE(at + 8);
    const ip = at + 16 + skip;
    at += 16 + captured;
    packets++;
    if (ip + 20 > at || pcap[ip] >> 4 !== 4 || pcap[ip + 9] !== 6) continue;
    const ipLength = (pcap[ip] & 15) * 4;
    const tcp = ip + ipLength;
    if (tcp + 14 > at) continue;
    const payload = pcap.readUInt16BE(ip + 2) - ipLength - (pcap[tcp + 12] >> 4) * 4;
    if (payload <= 0) continue;
    const from = pcap.readUInt16BE(tcp);
    const to = pcap.readUInt16BE(tcp + 2);
    if (to === port) {
      requests++;
      const queue = waiting.get(from);
      if (queue === undefined) waiting.set(from, [time]);
      else queue.push(time);
    } else if (from === port) {
      const queue = waiting.get(to);
      if (queue !== undefined && queue.length > 0) latencies.push(time - queue.shift());
    }
  }
  return { packets, requests, latencies };
}

/** The p-th percentile (nearest rank) of sorted values. */
function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, port] = process.argv.slice(2);
  if (!file || !port) {
    console.error('usage: node bench/wire.mjs capture.pcap port');
    process.exit(2);
  }
  const { packets, requests, latencies } = wireLatencies(readFileSync(file), Number(port));
  const sorted = latencies.sort((a, b) => a - b);
  const us = (p) => (sorted.length ? Math.round(percentile(sorted, p)) : null);
  console.log(
    JSON.stringify({
      packets,
      requests,
      answered: sorted.length,
      p50_us: us(50),
      p90_us: us(90),
      p99_us: us(99),
      p999_us: us(99.9),
    }),
  );
}
