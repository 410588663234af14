import { Redis } from '@restash/core';

/** Environment variables, as `process.env` holds them. */
export type Env = Record<string, string | undefined>;

/**
 * A client for the cache handlers from `RESTASH_URL`/`RESTASH_TOKEN` (or
 * `UPSTASH_REDIS_REST_URL`/`UPSTASH_REDIS_REST_TOKEN`), or `undefined` when
 * neither is set — `next build` runs without a server, and a cache that stores
 * nothing is the right behaviour there.
 *
 * A cache must not hold a page up: one quick retry, and each call gives up
 * after `RESTASH_NEXT_TIMEOUT_MS` (default 2000 ms).
 */
export function cacheClientFromEnv(env: Env = process.env): Redis | undefined {
  if (!env.RESTASH_URL && !env.UPSTASH_REDIS_REST_URL) return undefined;
  const timeout = Number(env.RESTASH_NEXT_TIMEOUT_MS ?? 2000);
  return Redis.fromEnv({
    env,
    automaticDeserialization: false,
    retry: { retries: 1, backoff: () => 50 },
    timeout: Number.isFinite(timeout) && timeout > 0 ? timeout : 2000,
  });
}

const warned = new Set<string>();

/** Prints a warning once per text until {@link rearmWarnings}, so a server that is down does not flood the logs. */
export function warnOnce(text: string, error?: unknown): void {
  if (warned.has(text)) return;
  warned.add(text);
  const reason = error instanceof Error ? `: ${error.message}` : '';
  console.warn(`[restash/next] ${text}${reason}`);
}

/** Called once the server answers again, so the next outage is reported too. */
export function rearmWarnings(): void {
  if (warned.size > 0) warned.clear();
}
