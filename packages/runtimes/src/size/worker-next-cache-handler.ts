// A Worker reading one entry through @restash/next's 'use cache' handler.
import { Redis } from '@restash/core';
import { createUseCacheHandler } from '@restash/next/cache-handler';

export default {
  async fetch(_request: Request, env: Record<string, string>): Promise<Response> {
    const handler = createUseCacheHandler({ redis: Redis.fromEnv({ env }) });
    const entry = await handler.get('page:/', []);
    return new Response(entry?.value ?? null, { status: entry ? 200 : 404 });
  },
};
