import { Redis } from '@restash/core';
import { createActionKit } from '@restash/next';
import { Ratelimit } from '@restash/ratelimit';

/** How many messages one client may send per minute (shared by every instance). */
export const MESSAGES_PER_MINUTE = 3;

function create() {
  // The same prefix as the cache handlers, so the kit and Next's caches share one tags manifest.
  const prefix = process.env.RESTASH_NEXT_PREFIX ?? 'next:';
  const redis = Redis.fromEnv();
  return {
    redis,
    keys: {
      items: `${prefix}demo:items`,
      orders: `${prefix}demo:orders`,
      orderCount: `${prefix}demo:order-count`,
    },
    kit: createActionKit({ redis, prefix }),
    limiter: new Ratelimit({
      redis,
      limiter: Ratelimit.fixedWindow(MESSAGES_PER_MINUTE, '60 s'),
      prefix: `${prefix}demo:rl:message`,
    }),
  };
}

let demo: ReturnType<typeof create> | undefined;

/** The demo's client, keys, action kit and limiter; made on first use (the build has no server). */
export function restash() {
  demo ??= create();
  return demo;
}
