import { createLogger } from '../log.js';
import { createServer, type RestashServer, type ServerOptions } from '../server.js';

/**
 * Our server, listening on loopback on a free port (port 0) and logging
 * nothing unless `options` says otherwise. Give it the tokens and the Redis to
 * front (`redisUrl`) in `options`.
 *
 * @example
 * ```ts
 * const redis = await startRedis();
 * const server = await startTestServer({ token: 'a-long-test-token', redisUrl: redis.url });
 * await fetch(`${server.baseUrl}/ping`, { headers: { authorization: 'Bearer a-long-test-token' } });
 * await server.close();
 * ```
 */
export async function startTestServer(
  options: Partial<ServerOptions> & { redisUrl?: string },
): Promise<RestashServer & { baseUrl: string }> {
  const server = createServer({ port: 0, logger: createLogger('silent'), ...options });
  const baseUrl = await server.listen();
  return Object.assign(server, { baseUrl });
}

/**
 * A random key prefix such as `{t1k3j9x0a}:`, so that tests never see each
 * other's keys. It is a hash tag, so on a cluster every key made from one
 * prefix lands in one slot.
 */
export function prefix(): string {
  return `{t${Math.random().toString(36).slice(2, 10)}}:`;
}
