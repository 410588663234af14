/**
 * Riding out cluster failovers, with fake node connections and topologies:
 * held ops follow the slot map, keep to their deadline, spare the dead node.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { FakeConnection, fakeTopology, setGetTable } from '../../../test/cluster-fakes.js';
import { createLogger } from '../../log.js';
import { type Reply, ReplyError } from '../../resp/resp.js';
import { BackendFailure } from '../backend.js';
import { RedisConnection } from '../connection.js';
import { ClusterBackend } from './backend.js';
import { hashSlot } from './slots.js';
import { type ClusterTopology, mastersWithReplicas, NodePool } from './topology.js';

/** A node that cannot be reached: every batch fails, surely unsent, after `ms`. */
function deadNode(ms = 0): FakeConnection {
  const node = new FakeConnection(() => 'never');
  node.send = (commands, done) => {
    node.sent.push(...commands);
    setTimeout(() => done(new BackendFailure('unavailable', 'connect ECONNREFUSED', false)), ms);
  };
  node.atomic = (batch, done) => node.send(batch, done);
  return node;
}

/** A topology whose single slot owner is `state.master`, with replicas as `state.replicated` says. */
function movingTopology(state: { master: string; replicated: Set<string> }): ClusterTopology {
  return fakeTopology(state.master, {
    ownerOf: () => ({ master: state.master, replicas: [] }),
    get masters() {
      return [state.master];
    },
    anyMaster: () => state.master,
    hasReplicas: (address: string) => state.replicated.has(address),
  });
}

function poolOf(nodes: Record<number, FakeConnection>): NodePool {
  return new NodePool((_host, port) => {
    const node = nodes[port];
    if (node === undefined) throw new Error(`no fake node on port ${port}`);
    return node as unknown as RedisConnection;
  }, 1000);
}

describe('cluster hold', () => {
  it('a held op MOVED to a node that turns out dead follows the new slot map', async () => {
    const slot = hashSlot('k');
    // 7002 has a stale view and points at the dead master 7000; the new map (after 300 ms) says 7001.
    const stale = new FakeConnection(() => new ReplyError(`MOVED ${slot} 127.0.0.1:7000`));
    const dead = deadNode();
    const promoted = new FakeConnection(() => 'OK');
    const state = { master: '127.0.0.1:7002', replicated: new Set(['127.0.0.1:7000', '127.0.0.1:7002']) };
    const backend = new ClusterBackend({
      topology: movingTopology(state),
      pool: poolOf({ 7000: dead, 7001: promoted, 7002: stale }),
      table: setGetTable(),
      holdMs: 1500,
    });
    const switched = setTimeout(() => {
      state.master = '127.0.0.1:7001';
    }, 300);
    try {
      const started = Date.now();
      const answer = await new Promise<Reply[] | BackendFailure>((resolve) =>
        backend.send([['SET', 'k', 'v']], resolve),
      );
      // Expected: after the map changed the op goes to 7001 and gets OK (well within holdMs).
      expect({ answer, promotedSaw: promoted.sent.length }).toEqual({ answer: ['OK'], promotedSaw: 1 });
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      clearTimeout(switched);
      backend.close();
    }
  }, 10_000);

  it('an op whose dead master was replaced while it was being tried goes to the new one', async () => {
    // 7000 takes 60 ms to be found unreachable (a connect attempt); meanwhile the slot map moves to 7001,
    // which has no replica yet (its old master is the dead one). The new map names a live master.
    const dead = deadNode(60);
    const promoted = new FakeConnection(() => 'OK');
    const state = { master: '127.0.0.1:7000', replicated: new Set(['127.0.0.1:7000']) };
    const backend = new ClusterBackend({
      topology: movingTopology(state),
      pool: poolOf({ 7000: dead, 7001: promoted }),
      table: setGetTable(),
      holdMs: 2000,
    });
    const switched = setTimeout(() => {
      state.master = '127.0.0.1:7001';
      state.replicated = new Set();
    }, 20);
    try {
      const answer = await new Promise<Reply[] | BackendFailure>((resolve) =>
        backend.send([['SET', 'k', 'v']], resolve),
      );
      expect(answer).toEqual(['OK']);
    } finally {
      clearTimeout(switched);
      backend.close();
    }
  }, 10_000);

  it('a transaction whose dead master was replaced while it was being tried goes to the new one', async () => {
    const dead = deadNode(60);
    const promoted = new FakeConnection((args) =>
      String(args[0]).toUpperCase() === 'EXEC' ? (['OK'] as unknown as Reply) : 'QUEUED',
    );
    const state = { master: '127.0.0.1:7000', replicated: new Set(['127.0.0.1:7000']) };
    const backend = new ClusterBackend({
      topology: movingTopology(state),
      pool: poolOf({ 7000: dead, 7001: promoted }),
      table: setGetTable(),
      holdMs: 2000,
    });
    const switched = setTimeout(() => {
      state.master = '127.0.0.1:7001';
      state.replicated = new Set();
    }, 20);
    try {
      const answer = await new Promise<Reply[] | BackendFailure>((resolve) =>
        backend.atomic([['MULTI'], ['SET', 'k', 'v'], ['EXEC']], resolve),
      );
      expect(answer).not.toBeInstanceOf(BackendFailure);
      expect(promoted.sent.length).toBe(3);
    } finally {
      clearTimeout(switched);
      backend.close();
    }
  }, 10_000);

  it('a held command is answered within holdMs of being sent, also when reaching the node takes time', async () => {
    // Each attempt to reach the node takes 400 ms before it fails unsent (a connect timeout).
    const dead = deadNode(400);
    const state = { master: '127.0.0.1:7000', replicated: new Set(['127.0.0.1:7000']) };
    const backend = new ClusterBackend({
      topology: movingTopology(state),
      pool: poolOf({ 7000: dead }),
      table: setGetTable(),
      holdMs: 600,
    });
    try {
      const started = Date.now();
      const answer = await new Promise<Reply[] | BackendFailure>((resolve) =>
        backend.send([['SET', 'k', 'v']], resolve),
      );
      const waited = Date.now() - started;
      expect(answer).toBeInstanceOf(BackendFailure);
      // holdMs (the command timeout) plus at most the one attempt under way when it runs out.
      expect(waited).toBeLessThan(600 + 400 + 150);
    } finally {
      backend.close();
    }
  }, 10_000);

  it('held ops do not make a connection attempt each: the dead node’s connection keeps its back-off', async () => {
    // A node that takes connections and drops them at once (dying, or a proxy in front of a dead one).
    let attempts = 0;
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      attempts++;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const address = `127.0.0.1:${port}`;
    const connections: RedisConnection[] = [];
    const pool = new NodePool((host, p) => {
      const connection = new RedisConnection({
        endpoint: { host, port: p, tls: false, db: 0 },
        log: createLogger('silent'),
        name: 'hold-test',
        connectTimeout: 500,
        commandTimeout: 2000,
      });
      connections.push(connection);
      return connection;
    }, 1000);
    const state = { master: address, replicated: new Set([address]) };
    const backend = new ClusterBackend({
      topology: movingTopology(state),
      pool,
      table: setGetTable(),
      holdMs: 1000,
    });
    try {
      const answers = Array.from(
        { length: 20 },
        (_, i) =>
          new Promise<Reply[] | BackendFailure>((resolve) => {
            setTimeout(() => backend.send([['SET', `k${i}`, 'v']], resolve), i * 5);
          }),
      );
      const results = await Promise.all(answers);
      for (const result of results) expect(result).toBeInstanceOf(BackendFailure);
      // One RedisConnection alone backs off (0, 100, 200, 400, 800 ms…): a handful of attempts per second.
      // 20 held requests should not multiply that by 10 attempts a second each.
      expect(attempts).toBeLessThan(30);
    } finally {
      backend.close();
      pool.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 10_000);
});

describe('mastersWithReplicas', () => {
  it('does not count a replica that can never take over (nofailover, failing, no address)', () => {
    const nodes = [
      'aaa 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-16383',
      'ddd 127.0.0.1:7003@17003 slave,nofailover aaa 0 0 1 connected',
      'eee 127.0.0.1:7004@17004 slave,fail? aaa 0 0 1 connected',
      'fff :0@0 slave,noaddr aaa 0 0 1 disconnected',
      '',
    ].join('\n');
    expect([...mastersWithReplicas(nodes)]).toEqual([]);
  });
});
