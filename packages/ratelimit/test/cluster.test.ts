/**
 * In front of a Redis Cluster, one script cannot touch keys of several slots:
 * batched checks of different identifiers are refused with CROSSSLOT, and the
 * limiter must fall back to one EVALSHA per check without losing any.
 */
import { Redis } from '@restash/core';
import { startCluster, startServer, type TestCluster, type TestServer, TOKEN } from '@restash/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ratelimit } from '../src/index.js';

let cluster: TestCluster;
let server: TestServer;

beforeAll(async () => {
  cluster = await startCluster({ replicasPerMaster: 0 });
  server = await startServer({ redisCluster: cluster.seeds });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await cluster?.close();
}, 30_000);

describe('on a Redis Cluster', () => {
  it.each([
    ['fixedWindow', () => Ratelimit.fixedWindow(5, '1 d')],
    ['tokenBucket', () => Ratelimit.tokenBucket(5, '1 d', 5)],
  ])(
    '%s answers concurrent checks of many identifiers correctly, one EVALSHA each',
    async (_name, algorithm) => {
      const redis = new Redis({ url: server.url, token: TOKEN });
      const ratelimit = new Ratelimit({
        timeout: 0,
        redis,
        limiter: algorithm(),
        prefix: `c${Math.random().toString(36).slice(2)}`,
      });
      const ids = Array.from({ length: 40 }, (_, i) => `user${i}`);
      const results = await Promise.all(
        ids.flatMap((id) => Array.from({ length: 7 }, () => ratelimit.limit(id))),
      );
      expect(results.filter((r) => r.reason !== undefined)).toEqual([]);
      expect(results.filter((r) => r.success)).toHaveLength(40 * 5);
      for (const id of ids.slice(0, 3)) expect((await ratelimit.getRemaining(id)).remaining).toBe(0);
    },
  );
});
