/** Options of {@link clientIp}. */
export interface ClientIpOptions {
  /**
   * How many proxies, counted from the app, append to `X-Forwarded-For` and
   * are trusted: the client is the entry that many places from the right.
   * `next start` appends the address it was reached from, so 1 means "Next is
   * the edge"; 2 means one reverse proxy (nginx, a load balancer) in front of it.
   * Entries further left are written by the client and never trusted.
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
 * only the entry written by the outermost trusted proxy counts. `'unknown'`
 * when there is no such entry.
 *
 * @example
 * ```ts
 * import { headers } from 'next/headers';
 * const ip = clientIp(await headers(), { trustedProxies: 2 }); // nginx in front of next start
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
