/**
 * The Vercel Edge entry (edge-runtime): Vercel exposes the environment as
 * `process.env`, so `Redis.fromEnv()` needs no argument.
 */
import { Redis } from '@restash/core';
import { steps } from '#steps';
import { createHandler } from '../conformance.js';

interface FetchEvent extends Event {
  request: Request;
  respondWith(response: Promise<Response>): void;
}

const handle = createHandler(steps, (options) => Redis.fromEnv(options));

addEventListener('fetch', (event) => {
  const fetchEvent = event as FetchEvent;
  fetchEvent.respondWith(handle(fetchEvent.request));
});
