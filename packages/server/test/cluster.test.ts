import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSlot } from '../src/backend/cluster/slots.js';
import {
  call,
  post,
  prefix,
  READ_ONLY_TOKEN,
  resultOf,
  spreadKeys,
  startCluster,
  startServer,
  type TestCluster,
  TOKEN,
  until,
} from './helpers.js';
import { restApiSuite } from './rest-api.suite.js';

/** One 3-master, 3-replica cluster for this file; the server in front of it per block. */
let clusterStarting: Promise<TestCluster> | undefined;
const cluster = (): Promise<TestCluster> => {
  clusterStarting ??= startCluster();
  return clusterStarting;
};

afterAll(async () => {
  await (await clusterStarting)?.close();
}, 30_000);

describe('the REST conformance suite, on a Redis Cluster', () => {
  restApiSuite(async () => {
    const nodes = await cluster();
    const server = await startServer({ redisCluster: nodes.seeds, maxRequestSize: 64 * 1024 });
    return {
      server,
      cli: (...args) => nodes.nodes[0]!.cli('-c', ...args),
      close: () => server.close(),
    };
  });
});

describe('Redis Cluster', () => {
  let nodes: TestCluster;
  let server: Awaited<ReturnType<typeof startServer>>;
  let base: string;

  beforeAll(async () => {
    nodes = await cluster();
    // Only one seed: the rest of the topology is learned from it.
    server = await startServer({ redisCluster: [nodes.seeds[1]!], readFromReplicas: true });
    base = server.baseUrl;
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  it('hashes keys to the slots Redis computes, hash tags included', async () => {
    const keys = [
      'foo',
      '{user1000}.following',
      '{user1000}.followers',
      'a{}b',
      '{}x',
      'x{y}z{w}',
      'héllo wörld',
      '123456789',
      ...spreadKeys(20),
    ];
    const node = nodes.nodes[0]!;
    for (const key of keys) {
      expect(hashSlot(key), key).toBe(Number(await node.cli('CLUSTER', 'KEYSLOT', key)));
      expect(hashSlot(Buffer.from(key)), key).toBe(hashSlot(key));
    }
  });

  it('routes single commands to the master of their slot, on every master', async () => {
    const keys = spreadKeys(30);
    const masters = new Set<number>();
    for (const key of keys) {
      expect((await post(base, '/', ['SET', key, `v-${key}`])).body).toEqual({ result: 'OK' });
      masters.add((await nodes.masterOf(key)).port);
      expect(await (await nodes.masterOf(key)).cli('GET', key)).toBe(`v-${key}`);
    }
    expect(masters.size).toBe(3);
    for (const key of keys) {
      expect((await call(base, `/get/${encodeURIComponent(key)}`)).body).toEqual({ result: `v-${key}` });
    }
  });

  it('splits a pipeline across nodes and answers in the original order, errors as entries', async () => {
    const keys = spreadKeys(200);
    const commands: string[][] = [];
    for (const key of keys) {
      commands.push(['SET', key, key], ['INCR', key], ['GET', key]);
    }
    commands.push(['NOTACOMMAND']);
    const res = await post(base, '/pipeline', commands);
    expect(res.status).toBe(200);
    const entries = res.body as { result?: unknown; error?: string }[];
    expect(entries).toHaveLength(commands.length);
    keys.forEach((key, i) => {
      expect(entries[i * 3]).toEqual({ result: 'OK' });
      expect(entries[i * 3 + 1]).toEqual({ error: 'ERR value is not an integer or out of range' });
      expect(entries[i * 3 + 2]).toEqual({ result: key });
    });
    expect(entries[entries.length - 1]!.error).toMatch(/unknown command/);
  });

  it('runs a transaction whose keys share a slot, on its master', async () => {
    const k = prefix();
    const res = await post(base, '/multi-exec', [
      ['SET', `${k}a`, '1'],
      ['INCR', `${k}a`],
      ['LPUSH', `${k}b`, 'x'],
      ['GET', `${k}a`],
    ]);
    expect(res.body).toEqual([{ result: 'OK' }, { result: 2 }, { result: 1 }, { result: '2' }]);
  });

  it('refuses a transaction over several slots with CROSSSLOT, running nothing', async () => {
    const [a, b] = spreadKeys(50).filter(
      (key, _, all) => hashSlot(key) !== hashSlot(all[0]!) || key === all[0],
    );
    const res = await post(base, '/multi-exec', [
      ['SET', a!, '1'],
      ['SET', b!, '1'],
    ]);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: "CROSSSLOT Keys in request don't hash to the same slot" });
    expect((await post(base, '/', ['EXISTS', a!, b!])).body).toEqual({ result: 0 });
    // A command that runs on every master has no one slot either.
    const keyspace = await post(base, '/multi-exec', [['DBSIZE']]);
    expect(keyspace.status).toBe(400);
    expect((keyspace.body as { error: string }).error).toMatch(/DBSIZE runs on every master/);
  });

  it('splits MGET, MSET, DEL, EXISTS, TOUCH and UNLINK over slots and merges the replies', async () => {
    const keys = spreadKeys(12);
    const pairs = keys.flatMap((key) => [key, `v-${key}`]);
    expect((await post(base, '/', ['MSET', ...pairs])).body).toEqual({ result: 'OK' });
    const missing = `${keys[0]}-missing`;
    expect((await post(base, '/', ['MGET', keys[3]!, missing, ...keys])).body).toEqual({
      result: [`v-${keys[3]}`, null, ...keys.map((key) => `v-${key}`)],
    });
    expect((await post(base, '/', ['EXISTS', ...keys, keys[0]!, missing])).body).toEqual({ result: 13 });
    expect((await post(base, '/', ['TOUCH', ...keys])).body).toEqual({ result: 12 });
    expect((await post(base, '/', ['DEL', ...keys.slice(0, 6), missing])).body).toEqual({ result: 6 });
    expect((await post(base, '/', ['UNLINK', ...keys])).body).toEqual({ result: 6 });
    expect((await post(base, '/', ['MGET', ...keys])).body).toEqual({ result: keys.map(() => null) });
    // Commands not split answer what Redis answers: CROSSSLOT.
    const union = await post(base, '/', ['SUNION', keys[0]!, keys[1]!, keys[2]!, keys[3]!]);
    expect(union.body).toEqual({ error: "CROSSSLOT Keys in request don't hash to the same slot" });
  });

  describe('whole-keyspace commands', () => {
    let isolated: Awaited<ReturnType<typeof startServer>>;
    let url: string;
    beforeAll(async () => {
      isolated = await startServer({ redisCluster: nodes.seeds });
      url = isolated.baseUrl;
    });
    afterAll(async () => {
      await isolated?.close();
    });

    it('DBSIZE sums the masters, KEYS merges them, FLUSHALL empties all, RANDOMKEY finds a key anywhere', async () => {
      await nodes.flushAll();
      const keys = spreadKeys(60);
      await post(
        url,
        '/pipeline',
        keys.map((key) => ['SET', key, '1']),
      );
      expect((await post(url, '/', ['DBSIZE'])).body).toEqual({ result: 60 });
      const found = (await post(url, '/', ['KEYS', '*'])).body as { result: string[] };
      expect(found.result.sort()).toEqual([...keys].sort());
      expect(keys).toContain(resultOf(await post(url, '/', ['RANDOMKEY'])));
      expect((await post(url, '/', ['FLUSHALL'])).body).toEqual({ result: 'OK' });
      expect((await post(url, '/', ['DBSIZE'])).body).toEqual({ result: 0 });
      expect((await post(url, '/', ['RANDOMKEY'])).body).toEqual({ result: null });
      for (const master of await nodes.masters()) expect(await master.cli('DBSIZE')).toBe('0');
    });

    it('SCAN walks every master with a cursor the client resumes, MATCH and COUNT included', async () => {
      await nodes.flushAll();
      const keys = spreadKeys(300);
      await post(
        url,
        '/pipeline',
        keys.map((key) => ['SET', key, '1']),
      );
      await post(url, '/pipeline', [
        ['SET', 'other:1', '1'],
        ['SET', 'other:2', '1'],
      ]);
      const seen: string[] = [];
      let cursor = '0';
      let calls = 0;
      do {
        const res = await post(url, '/', [
          'SCAN',
          cursor,
          'MATCH',
          `${keys[0]!.slice(0, -1)}*`,
          'COUNT',
          '50',
        ]);
        const [next, batch] = (res.body as { result: [string, string[]] }).result;
        expect(next).toMatch(/^\d+$/);
        seen.push(...batch);
        cursor = next;
        calls++;
      } while (cursor !== '0' && calls < 1000);
      expect(cursor).toBe('0');
      expect([...new Set(seen)].sort()).toEqual([...keys].sort());
      expect((await post(url, '/', ['SCAN', 'not-a-cursor'])).body).toEqual({ error: 'ERR invalid cursor' });
      expect((await post(url, '/', ['SCAN', String(1023)])).status).toBe(400);
    });

    it('loads scripts on every master, so EVALSHA runs wherever the key is', async () => {
      const sha = resultOf(
        await post(url, '/', ['SCRIPT', 'LOAD', 'return redis.call("SET", KEYS[1], ARGV[1])']),
      ) as string;
      for (const key of spreadKeys(12)) {
        expect((await post(url, '/', ['EVALSHA', sha, '1', key, 'x'])).body).toEqual({ result: 'OK' });
        expect((await post(url, '/', ['GET', key])).body).toEqual({ result: 'x' });
      }
      expect((await post(url, '/', ['SCRIPT', 'EXISTS', sha, 'f'.repeat(40)])).body).toEqual({
        result: [1, 0],
      });
    });

    it('loads functions on every master, so FCALL runs wherever the key is', async () => {
      const library = [
        '#!lua name=restash_test',
        "redis.register_function('put', function(keys, args) return redis.call('SET', keys[1], args[1]) end)",
      ].join('\n');
      expect((await post(url, '/', ['FUNCTION', 'LOAD', 'REPLACE', library])).body).toEqual({
        result: 'restash_test',
      });
      for (const key of spreadKeys(12)) {
        expect((await post(url, '/', ['FCALL', 'put', '1', key, 'f'])).body).toEqual({ result: 'OK' });
      }
      for (const master of await nodes.masters()) {
        expect(await master.cli('FUNCTION', 'LIST', 'LIBRARYNAME', 'restash_test')).toContain('restash_test');
      }
      expect((await post(url, '/', ['FUNCTION', 'DELETE', 'restash_test'])).body).toEqual({ result: 'OK' });
      for (const master of await nodes.masters()) {
        expect(await master.cli('FUNCTION', 'LIST', 'LIBRARYNAME', 'restash_test')).toBe('');
      }
    });
  });

  it('delivers PUBLISH to /subscribe and shows every master in /monitor', async () => {
    const channel = `${prefix()}news`;
    const controller = new AbortController();
    const res = await fetch(`${base}/subscribe/${encodeURIComponent(channel)}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    const read = async (until: string) => {
      while (!text.includes(until)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString();
      }
    };
    await read('subscribe');
    // Published through the server (any master), and straight to each node. A cluster's PUBLISH counts
    // only the subscribers of the node that took it: 0 or 1 here.
    expect([{ result: 0 }, { result: 1 }]).toContainEqual(
      (await post(base, '/', ['PUBLISH', channel, 'hello'])).body,
    );
    for (const node of nodes.nodes) await node.cli('PUBLISH', channel, `from-${node.port}`);
    await read(`from-${nodes.nodes[nodes.nodes.length - 1]!.port}`);
    expect(text).toContain(`data: message,${channel},hello`);
    controller.abort();

    const monitor = new AbortController();
    const mres = await fetch(`${base}/monitor`, {
      headers: { authorization: `Bearer ${TOKEN}` },
      signal: monitor.signal,
    });
    const mreader = mres.body!.getReader();
    let seen = '';
    while (!seen.includes('"OK"')) seen += Buffer.from((await mreader.read()).value!).toString();
    const keys = spreadKeys(30);
    await post(
      base,
      '/pipeline',
      keys.map((key) => ['SET', key, 'm']),
    );
    while (!keys.every((key) => seen.includes(key))) {
      const { value, done } = await mreader.read();
      if (done) break;
      seen += Buffer.from(value).toString();
    }
    expect(keys.filter((key) => !seen.includes(key))).toEqual([]);
    expect(seen.match(/"OK"/g)).toHaveLength(1);
    monitor.abort();
  });

  it('sends read-only tokens to replicas with --read-from-replicas, and still refuses their writes', async () => {
    const keys = spreadKeys(30);
    await post(
      base,
      '/pipeline',
      keys.map((key) => ['SET', key, `r-${key}`]),
    );
    const replicas = (
      await Promise.all(nodes.nodes.map(async (node) => ({ node, role: await node.cli('ROLE') })))
    )
      .filter(({ role }) => role.startsWith('slave'))
      .map(({ node }) => node);
    expect(replicas).toHaveLength(3);
    const gets = async () =>
      (await Promise.all(replicas.map((node) => node.cli('INFO', 'commandstats')))).reduce(
        (sum, info) => sum + Number(/cmdstat_get:calls=(\d+)/.exec(info)?.[1] ?? 0),
        0,
      );
    // Redis lists a replica in CLUSTER SLOTS once it has replicated something; the server re-reads the
    // topology every 5 s, so replica reads start within that.
    const before = await gets();
    await until(async () => {
      await post(base, '/', ['GET', keys[0]!], { token: READ_ONLY_TOKEN });
      return (await gets()) > before;
    }, 15_000);
    const start = await gets();
    for (const key of keys) {
      // Replication is asynchronous: a replica may not have the write yet.
      let value: unknown;
      for (let attempt = 0; attempt < 50 && value !== `r-${key}`; attempt++) {
        value = resultOf(await post(base, '/', ['GET', key], { token: READ_ONLY_TOKEN }));
      }
      expect(value).toBe(`r-${key}`);
    }
    expect((await gets()) - start).toBeGreaterThanOrEqual(keys.length);
    const write = await post(base, '/', ['SET', keys[0]!, 'no'], { token: READ_ONLY_TOKEN });
    expect(write.body).toEqual({
      error: "NOPERM this user has no permissions to run the 'set' command or its subcommand",
    });
    expect(write.status).toBe(400);
  });

  it('follows ASK during a slot migration and MOVED after it, without an error', async () => {
    const k = prefix();
    const slot = hashSlot(`${k}a`);
    const source = await nodes.masterOf(`${k}a`);
    const target = (await nodes.masters()).find((node) => node.port !== source.port)!;
    const id = async (node: typeof source) => (await node.cli('CLUSTER', 'MYID')).trim();
    const [sourceId, targetId] = [await id(source), await id(target)];
    await post(base, '/pipeline', [
      ['SET', `${k}a`, 'moved-early'],
      ['SET', `${k}b`, 'stays-for-now'],
    ]);
    await target.cli('CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', sourceId);
    await source.cli('CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', targetId);
    expect(
      await source.cli('MIGRATE', '127.0.0.1', String(target.port), '', '0', '5000', 'KEYS', `${k}a`),
    ).toBe('OK');
    try {
      // a is on the target (ASK), b still on the source, c is new (ASK: the source does not have it).
      expect((await post(base, '/', ['GET', `${k}a`])).body).toEqual({ result: 'moved-early' });
      expect((await post(base, '/', ['GET', `${k}b`])).body).toEqual({ result: 'stays-for-now' });
      expect((await post(base, '/', ['SET', `${k}c`, 'new'])).body).toEqual({ result: 'OK' });
      expect(await target.cli('CLUSTER', 'COUNTKEYSINSLOT', String(slot))).toBe('2');
      expect((await post(base, '/', ['GET', `${k}c`])).body).toEqual({ result: 'new' });
      // Keys of one slot split over two nodes: Redis says TRYAGAIN until the migration ends.
      const split = await post(base, '/', ['MGET', `${k}a`, `${k}b`]);
      expect(split.body).toEqual({ error: expect.stringMatching(/^TRYAGAIN/) });
      expect(
        await source.cli('MIGRATE', '127.0.0.1', String(target.port), '', '0', '5000', 'KEYS', `${k}b`),
      ).toBe('OK');
    } finally {
      for (const node of nodes.nodes) {
        await node.cli('CLUSTER', 'SETSLOT', String(slot), 'NODE', targetId).catch(() => {});
      }
    }
    // The slot now lives on the target: MOVED, followed, then learned.
    expect((await post(base, '/', ['MGET', `${k}a`, `${k}b`, `${k}c`])).body).toEqual({
      result: ['moved-early', 'stays-for-now', 'new'],
    });
    expect(
      (
        await post(base, '/multi-exec', [
          ['INCR', `${k}n`],
          ['GET', `${k}a`],
        ])
      ).body,
    ).toEqual([{ result: 1 }, { result: 'moved-early' }]);
    await nodes.waitHealthy();
  });

  it('works unchanged through @upstash/redis: commands, pipelines, hash-tagged transactions', async () => {
    const client = new Redis({ url: base, token: TOKEN, enableAutoPipelining: true });
    const keys = spreadKeys(20);
    await Promise.all(keys.map((key, i) => client.set(key, { i })));
    expect(await Promise.all(keys.map((key) => client.get(key)))).toEqual(keys.map((_, i) => ({ i })));
    const p = client.pipeline();
    for (const key of keys) p.incr(`${key}:n`);
    expect(await p.exec()).toEqual(keys.map(() => 1));
    const k = prefix();
    const tx = client.multi();
    tx.set(`${k}x`, 'a');
    tx.append(`${k}x`, 'b');
    tx.get(`${k}x`);
    expect(await tx.exec()).toEqual(['OK', 2, 'ab']);
    expect(await client.mget(...keys.slice(0, 3))).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
    // SCAN over every master through the client's own cursor handling.
    const found: string[] = [];
    let cursor: string | number = '0';
    do {
      const [next, batch]: [string | number, string[]] = await client.scan(cursor, {
        match: `${keys[0]!.slice(0, -1)}*`,
        count: 100,
      });
      found.push(...batch);
      cursor = next;
    } while (String(cursor) !== '0');
    expect([...new Set(found)].filter((key) => keys.includes(key)).sort()).toEqual([...keys].sort());
    expect(await client.del(...keys)).toBe(20);
  });
});

describe('a Redis Cluster with a password and ACL users', () => {
  let secured: TestCluster | undefined;
  afterAll(async () => {
    await secured?.close();
  }, 30_000);

  it('uses the seed URL’s credentials for every node it discovers, and runs ACL RESTTOKEN users on every master', async () => {
    secured = await startCluster({ password: 'cluster-pass' });
    const seed = secured.seeds[0]!.replace('redis://', 'redis://:cluster-pass@');
    const server = await startServer({ redisCluster: [seed] });
    try {
      const base = server.baseUrl;
      const keys = Array.from({ length: 30 }, (_, i) => `acl:${i}`);
      const masters = new Set(
        await Promise.all(keys.map(async (key) => (await secured!.masterOf(key)).port)),
      );
      expect(masters.size).toBe(3);
      // ACL users are per node in a cluster: the same user on every node.
      for (const node of secured.nodes) {
        await node.cli('ACL', 'SETUSER', 'app', 'on', '>app-pass', '~acl:*', '+@all', '-flushall', '-keys');
      }
      const minted = await post(base, '/', ['ACL', 'RESTTOKEN', 'app', 'app-pass']);
      expect(minted.status).toBe(200);
      const token = resultOf(minted) as string;
      for (const key of keys) {
        expect((await post(base, '/', ['SET', key, key], { token })).body).toEqual({ result: 'OK' });
      }
      expect((await post(base, '/', ['MGET', ...keys], { token })).body).toEqual({ result: keys });
      const outside = await post(base, '/', ['SET', 'other', '1'], { token });
      expect((outside.body as { error: string }).error).toMatch(/^NOPERM/);
      const flush = await post(base, '/', ['FLUSHALL'], { token });
      expect((flush.body as { error: string }).error).toMatch(/^NOPERM/);
      expect((await post(base, '/', ['DBSIZE'])).body).toEqual({ result: 30 });
    } finally {
      await server.close();
    }
  }, 60_000);
});
