/**
 * The key of a client address: an IPv4 address as it is, an IPv6 address
 * reduced to its `/subnet` network (one IPv6 user usually holds a whole /56 or
 * /64, so limiting single addresses would let them rotate freely), an
 * IPv4-mapped IPv6 address as its IPv4 address.
 *
 * @example
 * ipKey('203.0.113.7'); // '203.0.113.7'
 * ipKey('2001:db8:abcd:12ff:1:2:3:4'); // '2001:db8:abcd:1200::/56'
 * ipKey('::ffff:203.0.113.7'); // '203.0.113.7'
 */
export function ipKey(ip: string, subnet: number | false = 56): string {
  const zone = ip.indexOf('%');
  const address = zone === -1 ? ip : ip.slice(0, zone);
  if (!address.includes(':')) return address;
  const groups = parseIPv6(address);
  if (groups === undefined) return address;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `${groups[6]! >> 8}.${groups[6]! & 0xff}.${groups[7]! >> 8}.${groups[7]! & 0xff}`;
  }
  if (subnet === false || subnet >= 128) return formatIPv6(groups);
  const masked = groups.map((group, i) => {
    const bits = Math.min(16, Math.max(0, subnet - i * 16));
    return bits === 0 ? 0 : group & ((0xffff << (16 - bits)) & 0xffff);
  });
  return `${formatIPv6(masked)}/${subnet}`;
}

/** Eight 16-bit groups, or undefined when `text` is not an IPv6 address. */
function parseIPv6(text: string): number[] | undefined {
  let tail = text;
  const extra: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const v4 = text
      .slice(lastColon + 1)
      .split('.')
      .map(Number);
    if (v4.length !== 4 || v4.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return undefined;
    extra.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    tail = `${text.slice(0, lastColon + 1)}0`;
    // `…:1.2.3.4` became `…:0`: one placeholder group that the two above replace.
  }
  const halves = tail.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const rest = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : [];
  const parse = (part: string) => (/^[0-9a-f]{1,4}$/i.test(part) ? Number.parseInt(part, 16) : Number.NaN);
  const left = head.map(parse);
  const right = rest.map(parse);
  if (extra.length > 0) {
    (right.length > 0 ? right : left).pop();
    (right.length > 0 || halves.length === 2 ? right : left).push(...extra);
  }
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...left, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...right];
  return groups.some(Number.isNaN) ? undefined : groups;
}

function formatIPv6(groups: number[]): string {
  // Compress the longest run of zero groups (two or more) into '::'.
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best === -1) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLength).join(':')}`;
}
