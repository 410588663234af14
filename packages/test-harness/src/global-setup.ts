import type { TestProject } from 'vitest/node';
import { startStack } from './stack.js';

/**
 * A vitest `globalSetup`: one Redis and one server for the whole run, their URL
 * and tokens handed to every test file through `inject('restash')` (read them
 * with `sharedStack()` / `sharedClient()`). Test files share the Redis, so each
 * one keeps to its own key prefix (`keys()`).
 *
 * @example
 * ```ts
 * // vitest.config.ts
 * export default restashVitest({ globalSetup: ['@restash/test-harness/global-setup'] });
 * ```
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = await startStack();
  project.provide('restash', {
    url: stack.url,
    token: stack.token,
    readOnlyToken: stack.readOnlyToken,
    redisUrl: stack.redis.url,
  });
  return () => stack.stop();
}
