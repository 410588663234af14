/**
 * The Bun entry: `Redis.fromEnv()` reads `process.env`; the steps are served
 * with `Bun.serve` on a free port (printed as `listening <port>`).
 */
import { Redis } from '@restash/core';
import { steps } from '#steps';
import { createHandler } from '../conformance.js';

declare const Bun: {
  serve(options: {
    port: number;
    hostname: string;
    idleTimeout: number;
    fetch(request: Request): Promise<Response>;
  }): { port: number };
};

const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  idleTimeout: 60,
  fetch: createHandler(steps, (options) => Redis.fromEnv(options)),
});
console.log(`listening ${server.port}`);
