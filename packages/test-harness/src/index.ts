/**
 * The workspace's test harness. Every package and app builds its integration
 * tests on this instead of its own start-up code:
 *
 * - `startRedis`, `startCluster`, `startSentinelGroup` — real `redis-server`
 *   processes on free ports (from `@restash/server/testing`);
 * - `startServer` — our server in this process on port 0 in front of a Redis;
 * - `startStack` — both, plus a ready `@restash/core` client;
 * - `useStack` — `startStack` bound to a test file's `beforeAll`/`afterAll`;
 * - `keys` — a random key prefix whose keys are deleted at clean-up;
 * - `./global-setup` — one stack for a whole test run, handed to tests by
 *   vitest's `inject` (see `sharedStack`).
 *
 * @example
 * ```ts
 * import { useStack } from '@restash/test-harness';
 * const stack = useStack();
 * it('works', async () => expect(await stack.client().ping()).toBe('PONG'));
 * ```
 */

export {
  type ClusterOptions,
  freePort,
  prefix,
  SENTINEL_MASTER_NAME,
  type SentinelGroupOptions,
  startCluster,
  startRedis,
  startSentinelGroup,
  type TestCluster,
  type TestNode,
  type TestRedis,
  type TestSentinelGroup,
  tempDir,
  until,
} from '@restash/server/testing';
export { keys, type TestKeys } from './keys.js';
export { type SharedStack, sharedClient, sharedStack } from './shared.js';
export {
  READ_ONLY_TOKEN,
  type Stack,
  type StackOptions,
  startServer,
  startStack,
  type TestServer,
  type TestServerOptions,
  TOKEN,
  useStack,
} from './stack.js';
