import type { CommandSpec } from './command.js';
import type { RestReply } from './protocol/index.js';
import type { Requester } from './requester.js';
import { strictUtf8 } from './values.js';

interface Waiting {
  spec: CommandSpec;
  resolve: (reply: RestReply | undefined) => void;
  reject: (error: unknown) => void;
}

/**
 * Gathers commands issued in the same turn of the event loop into one
 * `/pipeline` request. Each caller gets its own reply (or the request's
 * error); order is preserved. A batch never exceeds `maxSize` commands.
 */
export class AutoPipeline {
  private queue: Waiting[] = [];
  private scheduled = false;
  /** How many requests have been sent. */
  requests = 0;

  constructor(
    private readonly requester: Requester,
    private readonly maxSize: number,
    private readonly retryable: (specs: readonly CommandSpec[]) => boolean,
  ) {}

  /** Queues a command; resolves with its reply. */
  add(spec: CommandSpec): Promise<RestReply | undefined> {
    return new Promise((resolve, reject) => {
      if (needsOwnRequest(spec)) {
        this.send([{ spec, resolve, reject }]);
        return;
      }
      this.queue.push({ spec, resolve, reject });
      if (this.queue.length >= this.maxSize) {
        this.flush();
      } else if (!this.scheduled) {
        this.scheduled = true;
        // Two microtask hops let callers that await once more still join this batch.
        queueMicrotask(() => queueMicrotask(this.flush));
      }
    });
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.send(batch);
  };

  private send(batch: Waiting[]): void {
    const specs = batch.map((waiting) => waiting.spec);
    this.requests++;
    this.requester
      .request({
        kind: batch.length === 1 ? 'command' : 'pipeline',
        commands: specs,
        retry: this.retryable(specs),
      })
      .then(
        (replies) => {
          for (let i = 0; i < batch.length; i++) batch[i]!.resolve(replies[i]);
        },
        (error: unknown) => {
          for (const waiting of batch) waiting.reject(error);
        },
      );
  }
}

/** Bytes that are not UTF-8 can only travel in a request of their own (the path form). */
function needsOwnRequest(spec: CommandSpec): boolean {
  for (const arg of spec.args) {
    if (arg instanceof Uint8Array && strictUtf8(arg) === undefined) return true;
  }
  return false;
}
