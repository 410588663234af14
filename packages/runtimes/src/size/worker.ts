// A Cloudflare Worker reading one key.
import { Redis } from '@restash/core';

export default {
  async fetch(_request: Request, env: Record<string, string>): Promise<Response> {
    return Response.json(await Redis.fromEnv({ env }).get('greeting'));
  },
};
