/**
 * Connections on a cluster: the budget with ACL users, seeds named by host
 * name, and a pipeline when one master cannot be reached. One 3-master
 * cluster (no replicas), started and stopped by this file.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, resultOf, spreadKeys, startCluster, startServer, type TestCluster } from './helpers.js';

let nodes: TestCluster;

beforeAll(async () => {
  nodes = await startCluster({ replicasPerMaster: 0 });
}, 60_000);

afterAll(async () => {
  await nodes?.close();
}, 30_000);

/** Our connections (CLIENT SETNAME restash…) on every master. */
async function ourConnections(): Promise<string[]> {
  const lists = await Promise.all((await nodes.masters()).map((node) => node.cli('CLIENT', 'LIST')));
  return lists.flatMap((list) => list.split('\n').filter((line) => / name=restash/.test(line)));
}

describe('the connection budget on a cluster', () => {
  it('keeps a cluster ACL user, which opens one connection per master, within --max-connections', async () => {
    const server = await startServer({ redisCluster: nodes.seeds, maxConnections: 4 });
    try {
      const base = server.baseUrl;
      // The shared connections: one per master (3 of the budget of 4).
      await post(
        base,
        '/pipeline',
        spreadKeys(30).map((key) => ['SET', key, '1']),
      );
      expect(
        (await post(base, '/', ['ACL', 'SETUSER', 'budget', 'on', '>budget-pass', '~*', '+@all'])).body,
      ).toEqual({ result: 'OK' });
      const token = resultOf(await post(base, '/', ['ACL', 'RESTTOKEN', 'budget', 'budget-pass'])) as string;
      const answers = new Set<string>();
      for (const key of spreadKeys(30))
        answers.add((await post(base, '/', ['SET', key, '2'], { token })).text);
      // One connection was left for the user: its first node's keys work, the others' say why not.
      expect(answers).toContain('{"result":"OK"}');
      expect([...answers].some((text) => text.includes('max connections reached for this database'))).toBe(
        true,
      );
      // --max-connections: "most Redis connections per database".
      expect((await ourConnections()).length).toBeLessThanOrEqual(4);
    } finally {
      for (const node of nodes.nodes) await node.cli('ACL', 'DELUSER', 'budget').catch(() => {});
      await server.close();
    }
  }, 30_000);
});

describe('seeds given by host name', () => {
  it('keeps one connection per node when a seed is named otherwise than the cluster announces it', async () => {
    const seeds = nodes.seeds.map((url) => url.replace('127.0.0.1', 'localhost'));
    const server = await startServer({ redisCluster: seeds });
    try {
      await post(
        server.baseUrl,
        '/pipeline',
        spreadKeys(30).map((key) => ['SET', key, '1']),
      );
      // README: "one shared connection per node the server talks to".
      expect((await ourConnections()).length).toBe(3);
    } finally {
      await server.close();
    }
  }, 30_000);
});

// Last: it kills a master of the file's cluster.
describe('a pipeline when one master cannot be reached', () => {
  it('answers the other masters’ entries and says "ERR Redis is unreachable: …" in the dead one’s; health says which', async () => {
    const server = await startServer({ redisCluster: nodes.seeds });
    try {
      const base = server.baseUrl;
      const keys = spreadKeys(30);
      expect(
        (
          await post(
            base,
            '/pipeline',
            keys.map((key) => ['SET', key, 'v']),
          )
        ).status,
      ).toBe(200);
      const victim = await nodes.masterOf(keys[0]!);
      const victimKeys = new Set<string>();
      for (const key of keys) if ((await nodes.masterOf(key)).port === victim.port) victimKeys.add(key);
      await victim.kill();
      // At once, before the other masters mark it failed (cluster-node-timeout 1 s): they still serve.
      const res = await post(
        base,
        '/pipeline',
        keys.map((key) => ['GET', key]),
      );
      expect(res.status).toBe(200);
      const entries = res.body as { result?: unknown; error?: string }[];
      const failed = entries.filter((_, i) => victimKeys.has(keys[i]!));
      const served = entries.filter((_, i) => !victimKeys.has(keys[i]!));
      expect(served.every((entry) => entry.result === 'v')).toBe(true);
      expect(failed.length).toBeGreaterThan(0);
      for (const entry of failed) expect(entry.error).toMatch(/^ERR Redis is unreachable: /);
      // A pipeline all on the dead master reached no node: one 503.
      const dead = await post(
        base,
        '/pipeline',
        [...victimKeys].map((key) => ['GET', key]),
      );
      expect(dead.status).toBe(503);
      const health = await fetch(`${base}/-/ready`);
      expect(health.status).toBe(503);
      expect(((await health.json()) as { error: string }).error).toContain(`:${victim.port}`);
    } finally {
      await server.close();
    }
  }, 30_000);
});

describe('a Redis Cluster over TLS', () => {
  it('learns the TLS ports from a rediss:// seed and talks TLS to every node, checking certificates', async () => {
    const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
    const certFile = fixture('tls-cert.pem');
    const secure = await startCluster({
      replicasPerMaster: 0,
      tls: { certFile, keyFile: fixture('tls-key.pem'), caFile: certFile },
    });
    try {
      const ca = readFileSync(certFile, 'utf8');
      const server = await startServer({ redisCluster: [secure.seeds[0]!], redisTlsCa: ca });
      try {
        const keys = spreadKeys(30);
        const res = await post(
          server.baseUrl,
          '/pipeline',
          keys.map((key) => ['SET', key, 'tls']),
        );
        expect(res.body).toEqual(keys.map(() => ({ result: 'OK' })));
        expect((await post(server.baseUrl, '/', ['DBSIZE'])).body).toEqual({ result: 30 });
        // Every master holds some keys and sees our connection on its TLS port only.
        for (const master of await secure.masters()) {
          expect(Number(await master.cli('DBSIZE'))).toBeGreaterThan(0);
          const ours = (await master.cli('CLIENT', 'LIST'))
            .split('\n')
            .filter((line) => / name=restash/.test(line));
          expect(ours.length).toBe(1);
          const tlsPort =
            secure.seeds[secure.nodes.findIndex((node) => node.port === master.port)]!.split(':').pop();
          expect(ours[0]).toContain(`laddr=127.0.0.1:${tlsPort} `);
        }
      } finally {
        await server.close();
      }
      // Without the CA, the certificate is refused: a clear 503, not a plain-text fallback.
      const untrusted = await startServer({ redisCluster: [secure.seeds[0]!] });
      try {
        const refused = await post(untrusted.baseUrl, '/', ['PING']);
        expect(refused.status).toBe(503);
        expect((refused.body as { error: string }).error).toMatch(/self.signed|certificate/i);
      } finally {
        await untrusted.close();
      }
    } finally {
      await secure.close();
    }
  }, 60_000);
});
