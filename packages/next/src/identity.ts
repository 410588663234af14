/** Options of {@link clientIp}. */
export interface ClientIpOptions {
  /**
   * How many reverse proxies in front of `next start` append to
   * `X-Forwarded-For` (nginx with `proxy_add_x_forwarded_for`, a load
   * balancer): the client is the entry that many places from the right, and
   * entries further left, written by the client, are never trusted.
   *
   * Without a proxy, Next fills `X-Forwarded-For` with the socket address only
   * when the request has none, so a client can pick its own address: put a
   * proxy in front, use `ipHeader`, or identify users instead.
   * @default 1
   */
  trustedProxies?: number;
  /**
   * A header your edge sets to the client's address and strips from requests
   * (`cf-connecting-ip`, `x-real-ip`, `fly-client-ip`); when present it is used
   * as is, before `X-Forwarded-For`.
   * @default undefined
   */
  ipHeader?: string;
}

/**
 * The client's IP address from the request headers of a server action, under a
 * trusted-proxy rule: a client can prepend anything to `X-Forwarded-For`, so
 * only the entry written by the outermost trusted proxy counts (see
 * {@link ClientIpOptions.trustedProxies}). `'unknown'` when there is no entry.
 *
 * @example
 * ```ts
 * import { headers } from 'next/headers';
 * const ip = clientIp(await headers(), { trustedProxies: 2 }); // a CDN, then nginx, in front of next start
 * ```
 */
export function clientIp(headers: Pick<Headers, 'get'>, options: ClientIpOptions = {}): string {
  if (options.ipHeader) {
    const direct = headers.get(options.ipHeader)?.trim();
    if (direct) return direct;
  }
  const hops = Math.max(1, Math.floor(options.trustedProxies ?? 1));
  const chain = (headers.get('x-forwarded-for') ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (chain.length === 0) return 'unknown';
  // Fewer entries than trusted proxies: the request skipped a proxy, so the leftmost is the best we have.
  return chain[Math.max(0, chain.length - hops)]!;
}
