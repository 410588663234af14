/**
 * Stand-ins for the cluster backend's unit tests (not part of the server):
 * node connections that answer from a function, and topologies fixed in code.
 */

import type { BatchCallback } from '../src/backend/backend.js';
import type { ClusterTopology } from '../src/backend/cluster/topology.js';
import { CommandTable } from '../src/protocol/commands.js';
import type { Arg, Reply } from '../src/resp/resp.js';

/** A node connection that answers every command with `answer(args)`, on the next turn. */
export class FakeConnection {
  busy = false;
  ready = true;
  failing = false;
  closed = 0;
  sent: Arg[][] = [];
  constructor(readonly answer: (args: Arg[]) => Reply = () => 'v') {}
  send(commands: readonly Arg[][], done: BatchCallback): void {
    this.sent.push(...commands);
    setImmediate(() => done(commands.map((args) => this.answer(args))));
  }
  atomic(batch: readonly Arg[][], done: BatchCallback): void {
    this.send(batch, done);
  }
  close(): void {
    this.closed++;
  }
}

/**
 * A topology with one master serving every slot, all of its members
 * replaceable; `overrides` replace members (getters stay getters).
 */
export function fakeTopology(master: string, overrides: object = {}): ClusterTopology {
  const topology = {
    ownerOf: () => ({ master, replicas: [] }),
    masters: [master],
    anyMaster: () => master,
    ready: true,
    lastFailure: 'no failure',
    moved: () => {},
    failed: () => {},
    track: () => {},
    untrack: () => {},
    hasReplicas: () => true,
  };
  return Object.defineProperties(
    topology,
    Object.getOwnPropertyDescriptors(overrides),
  ) as unknown as ClusterTopology;
}

/** The key positions of SET and GET, as `COMMAND` reports them. */
export function setGetTable(): CommandTable {
  const table = new CommandTable();
  table.load([
    ['set', -3, ['write'], 1, 1, 1, ['@write'], [], [], []],
    ['get', 2, ['readonly'], 1, 1, 1, ['@read'], [], [], []],
  ]);
  return table;
}
