import type { RestReply } from './protocol/index.js';
import type { WireArg } from './values.js';

/** One command for a {@link Requester}: its arguments, name first. */
export interface RequesterCommand {
  readonly args: readonly WireArg[];
  /** Return every string of this command's result as exact bytes (`Uint8Array`) instead of text. */
  readonly bytes?: boolean;
}

/** What to send: one command (`POST /`), a pipeline (`/pipeline`) or a transaction (`/multi-exec`). */
export interface RequesterRequest {
  readonly kind: 'command' | 'pipeline' | 'transaction';
  readonly commands: readonly RequesterCommand[];
  /** Abort the request. */
  readonly signal?: AbortSignal | undefined;
  /** Give up after this many milliseconds (`timeout` error). */
  readonly timeout?: number | undefined;
  /** False when the request must not be sent twice (no retry after a network error). @default true */
  readonly retry?: boolean | undefined;
}

/** What to stream: the server-sent events of `/subscribe/<name>` or `/psubscribe/<name>`. */
export interface StreamRequest {
  readonly kind: 'subscribe' | 'psubscribe';
  /** The channel or pattern. */
  readonly name: string;
  /** Aborting it closes the stream. */
  readonly signal: AbortSignal;
}

/**
 * The transport under {@link Redis}. The HTTP implementation is the default;
 * tests and special runtimes may pass their own.
 *
 * Contract: `request` resolves with exactly one reply per command, in order —
 * `{ result }` with strings as text (or bytes when the command asks), numbers,
 * `null` and arrays as Redis sent them, or `{ error }` with Redis's text when that
 * command failed. It rejects with a `RestashError` when the request as a whole
 * failed (HTTP status, network, timeout, abort, a discarded transaction).
 *
 * @example
 * const requester: Requester = {
 *   async request({ commands }) {
 *     return commands.map(() => ({ result: 'OK' }));
 *   },
 * };
 * const redis = new Redis({ requester });
 */
export interface Requester {
  request(request: RequesterRequest): Promise<RestReply[]>;
  /**
   * Yields the data of each server-sent event (the text after `data: `), and
   * throws a `RestashError` if the server ends the stream with an `error` event.
   * Aborting the request's signal must close the stream. Needed for pub/sub.
   */
  stream?(request: StreamRequest): AsyncIterable<string>;
  /** The read-your-writes token: the last one the server sent, sent back with every request. */
  syncToken?: string;
}
