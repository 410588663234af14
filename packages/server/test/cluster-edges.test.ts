/**
 * Redis Cluster edge cases found in review: option parsing of XREADGROUP, the
 * merged /monitor, ACL changes made through REST, retries and idle sweeps.
 * One 3-master cluster (no replicas) for the file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSlot } from '../src/backend/cluster/slots.js';
import {
  post,
  prefix,
  resultOf,
  spreadKeys,
  startCluster,
  startServer,
  type TestCluster,
  type TestNode,
  TOKEN,
} from './helpers.js';

let nodes: TestCluster;

beforeAll(async () => {
  nodes = await startCluster({ replicasPerMaster: 0 });
}, 60_000);

afterAll(async () => {
  await nodes?.close();
}, 30_000);

/** Reads an SSE body until `done(text)` or `ms` pass; returns what was read. */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  done: (text: string) => boolean,
  ms: number,
): Promise<string> {
  let text = '';
  const end = Date.now() + ms;
  while (!done(text) && Date.now() < end) {
    const chunk = await Promise.race([
      reader.read(),
      new Promise<'timeout'>((resolve) =>
        setTimeout(() => resolve('timeout'), Math.max(1, end - Date.now())),
      ),
    ]);
    if (chunk === 'timeout' || chunk.done) break;
    text += Buffer.from(chunk.value).toString();
  }
  return text;
}

/** A key whose master differs from `other`'s. */
async function keyOnAnotherMaster(other: string): Promise<string> {
  const avoid = (await nodes.masterOf(other)).port;
  for (let i = 0; i < 100; i++) {
    const key = `${prefix()}s`;
    if ((await nodes.masterOf(key)).port !== avoid) return key;
  }
  throw new Error('no key found on another master');
}

describe('Redis Cluster', () => {
  it('XREADGROUP with a consumer named "streams" reaches the stream’s node', async () => {
    const server = await startServer({ redisCluster: nodes.seeds });
    try {
      const base = server.baseUrl;
      // Our key extraction takes the first "STREAMS" word: here the consumer name, so the key is "STREAMS".
      const key = await keyOnAnotherMaster('STREAMS');
      expect(hashSlot(key)).not.toBe(hashSlot('STREAMS'));
      expect((await post(base, '/', ['XGROUP', 'CREATE', key, 'g', '$', 'MKSTREAM'])).body).toEqual({
        result: 'OK',
      });
      const id = resultOf(await post(base, '/', ['XADD', key, '*', 'f', 'v']));
      const res = await post(base, '/', ['XREADGROUP', 'GROUP', 'g', 'streams', 'STREAMS', key, '>']);
      expect(res.body).toEqual({ result: [[key, [[id, ['f', 'v']]]]] });
    } finally {
      await server.close();
    }
  });

  it('/monitor on a cluster sends "OK" first', async () => {
    const server = await startServer({ redisCluster: nodes.seeds });
    const masters = await nodes.masters();
    const [fast, slow] = [masters[0]!, masters[1]!];
    const controller = new AbortController();
    try {
      const base = server.baseUrl;
      // Warm up, so that the stream connections are the only new ones.
      await post(base, '/', ['PING']);
      // One master is slow to confirm MONITOR (e.g. busy): its commands wait 1.5 s.
      await slow.cli('CLIENT', 'PAUSE', '1500', 'ALL');
      const response = fetch(`${base}/monitor`, {
        headers: { authorization: `Bearer ${TOKEN}` },
        signal: controller.signal,
      });
      // Meanwhile someone writes on a master that has confirmed already.
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (let i = 0; i < 5; i++) await fast.cli('SET', `monitor-probe-${i}`, 'x');
      const res = await response;
      expect(res.status).toBe(200);
      const text = await readUntil(res.body!.getReader(), (seen) => seen.includes('"OK"'), 5000);
      const events = text.split('\n\n').filter((event) => event.startsWith('data: '));
      expect(events[0]).toBe('data: "OK"');
    } finally {
      controller.abort();
      await slow.cli('CLIENT', 'UNPAUSE').catch(() => {});
      await server.close();
    }
  });

  it('/monitor on a cluster stays within maxConnections', async () => {
    const masters = await nodes.masters();
    const server = await startServer({ redisCluster: [masters[0]!.url], maxConnections: 4 });
    const controller = new AbortController();
    try {
      const base = server.baseUrl;
      // One shared connection per master.
      await post(
        base,
        '/pipeline',
        spreadKeys(30).map((key) => ['SET', key, '1']),
      );
      const res = await fetch(`${base}/monitor`, {
        headers: { authorization: `Bearer ${TOKEN}` },
        signal: controller.signal,
      });
      // 3 shared connections + 3 for a merged /monitor would be 6: refused.
      expect(res.status).toBe(503);
      expect(await res.text()).toMatch(/max connections reached/);
      const ours = (await Promise.all(masters.map((node) => node.cli('CLIENT', 'LIST')))).flatMap((list) =>
        list.split('\n').filter((line) => / name=restash/.test(line)),
      );
      expect(ours.length).toBeLessThanOrEqual(4);
    } finally {
      controller.abort();
      await server.close();
    }
  });

  it('ACL SETUSER through the REST API makes a user that works on every master', async () => {
    const server = await startServer({ redisCluster: nodes.seeds });
    try {
      const base = server.baseUrl;
      const created = await post(base, '/', [
        'ACL',
        'SETUSER',
        'rest-made',
        'on',
        '>made-pass',
        '~*',
        '+@all',
      ]);
      expect(created.body).toEqual({ result: 'OK' });
      for (const master of await nodes.masters()) {
        expect(await master.cli('ACL', 'GETUSER', 'rest-made'), `master ${master.port}`).not.toBe('');
      }
      const minted = await post(base, '/', ['ACL', 'RESTTOKEN', 'rest-made', 'made-pass']);
      expect(minted.status).toBe(200);
      const token = resultOf(minted) as string;
      for (const key of spreadKeys(20)) {
        expect((await post(base, '/', ['SET', key, '1'], { token })).body).toEqual({ result: 'OK' });
      }
    } finally {
      for (const node of nodes.nodes) await node.cli('ACL', 'DELUSER', 'rest-made').catch(() => {});
      await server.close();
    }
  });

  it('ACL DELUSER through the REST API revokes the user’s token on every master', async () => {
    const server = await startServer({ redisCluster: nodes.seeds, aclRecheck: 0 });
    try {
      const base = server.baseUrl;
      // Made on every node, as users of a cluster must be.
      for (const node of nodes.nodes) {
        await node.cli('ACL', 'SETUSER', 'revoked', 'on', '>revoked-pass', '~*', '+@all');
      }
      const token = resultOf(
        await post(base, '/', ['ACL', 'RESTTOKEN', 'revoked', 'revoked-pass']),
      ) as string;
      expect(typeof token).toBe('string');
      expect((await post(base, '/', ['ACL', 'DELUSER', 'revoked'])).body).toEqual({ result: 1 });
      const accepted: string[] = [];
      for (const key of spreadKeys(30)) {
        const res = await post(base, '/', ['SET', key, 'after-revocation'], { token });
        if (res.status === 200) accepted.push(key);
      }
      expect(accepted).toEqual([]);
    } finally {
      for (const node of nodes.nodes) await node.cli('ACL', 'DELUSER', 'revoked').catch(() => {});
      await server.close();
    }
  });

  it('an ACL user’s request retrying TRYAGAIN is answered when the user’s idle connections are closed', async () => {
    const server = await startServer({ redisCluster: nodes.seeds, aclIdle: 100, shutdownTimeout: 500 });
    const k = prefix();
    const slot = hashSlot(`${k}a`);
    const source = await nodes.masterOf(`${k}a`);
    const target = (await nodes.masters()).find((node) => node.port !== source.port)!;
    const id = async (node: TestNode) => (await node.cli('CLUSTER', 'MYID')).trim();
    const [sourceId, targetId] = [await id(source), await id(target)];
    try {
      const base = server.baseUrl;
      for (const node of nodes.nodes) {
        await node.cli('ACL', 'SETUSER', 'slowpoke', 'on', '>slow-pass', '~*', '+@all');
      }
      const token = resultOf(await post(base, '/', ['ACL', 'RESTTOKEN', 'slowpoke', 'slow-pass'])) as string;
      await post(base, '/pipeline', [
        ['SET', `${k}a`, '1'],
        ['SET', `${k}b`, '2'],
      ]);
      // Half of the slot's keys migrated: a multi-key command gets TRYAGAIN (retried for about 1.2 s).
      await target.cli('CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', sourceId);
      await source.cli('CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', targetId);
      expect(
        await source.cli('MIGRATE', '127.0.0.1', String(target.port), '', '0', '5000', 'KEYS', `${k}a`),
      ).toBe('OK');
      const started = Date.now();
      const outcome = await post(base, '/', ['MGET', `${k}a`, `${k}b`], {
        token,
        signal: AbortSignal.timeout(6000),
      }).then(
        (res) => res.status,
        (error: Error) => `no answer after ${Date.now() - started} ms (${error.name})`,
      );
      // TRYAGAIN as the answer (400), or 503 if the backend was closed under it: an answer either way.
      expect([400, 503]).toContain(outcome);
    } finally {
      await source
        .cli('MIGRATE', '127.0.0.1', String(target.port), '', '0', '5000', 'KEYS', `${k}b`)
        .catch(() => {});
      for (const node of nodes.nodes) {
        await node.cli('CLUSTER', 'SETSLOT', String(slot), 'NODE', targetId).catch(() => {});
        await node.cli('ACL', 'DELUSER', 'slowpoke').catch(() => {});
      }
      await server.close();
      await nodes.waitHealthy();
    }
  }, 30_000);
});
