/**
 * The Deno entry: `Deno.env.toObject()` handed to `Redis.fromEnv({ env })`, the
 * steps served with `Deno.serve` on a free port (printed as `listening <port>`).
 */
import { Redis } from '@restash/core';
import { steps } from '#steps';
import { createHandler } from '../conformance.js';

declare const Deno: {
  env: { toObject(): Record<string, string> };
  serve(
    options: { port: number; hostname: string; onListen(address: { port: number }): void },
    handler: (request: Request) => Promise<Response>,
  ): unknown;
};

Deno.serve(
  { port: 0, hostname: '127.0.0.1', onListen: ({ port }) => console.log(`listening ${port}`) },
  createHandler(steps, (options) => Redis.fromEnv({ ...options, env: Deno.env.toObject() })),
);
