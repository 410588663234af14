import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, createServer } from '../src/index.js';
import {
  post,
  startCluster,
  startSentinelGroup,
  startServer,
  type TestCluster,
  type TestSentinelGroup,
  TOKEN,
} from './helpers.js';

/** What a load run saw. */
interface LoadRun {
  acknowledged: Map<string, string>;
  failures: { at: number; status: number; error: string }[];
  statuses: Set<number>;
  /** The longest a request waited for its answer, in ms. */
  longestWait: number;
  /** Requests that waited more than SLOW_MS: the ones held through the failover. */
  held: number;
  killedAt: number;
}

/** A request slower than this waited for the failover (they take about a millisecond otherwise). */
const SLOW_MS = 500;

/**
 * Writes unique keys from `workers` concurrent callers through the server,
 * runs `kill` once writes are flowing, and stops once every request has been
 * quick and successful for `calmMs` after the last slow or failed one (and at
 * least 3 s after the kill; at most `maxMs`).
 */
async function writeThrough(
  base: string,
  kill: () => Promise<void>,
  { workers = 16, calmMs = 1500, maxMs = 20_000 } = {},
): Promise<LoadRun> {
  const run: LoadRun = {
    acknowledged: new Map(),
    failures: [],
    statuses: new Set(),
    longestWait: 0,
    held: 0,
    killedAt: 0,
  };
  let stop = false;
  let sent = 0;
  let lastTrouble = 0;
  const worker = async (w: number) => {
    for (let n = 0; !stop; n++) {
      const key = `load:${w}:${n}`;
      const value = `${w}-${n}-${Date.now()}`;
      const started = Date.now();
      const res = await post(base, '/', ['SET', key, value]);
      const ended = Date.now();
      sent++;
      run.statuses.add(res.status);
      run.longestWait = Math.max(run.longestWait, ended - started);
      if (ended - started > SLOW_MS) {
        run.held++;
        lastTrouble = ended;
      }
      if (res.status === 200) {
        run.acknowledged.set(key, value);
      } else {
        lastTrouble = ended;
        run.failures.push({
          at: ended,
          status: res.status,
          error: String((res.body as { error?: unknown }).error),
        });
      }
    }
  };
  const running = Array.from({ length: workers }, (_, w) => worker(w));
  while (sent < 500) await new Promise((resolve) => setTimeout(resolve, 10));
  run.killedAt = Date.now();
  await kill();
  while (Date.now() - run.killedAt < maxMs) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = Date.now();
    if (now - run.killedAt > 3000 && now - Math.max(lastTrouble, run.killedAt) >= calmMs) break;
  }
  stop = true;
  await Promise.all(running);
  return run;
}

/** Reads every acknowledged key back through the server, 500 per pipeline; returns the ones that differ. */
async function lostWrites(base: string, acknowledged: Map<string, string>): Promise<string[]> {
  const entries = [...acknowledged];
  const lost: string[] = [];
  for (let i = 0; i < entries.length; i += 500) {
    const chunk = entries.slice(i, i + 500);
    const res = await post(
      base,
      '/pipeline',
      chunk.map(([key]) => ['GET', key]),
    );
    expect(res.status).toBe(200);
    (res.body as { result?: unknown }[]).forEach((entry, n) => {
      if (entry.result !== chunk[n]![1]) lost.push(chunk[n]![0]);
    });
  }
  return lost;
}

/**
 * The checks every failover must pass. Requests that were in flight on the
 * dead master get a 503 saying they may or may not have run (at most one per
 * worker); every other request waits for the failover — bounded — and
 * succeeds; nothing acknowledged is lost.
 */
async function expectCleanFailover(
  base: string,
  run: LoadRun,
  workers: number,
  maxWaitMs: number,
): Promise<void> {
  expect(run.acknowledged.size).toBeGreaterThan(500);
  expect([...run.statuses].filter((status) => ![200, 503].includes(status))).toEqual([]);
  for (const failure of run.failures) expect(failure.error).toMatch(/^ERR .*may or may not have run/);
  expect(run.failures.length).toBeLessThanOrEqual(workers);
  // The failover happened under load: requests waited for it, none longer than the bound.
  expect(run.held).toBeGreaterThan(0);
  expect(run.longestWait).toBeLessThan(maxWaitMs);
  expect((await post(base, '/', ['SET', 'after-failover', 'ok'])).body).toEqual({ result: 'OK' });
  expect(await lostWrites(base, run.acknowledged)).toEqual([]);
}

describe('a Redis Cluster master killed under load', () => {
  let cluster: TestCluster | undefined;
  afterAll(async () => {
    await cluster?.close();
  }, 30_000);

  it('holds the dead master’s commands until a replica is promoted, then runs them; in-flight ones get a clear 503', async () => {
    cluster = await startCluster();
    const server = await startServer({ redisCluster: cluster.seeds });
    try {
      const victim = await cluster.masterOf('load:0:0');
      const run = await writeThrough(server.baseUrl, () => victim.kill());
      await cluster.waitHealthy();
      expect((await cluster.masters()).map((node) => node.port)).not.toContain(victim.port);
      // The wait is the cluster's failure detection (node timeout 1 s) and election, plus our refresh.
      await expectCleanFailover(server.baseUrl, run, 16, 8000);
      const health = await fetch(`${server.baseUrl}/-/ready`);
      expect(health.status).toBe(200);
    } finally {
      await server.close();
    }
  }, 90_000);
});

describe('a Redis Cluster resharded under load', () => {
  let cluster: TestCluster | undefined;
  afterAll(async () => {
    await cluster?.close();
  }, 30_000);

  it('answers every read and write while redis-cli moves 2000 slots and their keys (ASK, then MOVED)', async () => {
    cluster = await startCluster({ replicasPerMaster: 0 });
    const server = await startServer({ redisCluster: [cluster.seeds[0]!] });
    try {
      const base = server.baseUrl;
      const written = new Map<string, string>();
      const seed = Array.from({ length: 3000 }, (_, i) => [`seed:${i}`, `v${i}`] as const);
      for (let i = 0; i < seed.length; i += 500) {
        await post(
          base,
          '/pipeline',
          seed.slice(i, i + 500).map(([key, value]) => ['SET', key, value]),
        );
      }
      for (const [key, value] of seed) written.set(key, value);
      const [from, to] = await cluster.masters();
      const id = async (node: typeof from) => (await node!.cli('CLUSTER', 'MYID')).trim();
      const problems: string[] = [];
      let stop = false;
      let requests = 0;
      const worker = async (w: number) => {
        for (let n = 0; !stop; n++) {
          const key = `live:${w}:${n}`;
          const set = await post(base, '/', ['SET', key, key]);
          if (set.status === 200) written.set(key, key);
          else problems.push(`SET ${key}: ${set.status} ${set.text}`);
          const old = `seed:${(w * 7919 + n * 104_729) % seed.length}`;
          const get = await post(base, '/', ['GET', old]);
          if ((get.body as { result?: unknown }).result !== written.get(old)) {
            problems.push(`GET ${old}: ${get.status} ${get.text}`);
          }
          requests += 2;
        }
      };
      const keysBefore = Number(await to!.cli('DBSIZE'));
      const running = Array.from({ length: 8 }, (_, w) => worker(w));
      await promisify(execFile)(
        'redis-cli',
        [
          '--cluster',
          'reshard',
          `127.0.0.1:${from!.port}`,
          '--cluster-from',
          await id(from),
          '--cluster-to',
          await id(to),
          '--cluster-slots',
          '2000',
          '--cluster-yes',
        ],
        { timeout: 60_000 },
      );
      stop = true;
      await Promise.all(running);
      expect(requests).toBeGreaterThan(200);
      // About 2000/5461 of the first master's seed keys moved.
      expect(Number(await to!.cli('DBSIZE')) - keysBefore).toBeGreaterThan(200);
      expect(problems).toEqual([]);
      expect(await lostWrites(base, written)).toEqual([]);
    } finally {
      await server.close();
    }
  }, 120_000);
});

describe('Sentinel', () => {
  let group: TestSentinelGroup | undefined;
  afterAll(async () => {
    await group?.close();
  }, 30_000);

  it('finds the master through Sentinel and rides out a failover under load without a restart', async () => {
    group = await startSentinelGroup();
    const server = await startServer({
      sentinel: { sentinels: group.sentinelAddresses, master: group.masterName },
    });
    try {
      const base = server.baseUrl;
      expect((await post(base, '/', ['SET', 'through-sentinel', '1'])).body).toEqual({ result: 'OK' });
      expect(await group.master.cli('GET', 'through-sentinel')).toBe('1');
      const before = await group.currentMaster();
      const run = await writeThrough(base, () => group!.master.kill(), { maxMs: 30_000 });
      const after = await group.waitForNewMaster(before);
      expect(after).toBe(`127.0.0.1:${group.replica.port}`);
      // Sentinel's failure detection (down-after 1 s), election and promotion: a few seconds.
      await expectCleanFailover(base, run, 16, 9000);
      expect(await group.replica.cli('GET', 'after-failover')).toBe('ok');
    } finally {
      await server.close();
    }
  }, 120_000);

  it('uses the master URL’s password and database, and streams pub/sub from the master', async () => {
    const secured = await startSentinelGroup({ password: 'master-pass' });
    try {
      const server = await startServer({
        sentinel: {
          sentinels: secured.sentinelAddresses,
          master: `redis://:master-pass@${secured.masterName}/3`,
        },
      });
      try {
        const base = server.baseUrl;
        expect((await post(base, '/', ['SET', 'in-db-3', 'yes'])).body).toEqual({ result: 'OK' });
        expect(await secured.master.cli('-n', '3', 'GET', 'in-db-3')).toBe('yes');
        expect(await secured.master.cli('-n', '0', 'EXISTS', 'in-db-3')).toBe('0');
        const controller = new AbortController();
        const res = await fetch(`${base}/subscribe/news`, {
          headers: { authorization: `Bearer ${TOKEN}` },
          signal: controller.signal,
        });
        const reader = res.body!.getReader();
        let text = '';
        while (!text.includes('subscribe')) text += Buffer.from((await reader.read()).value!).toString();
        expect((await post(base, '/', ['PUBLISH', 'news', 'hi'])).body).toEqual({ result: 1 });
        while (!text.includes('message,news,hi'))
          text += Buffer.from((await reader.read()).value!).toString();
        controller.abort();
      } finally {
        await server.close();
      }
      // A master that wants a password the URL does not give: a configuration error at start-up.
      const wrong = createServer({
        token: TOKEN,
        sentinel: { sentinels: secured.sentinelAddresses, master: secured.masterName },
        port: 0,
        logger: createLogger('silent'),
      });
      try {
        await expect(wrong.listen()).rejects.toThrow(/Redis refused the credentials: .*(NOAUTH|AUTH)/);
      } finally {
        await wrong.close();
      }
    } finally {
      await secured.close();
    }
  }, 60_000);

  it('answers 503 with a clear error while no Sentinel knows the master, and does not crash', async () => {
    group ??= await startSentinelGroup();
    const server = await startServer({
      sentinel: { sentinels: group.sentinelAddresses, master: 'no-such-master' },
    });
    try {
      const res = await post(server.baseUrl, '/', ['PING']);
      expect(res.status).toBe(503);
      expect((res.body as { error: string }).error).toMatch(/no Sentinel named master "no-such-master"/);
    } finally {
      await server.close();
    }
  }, 60_000);
});
