import type { Arg } from '../../resp/resp.js';

/** Slots in a Redis Cluster. */
export const SLOTS = 16384;

/** CRC-16/XMODEM (polynomial 0x1021, initial 0), the checksum Redis Cluster hashes keys with. */
const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }

/**
 * The cluster slot of a key: CRC16 of the key, or of its hash tag — the text
 * between the first `{` and the next `}` when that is not empty — modulo 16384.
 */
export function hashSlot(key: Arg): number {
  const bytes = typeof key === 'string' ? asciiOrUtf8(key) : key;
  let start = 0;
  let end = bytes.length;
  const open = indexOf(bytes, OPEN, 0);
  if (open !== -1) {
    const close = indexOf(bytes, CLOSE, open + 1);
    if (close > open + 1) {
      start = open + 1;
      end = close;
    }
  }
  let crc = 0;
  if (typeof bytes === 'string') {
    for (let i = start; i < end; i++)
      crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ bytes.charCodeAt(i)) & 0xff]!;
  } else {
    for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ bytes[i]!) & 0xff]!;
  }
  return crc & (SLOTS - 1);
}

/** The key itself when it is ASCII (one char per byte), else its UTF-8 bytes. */
function asciiOrUtf8(key: string): string | Uint8Array {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) > 0x7f) return Buffer.from(key, 'utf8');
  return key;
}

function indexOf(bytes: string | Uint8Array, code: number, from: number): number {
  if (typeof bytes !== 'string') return bytes.indexOf(code, from);
  for (let i = from; i < bytes.length; i++) if (bytes.charCodeAt(i) === code) return i;
  return -1;
}
