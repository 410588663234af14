/**
 * The browser entry, loaded by a page from another origin than the server's:
 * a page has no environment, so it hands its own config to
 * `Redis.fromEnv({ env })`. The test drives it through `window.restash.run`.
 */
import { Redis } from '@restash/core';
import { steps } from '#steps';
import { runStep, type StepResult } from '../conformance.js';

declare global {
  interface Window {
    restash: { run(name: string, prefix: string, env: Record<string, string>): Promise<StepResult> };
  }
}

window.restash = {
  run: (name, prefix, env) =>
    runStep(steps, name, { redis: (options) => Redis.fromEnv({ ...options, env }), prefix }),
};
document.title = 'ready';
