// A Cloudflare Worker caching through Keyv with @restash/keyv.
import { Redis } from '@restash/core';
import { createKeyv } from '@restash/keyv';

export default {
  async fetch(_request: Request, env: Record<string, string>): Promise<Response> {
    const keyv = createKeyv(Redis.fromEnv({ env }), { namespace: 'app' });
    return Response.json(await keyv.get('greeting'));
  },
};
