/**
 * The Cloudflare Workers entry (workerd, through miniflare): the Worker `env`
 * carries RESTASH_URL and RESTASH_TOKEN, handed to `Redis.fromEnv({ env })`.
 */
import { Redis } from '@restash/core';
import { steps } from '#steps';
import { createHandler } from '../conformance.js';

export default {
  fetch(request: Request, env: Record<string, string>): Promise<Response> {
    return createHandler(steps, (options) => Redis.fromEnv({ ...options, env }))(request);
  },
};
