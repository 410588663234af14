import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startCluster,
  startSentinelGroup,
  type TestCluster,
  type TestNode,
  type TestSentinelGroup,
  until,
} from './helpers.js';

/** The redis-server processes this test process started and has not reaped. */
function ownRedisServers(): string[] {
  const out = execFileSync('ps', ['--ppid', String(process.pid), '-o', 'pid=,args='], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes('redis-server'));
}

/** redis-cli without credentials. */
function anonymousCli(node: TestNode, ...args: string[]): string {
  return execFileSync('redis-cli', ['-p', String(node.port), ...args], { encoding: 'utf8' }).trim();
}

function role(info: string): string | undefined {
  return /role:(\w+)/.exec(info)?.[1];
}

describe('startCluster', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster();
  }, 40_000);
  afterAll(() => cluster?.close(), 15_000);

  it('starts 3 masters and 3 replicas that serve all 16384 slots', async () => {
    expect(cluster.nodes).toHaveLength(6);
    expect(cluster.seeds).toEqual(cluster.nodes.map((node) => `redis://127.0.0.1:${node.port}`));
    const masters = await cluster.masters();
    expect(masters).toHaveLength(3);
    for (const node of cluster.nodes) {
      const info = await node.cli('CLUSTER', 'INFO');
      expect(info).toMatch(/cluster_state:ok/);
      expect(info).toMatch(/cluster_slots_ok:16384/);
      expect(info).toMatch(/cluster_known_nodes:6/);
      const replication = await node.cli('INFO', 'replication');
      expect(role(replication)).toBe(masters.includes(node) ? 'master' : 'slave');
      if (!masters.includes(node)) expect(replication).toMatch(/master_link_status:up/);
    }
  }, 10_000);

  it('masterOf names the master that takes the key, which the others redirect to', async () => {
    const masters = await cluster.masters();
    for (const key of ['a', 'b', 'c', '{user}:1', 'restash:key']) {
      const owner = await cluster.masterOf(key);
      expect(await owner.cli('SET', key, 'v')).toBe('OK');
      for (const other of masters.filter((node) => node !== owner)) {
        expect(await other.cli('SET', key, 'v')).toMatch(
          new RegExp(`^MOVED \\d+ 127\\.0\\.0\\.1:${owner.port}$`),
        );
      }
    }
    await cluster.flushAll();
    for (const node of masters) expect(await node.cli('DBSIZE')).toBe('0');
  }, 10_000);

  it('fails over when a master dies, and the old master rejoins as a replica', async () => {
    const key = 'failover';
    const old = await cluster.masterOf(key);
    expect(await old.cli('SET', key, 'kept')).toBe('OK');
    expect(await old.cli('WAIT', '1', '2000')).toBe('1');

    await old.kill();
    expect(old.alive).toBe(false);
    await cluster.waitHealthy();
    const next = await cluster.masterOf(key);
    expect(next).not.toBe(old);
    expect(next.alive).toBe(true);
    expect(await next.cli('GET', key)).toBe('kept');
    const masters = await cluster.masters();
    expect(masters).toHaveLength(3);
    expect(masters).not.toContain(old);

    await old.start();
    expect(old.alive).toBe(true);
    await cluster.waitHealthy();
    expect(await cluster.masterOf(key)).toBe(next);
    expect(await cluster.masters()).not.toContain(old);
    const replication = await old.cli('INFO', 'replication');
    expect(role(replication)).toBe('slave');
    expect(replication).toMatch(new RegExp(`master_port:${next.port}\\s`));
    await until(async () => /master_link_status:up/.test(await old.cli('INFO', 'replication')), 10_000);
  }, 45_000);
});

describe('startSentinelGroup', () => {
  let group: TestSentinelGroup;
  beforeAll(async () => {
    group = await startSentinelGroup();
  }, 30_000);
  afterAll(() => group?.close(), 15_000);

  it('names the master, then the replica once the master died', async () => {
    expect(group.sentinels).toHaveLength(3);
    expect(group.sentinelAddresses).toEqual(group.sentinels.map((s) => `127.0.0.1:${s.port}`));
    expect(group.masterName).toBe('restash-test');
    const before = await group.currentMaster();
    expect(before).toBe(`127.0.0.1:${group.master.port}`);
    expect(await group.master.cli('SET', 'k', 'kept')).toBe('OK');
    expect(await group.master.cli('WAIT', '1', '2000')).toBe('1');

    await group.master.kill();
    const after = await group.waitForNewMaster(before);
    expect(after).toBe(`127.0.0.1:${group.replica.port}`);
    expect(await group.currentMaster()).toBe(after);
    expect(role(await group.replica.cli('INFO', 'replication'))).toBe('master');
    expect(await group.replica.cli('GET', 'k')).toBe('kept');
  }, 40_000);
});

describe('with a password', () => {
  it('starts a cluster whose nodes require it, and closes it twice', async () => {
    const cluster = await startCluster({ password: 'cluster-secret' });
    try {
      const [node] = cluster.nodes;
      expect(anonymousCli(node!, 'PING')).toMatch(/^NOAUTH/);
      expect(await node!.cli('PING')).toBe('PONG');
      expect(await cluster.masters()).toHaveLength(3);
    } finally {
      await cluster.close();
      await cluster.close();
    }
    expect(cluster.nodes.some((node) => node.alive)).toBe(false);
  }, 40_000);

  it('starts a sentinel group whose data nodes require it', async () => {
    const group = await startSentinelGroup({ password: 'sentinel-secret' });
    try {
      expect(anonymousCli(group.master, 'PING')).toMatch(/^NOAUTH/);
      expect(anonymousCli(group.sentinels[0]!, 'PING')).toBe('PONG');
      expect(await group.currentMaster()).toBe(`127.0.0.1:${group.master.port}`);
    } finally {
      await group.close();
    }
    expect([group.master, group.replica, ...group.sentinels].some((node) => node.alive)).toBe(false);
  }, 30_000);

  it('rejects a cluster of fewer than 3 masters before starting anything', async () => {
    await expect(startCluster({ masters: 2 })).rejects.toThrow(/at least 3 masters/);
  });
});

describe('after close()', () => {
  it('leaves no redis-server behind', () => {
    expect(ownRedisServers()).toEqual([]);
  });
});
