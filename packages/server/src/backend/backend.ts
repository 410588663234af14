import type { Arg, Reply } from '../resp/resp.js';

/**
 * Where the executor sends commands: one Redis connection, or a Redis
 * Cluster that routes each command to the node serving its keys.
 */
export interface Backend {
  /**
   * Sends independent commands (a pipeline) and calls `done` with every reply
   * in order. Redis errors are `ReplyError` entries, not failures.
   */
  send(commands: readonly Arg[][], done: BatchCallback): void;
  /**
   * Sends `MULTI`, the commands and `EXEC` as one block, so that nothing runs
   * between them; `done` gets a reply for each, `EXEC`'s last.
   */
  atomic(batch: readonly Arg[][], done: BatchCallback): void;
  /** True while commands wait for replies. */
  readonly busy: boolean;
  /** Redis connections it holds open (or opens on demand): 1, or one per cluster node. */
  readonly connections: number;
  /** The last connection problem, for error messages. */
  readonly lastFailure: string;
  close(): void;
}

/** Why a command got no reply from Redis. */
export class BackendFailure {
  constructor(
    readonly kind: 'unavailable' | 'timeout',
    readonly message: string,
    /**
     * False when the command was surely never written to Redis (no connection
     * could be made), so that sending it elsewhere or later is safe.
     */
    readonly sent = true,
  ) {}
}

/** Called once with every reply of a batch, in order, or with the reason there are none. */
export type BatchCallback = (result: Reply[] | BackendFailure) => void;

/**
 * What a cluster backend needs of the command table (`CommandTable` in
 * protocol): where each command's keys are, to route it to their slot's node.
 */
export interface KeyTable {
  /** True once a `COMMAND` reply has been loaded. */
  readonly ready: boolean;
  /** Replaces the table with what a `COMMAND` reply says. */
  load(reply: Reply): void;
  /** The index of a command's first key, or -1 for none. */
  firstKeyIndex(name: string, args: readonly Arg[]): number;
  /** Where a command's keys are, as argument indexes. */
  keyIndexes(name: string, args: readonly Arg[]): number[];
}
