// A Cloudflare Worker rate-limiting by IP with @restash/ratelimit.
import { Redis } from '@restash/core';
import { Ratelimit } from '@restash/ratelimit';

export default {
  async fetch(request: Request, env: Record<string, string>): Promise<Response> {
    const ratelimit = new Ratelimit({
      redis: Redis.fromEnv({ env }),
      limiter: Ratelimit.slidingWindow(10, '10 s'),
    });
    const { success } = await ratelimit.limit(request.headers.get('cf-connecting-ip') ?? 'anonymous');
    return new Response(success ? 'ok' : 'slow down', { status: success ? 200 : 429 });
  },
};
