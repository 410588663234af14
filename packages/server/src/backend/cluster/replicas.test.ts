/**
 * Replica reads with fake node connections: each shard's replicas take turns.
 */
import { describe, expect, it } from 'vitest';
import { FakeConnection, fakeTopology } from '../../../test/cluster-fakes.js';
import { CommandTable } from '../../protocol/commands.js';
import type { Reply } from '../../resp/resp.js';
import type { RedisConnection } from '../connection.js';
import { ClusterBackend } from './backend.js';
import { hashSlot } from './slots.js';
import { NodePool } from './topology.js';

describe('replica reads', () => {
  it('lets each shard’s replicas take turns, also when reads alternate between shards', async () => {
    // Two keys on two shards, each shard with two replicas.
    const [x, y] = ['x', 'y'];
    expect(hashSlot(x)).not.toBe(hashSlot(y));
    const shards = new Map([
      [hashSlot(x), { master: '127.0.0.1:7000', replicas: ['127.0.0.1:7100', '127.0.0.1:7101'] }],
      [hashSlot(y), { master: '127.0.0.1:7001', replicas: ['127.0.0.1:7200', '127.0.0.1:7201'] }],
    ]);
    const topology = fakeTopology('127.0.0.1:7000', {
      ownerOf: (slot: number) => shards.get(slot),
      masters: ['127.0.0.1:7000', '127.0.0.1:7001'],
    });
    const connections = new Map<string, FakeConnection>();
    const pool = new NodePool((_host, port, replica) => {
      const connection = new FakeConnection();
      connections.set(`${replica ? 'replica ' : ''}${port}`, connection);
      return connection as unknown as RedisConnection;
    }, 1000);
    const table = new CommandTable();
    table.load([['get', 2, ['readonly'], 1, 1, 1, ['@read'], [], [], []]]);
    const backend = new ClusterBackend({ topology, pool, table, replicas: true });
    // A client that reads x, then y, then x… (one request at a time).
    for (let i = 0; i < 8; i++) {
      await new Promise<Reply[] | unknown>((resolve) =>
        backend.send([['GET', i % 2 === 0 ? x : y]], resolve),
      );
    }
    const reads = (port: number) => connections.get(`replica ${port}`)?.sent.length ?? 0;
    // "taking turns" (README): each of x's replicas should take some of x's 4 reads.
    expect({ 7100: reads(7100), 7101: reads(7101) }).toEqual({ 7100: 2, 7101: 2 });
    backend.close();
  });
});
