// main.ts — run with: deno serve --allow-net --allow-env main.ts
import { Redis } from 'npm:@restash/core';

const redis = Redis.fromEnv({ env: Deno.env.toObject() }); // RESTASH_URL and RESTASH_TOKEN

export default {
  async fetch(): Promise<Response> {
    const visits = await redis.incr('visits');
    return Response.json({ visits });
  },
};
