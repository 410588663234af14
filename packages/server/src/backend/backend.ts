import type { BatchCallback } from './connection.js';
import type { Arg } from './resp.js';

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
