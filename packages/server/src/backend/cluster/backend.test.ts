/**
 * The cluster backend with fake node connections: retries answered at close,
 * MOVED followed to the node it names, departed nodes' connections closed.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeConnection, fakeTopology, setGetTable } from '../../../test/cluster-fakes.js';
import { CommandTable } from '../../protocol/commands.js';
import { type Reply, ReplyError } from '../../resp/resp.js';
import { BackendFailure } from '../backend.js';
import type { RedisConnection } from '../connection.js';
import { parseSentinel } from '../redis-url.js';
import { ClusterBackend, redirection } from './backend.js';
import { hashSlot } from './slots.js';
import { type ClusterTopology, mastersWithReplicas, NodePool } from './topology.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('ClusterBackend', () => {
  it('close() while a command waits out a TRYAGAIN retry answers it', async () => {
    const node = new FakeConnection(
      () => new ReplyError('TRYAGAIN Multiple keys request during rehashing of slot'),
    );
    const pool = new NodePool(() => node as unknown as RedisConnection, 1000);
    const backend = new ClusterBackend({
      topology: fakeTopology('127.0.0.1:7000'),
      pool,
      table: new CommandTable(),
      ownsPool: true,
    });
    const outcomes: (Reply[] | BackendFailure)[] = [];
    backend.send([['MGET', '{a}1', '{a}2']], (result) => outcomes.push(result));
    // The first TRYAGAIN has come back: the command now sits in a retry timer (40 ms), in no connection.
    await new Promise((resolve) => setTimeout(resolve, 15));
    expect(node.sent.length).toBe(1);
    // Busy while it waits, so that an idle sweep does not close it under the request.
    expect(backend.busy).toBe(true);
    backend.close();
    // Answered by close() itself, not later by a timer that happens to fire.
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toBeInstanceOf(BackendFailure);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(outcomes).toHaveLength(1);
  });

  it('close() while a transaction waits out a CLUSTERDOWN retry answers it', async () => {
    const node = new FakeConnection((args) =>
      args[0] === 'MULTI'
        ? 'OK'
        : args[0] === 'EXEC'
          ? new ReplyError('EXECABORT')
          : new ReplyError('CLUSTERDOWN The cluster is down'),
    );
    const pool = new NodePool(() => node as unknown as RedisConnection, 1000);
    const backend = new ClusterBackend({
      topology: fakeTopology('127.0.0.1:7000'),
      pool,
      table: new CommandTable(),
    });
    const outcomes: (Reply[] | BackendFailure)[] = [];
    backend.atomic([['MULTI'], ['SET', 'k', 'v'], ['EXEC']], (result) => outcomes.push(result));
    await new Promise((resolve) => setTimeout(resolve, 15));
    backend.close();
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toBeInstanceOf(BackendFailure);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(outcomes).toHaveLength(1);
  });

  it('follows MOVED to the node it names even when the slot Redis computed differs from ours', async () => {
    // Redis computes the slot of the real key; when our key extraction picked another argument
    // (e.g. XREADGROUP with a group or consumer named "streams"), the MOVED names another slot.
    const wrongNode = new FakeConnection(() => new ReplyError('MOVED 1234 127.0.0.1:7001'));
    const rightNode = new FakeConnection(() => 'OK');
    const pool = new NodePool(
      (_host, port) => (port === 7000 ? wrongNode : rightNode) as unknown as RedisConnection,
      1000,
    );
    const owners = new Map<number, string>();
    const topology = {
      ...fakeTopology('127.0.0.1:7000'),
      ownerOf: (slot: number) => ({ master: owners.get(slot) ?? '127.0.0.1:7000', replicas: [] }),
      moved: (slot: number, address: string) => owners.set(slot, address),
    } as unknown as ClusterTopology;
    const table = new CommandTable();
    // SET's key spec: first 1, last 1, step 1.
    table.load([['set', -3, ['write'], 1, 1, 1, ['@write'], [], [], []]]);
    expect(hashSlot('k')).not.toBe(1234);
    const backend = new ClusterBackend({ topology, pool, table });
    const result = await new Promise<Reply[] | BackendFailure>((resolve) =>
      backend.send([['SET', 'k', 'v']], resolve),
    );
    expect(result).toEqual(['OK']);
    backend.close();
  });
});

describe('ClusterBackend redirections and fallbacks', () => {
  it('reads MOVED and ASK, putting the answering node’s host in for an unknown one', () => {
    expect(redirection('MOVED 3999 10.0.0.2:6381', '10.0.0.1:6379')).toEqual({
      kind: 'moved',
      slot: 3999,
      address: '10.0.0.2:6381',
    });
    expect(redirection('MOVED 3999 ?:6381', '10.0.0.1:6379')).toEqual({
      kind: 'moved',
      slot: 3999,
      address: '10.0.0.1:6381',
    });
    expect(redirection('ASK 3999 :6382', '10.0.0.1:6379')).toEqual({ kind: 'ask', address: '10.0.0.1:6382' });
    expect(redirection('MOVED garbage', '10.0.0.1:6379')).toBeUndefined();
    expect(redirection('CLUSTERDOWN The cluster is down', 'a:1')).toEqual({ kind: 'retry', refresh: true });
    expect(redirection('WRONGTYPE Operation against a key', 'a:1')).toBeUndefined();
  });

  it('sends a transaction again when EXEC itself answers MOVED (the slot moved after queueing)', async () => {
    let first = true;
    const oldNode = new FakeConnection((args) => {
      if (args[0] === 'EXEC' && first) {
        first = false;
        return new ReplyError('MOVED 866 127.0.0.1:7001');
      }
      return args[0] === 'MULTI' ? 'OK' : 'QUEUED';
    });
    const newNode = new FakeConnection((args) =>
      args[0] === 'MULTI' ? 'OK' : args[0] === 'EXEC' ? ['OK'] : 'QUEUED',
    );
    const pool = new NodePool(
      (_host, port) => (port === 7000 ? oldNode : newNode) as unknown as RedisConnection,
      1000,
    );
    const backend = new ClusterBackend({
      topology: fakeTopology('127.0.0.1:7000'),
      pool,
      table: setGetTable(),
    });
    const result = await new Promise<Reply[] | BackendFailure>((resolve) =>
      backend.atomic([['MULTI'], ['SET', 'k', 'v'], ['EXEC']], resolve),
    );
    expect(result).toEqual(['OK', 'QUEUED', ['OK']]);
    expect(newNode.sent.map((args) => args[0])).toEqual(['MULTI', 'SET', 'EXEC']);
    backend.close();
  });

  it('retries READONLY (a master demoted by a failover) after re-learning the topology, and gives up after 5 tries', async () => {
    let refusals = 1;
    const node = new FakeConnection(() =>
      refusals-- > 0 ? new ReplyError("READONLY You can't write against a read only replica.") : 'OK',
    );
    let refreshes = 0;
    const topology = {
      ...fakeTopology('127.0.0.1:7000'),
      failed: () => {
        refreshes++;
      },
    } as unknown as ClusterTopology;
    const pool = new NodePool(() => node as unknown as RedisConnection, 1000);
    const backend = new ClusterBackend({ topology, pool, table: setGetTable() });
    const send = () =>
      new Promise<Reply[] | BackendFailure>((resolve) => backend.send([['SET', 'k', 'v']], resolve));
    expect(await send()).toEqual(['OK']);
    expect(refreshes).toBeGreaterThan(0);
    expect(node.sent).toHaveLength(2);
    refusals = 100;
    node.sent = [];
    const last = await send();
    expect(last).toEqual([new ReplyError("READONLY You can't write against a read only replica.")]);
    expect(node.sent).toHaveLength(6);
    backend.close();
  }, 10_000);

  it('sends a transaction refused with CLUSTERDOWN again as a whole, at most 5 more times, then answers', async () => {
    const node = new FakeConnection((args) =>
      args[0] === 'MULTI'
        ? 'OK'
        : args[0] === 'EXEC'
          ? new ReplyError('EXECABORT Transaction discarded because of previous errors.')
          : new ReplyError('CLUSTERDOWN The cluster is down'),
    );
    const pool = new NodePool(() => node as unknown as RedisConnection, 1000);
    const backend = new ClusterBackend({
      topology: fakeTopology('127.0.0.1:7000'),
      pool,
      table: setGetTable(),
    });
    const result = await new Promise<Reply[] | BackendFailure>((resolve) =>
      backend.atomic([['MULTI'], ['SET', 'k', 'v'], ['EXEC']], resolve),
    );
    expect(result).toEqual([
      'OK',
      new ReplyError('CLUSTERDOWN The cluster is down'),
      new ReplyError('EXECABORT Transaction discarded because of previous errors.'),
    ]);
    expect(node.sent.filter((args) => args[0] === 'MULTI')).toHaveLength(6);
    backend.close();
  }, 10_000);

  it('holds a command its node could not be reached for until the topology moves it, within holdMs', async () => {
    const dead = new FakeConnection(() => 'never');
    dead.send = (_commands, done) =>
      setImmediate(() => done(new BackendFailure('unavailable', 'connect ECONNREFUSED', false)));
    const promoted = new FakeConnection(() => 'OK');
    let master = '127.0.0.1:7000';
    const topology = {
      ...fakeTopology(master),
      ownerOf: () => ({ master, replicas: [] }),
    } as unknown as ClusterTopology;
    const pool = new NodePool(
      (_host, port) => (port === 7000 ? dead : promoted) as unknown as RedisConnection,
      1000,
    );
    const backend = new ClusterBackend({ topology, pool, table: setGetTable(), holdMs: 2000 });
    const started = Date.now();
    const answer = new Promise<Reply[] | BackendFailure>((resolve) =>
      backend.send([['SET', 'k', 'v']], resolve),
    );
    setTimeout(() => {
      master = '127.0.0.1:7001';
    }, 300);
    expect(await answer).toEqual(['OK']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);

    // A master without replicas cannot be replaced: no wait.
    const unreplicated = {
      ...fakeTopology('127.0.0.1:7000'),
      hasReplicas: () => false,
    } as unknown as ClusterTopology;
    const lone = new ClusterBackend({ topology: unreplicated, pool, table: setGetTable(), holdMs: 2000 });
    const alone = Date.now();
    expect(await new Promise((resolve) => lone.send([['SET', 'k', 'v']], resolve))).toBeInstanceOf(
      BackendFailure,
    );
    expect(Date.now() - alone).toBeLessThan(100);
    lone.close();

    // Nowhere to go within holdMs: the failure, once; and a command that may have run is never held.
    master = '127.0.0.1:7000';
    const short = new ClusterBackend({ topology, pool, table: setGetTable(), holdMs: 300 });
    const before = Date.now();
    const failed = await new Promise<Reply[] | BackendFailure>((resolve) =>
      short.send([['SET', 'k', 'v']], resolve),
    );
    expect(failed).toBeInstanceOf(BackendFailure);
    // Tried again while time was left, answered within holdMs (counted from when it was sent).
    expect(Date.now() - before).toBeGreaterThanOrEqual(150);
    expect(Date.now() - before).toBeLessThanOrEqual(350);
    dead.send = (_commands, done) =>
      setImmediate(() => done(new BackendFailure('unavailable', 'lost; may or may not have run', true)));
    const once = Date.now();
    const inFlight = await new Promise<Reply[] | BackendFailure>((resolve) =>
      short.send([['SET', 'k', 'v']], resolve),
    );
    expect((inFlight as BackendFailure).message).toMatch(/may or may not have run/);
    expect(Date.now() - once).toBeLessThan(100);
    backend.close();
    short.close();
  }, 10_000);

  it('asks the master when a replica cannot be reached for a read', async () => {
    const replica = new FakeConnection(() => 'never');
    replica.send = (_commands, done) =>
      setImmediate(() => done(new BackendFailure('unavailable', 'replica down')));
    const master = new FakeConnection(() => 'from-master');
    const pool = new NodePool(
      (_host, port) => (port === 7000 ? master : replica) as unknown as RedisConnection,
      1000,
    );
    const topology = {
      ...fakeTopology('127.0.0.1:7000'),
      ownerOf: () => ({ master: '127.0.0.1:7000', replicas: ['127.0.0.1:7100'] }),
    } as unknown as ClusterTopology;
    const backend = new ClusterBackend({ topology, pool, table: setGetTable(), replicas: true });
    const result = await new Promise<Reply[] | BackendFailure>((resolve) =>
      backend.send([['GET', 'k']], resolve),
    );
    expect(result).toEqual(['from-master']);
    backend.close();
  });

  it('takes an ACL user as valid only where every master has it on, with the password', () => {
    const getuser = (flags: string[], passwords: string[]): Reply => [
      Buffer.from('flags'),
      flags,
      Buffer.from('passwords'),
      passwords.map((hash) => Buffer.from(hash)),
      Buffer.from('commands'),
      Buffer.from('+@all'),
    ];
    const merge = (replies: Reply[]) => {
      const nodes = replies.map((reply) => new FakeConnection(() => reply));
      let n = 0;
      const pool = new NodePool(() => nodes[n++ % nodes.length] as unknown as RedisConnection, 1000);
      const topology = {
        ...fakeTopology('127.0.0.1:7000'),
        masters: replies.map((_, i) => `127.0.0.1:${7000 + i}`),
      } as unknown as ClusterTopology;
      const backend = new ClusterBackend({ topology, pool, table: setGetTable() });
      return new Promise<Reply[] | BackendFailure>((resolve) =>
        backend.send([['ACL', 'GETUSER', 'app']], resolve),
      );
    };
    return (async () => {
      const same = await merge([getuser(['on'], ['h1', 'h2']), getuser(['on'], ['h2', 'h1'])]);
      expect(same).toEqual([getuser(['on'], ['h1', 'h2'])]);
      const offSomewhere = await merge([getuser(['on'], ['h1']), getuser(['off'], ['h1'])]);
      expect(offSomewhere).toEqual([getuser([], ['h1'])]);
      const changedSomewhere = await merge([getuser(['on'], ['h1']), getuser(['on'], ['h2'])]);
      expect(changedSomewhere).toEqual([getuser(['on'], [])]);
      expect(await merge([getuser(['on'], ['h1']), null])).toEqual([null]);
    })();
  });
});

describe('NodePool', () => {
  it('close() closes the connections of departed nodes still in their grace period', () => {
    vi.useFakeTimers();
    const made: FakeConnection[] = [];
    const pool = new NodePool(() => {
      const connection = new FakeConnection(() => 'OK');
      connection.busy = true;
      made.push(connection);
      return connection as unknown as RedisConnection;
    }, 5000);
    pool.get('127.0.0.1:7000');
    // The node left the cluster while a command was in flight: its connection gets a grace period.
    pool.retain(new Set());
    expect(made[0]!.closed).toBe(0);
    pool.close();
    expect(made[0]!.closed).toBe(1);
    vi.advanceTimersByTime(60_000);
    expect(made[0]!.closed).toBe(1);
  });
});

describe('parseSentinel', () => {
  it('refuses a database number on a Sentinel address', () => {
    // Sentinel answers SELECT with "ERR unknown command 'SELECT'": the handshake fails on every attempt.
    expect(() => parseSentinel(['redis://127.0.0.1:26379/2'], 'mymaster')).toThrow();
  });
});

describe('mastersWithReplicas', () => {
  it('reads CLUSTER NODES: masters with a replica that is not failing', () => {
    const nodes = [
      'aaa 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460',
      'bbb 127.0.0.1:7001@17001 master - 0 0 2 connected 5461-10922',
      'ccc 127.0.0.1:7002@17002 master - 0 0 3 connected 10923-16383',
      'ddd 127.0.0.1:7003@17003 slave aaa 0 0 1 connected',
      'eee 127.0.0.1:7004@17004 slave,fail bbb 0 0 2 disconnected',
      'fff 127.0.0.1:7005@17005 replica ccc 0 0 3 connected',
      '',
    ].join('\n');
    expect([...mastersWithReplicas(nodes)].sort()).toEqual(['aaa', 'ccc']);
  });
});
