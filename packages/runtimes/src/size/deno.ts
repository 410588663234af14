// A Deno server reading one key.
import { Redis } from '@restash/core';

declare const Deno: {
  env: { toObject(): Record<string, string> };
  serve(handler: () => Promise<Response>): unknown;
};

const redis = Redis.fromEnv({ env: Deno.env.toObject() });
Deno.serve(async () => Response.json(await redis.get('greeting')));
