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
 * error); order is preserved. A batch never exceeds `maxSize` commands: a
 * larger burst, or one holding a command that needs a request of its own,
 * goes out as several requests, each sent once the one before it has been
 * answered, so that later commands of the burst cannot overtake earlier ones.
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
      this.queue.push({ spec, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // Two microtask hops let callers that await once more still join this batch.
        queueMicrotask(() => queueMicrotask(this.flush));
      }
    });
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const queue = this.queue;
    this.queue = [];
    const batches: Waiting[][] = [];
    let batch: Waiting[] = [];
    for (const waiting of queue) {
      if (needsOwnRequest(waiting.spec)) {
        if (batch.length > 0) batches.push(batch);
        batches.push([waiting]);
        batch = [];
        continue;
      }
      batch.push(waiting);
      if (batch.length === this.maxSize) {
        batches.push(batch);
        batch = [];
      }
    }
    if (batch.length > 0) batches.push(batch);
    let previous: Promise<void> | undefined;
    for (const next of batches) {
      previous = previous ? previous.then(() => this.send(next)) : this.send(next);
    }
  };

  /** Sends one batch; resolves (never rejects) once it has been answered. */
  private send(batch: Waiting[]): Promise<void> {
    const specs = batch.map((waiting) => waiting.spec);
    this.requests++;
    let sent: Promise<RestReply[]>;
    try {
      sent = this.requester.request({
        kind: batch.length === 1 ? 'command' : 'pipeline',
        commands: specs,
        retry: this.retryable(specs),
      });
    } catch (error) {
      sent = Promise.reject(error);
    }
    return sent.then(
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
