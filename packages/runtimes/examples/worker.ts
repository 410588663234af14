// src/index.ts of a Worker; wrangler.toml: [vars] RESTASH_URL = "https://…", and `wrangler secret put RESTASH_TOKEN`.
import { Redis } from '@restash/core';

export interface Env {
  RESTASH_URL: string;
  RESTASH_TOKEN: string;
}

export default {
  async fetch(_request: Request, env: Env): Promise<Response> {
    const redis = Redis.fromEnv({ env }); // Workers pass variables and secrets as `env`, not process.env
    const visits = await redis.incr('visits');
    return Response.json({ visits });
  },
};
