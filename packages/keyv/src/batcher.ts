import type { KeyvRestashClient } from './store.js';

type Arg = string | number;

interface Queued {
  args: readonly Arg[];
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

const schedule: (callback: () => void) => void =
  typeof setImmediate === 'function'
    ? (callback) => setImmediate(callback)
    : (callback) => setTimeout(callback, 0);

/**
 * Sends the commands issued during one turn of the event loop as one pipeline.
 *
 * `@restash/core` auto-pipelines commands issued in the same tick. A server
 * handles each incoming request in a tick of its own, so concurrent requests'
 * cache reads would each cost an HTTP request; waiting until the loop's check
 * phase (`setImmediate`) gathers the reads of every request that arrived in the
 * same poll, which is what makes a cache over HTTP keep up with one over TCP.
 * If the pipeline fails, each command is sent again on its own, so every caller
 * gets its own result or error.
 */
export class Batcher {
  #queue: Queued[] = [];
  #scheduled = false;
  #inFlight = 0;

  /**
   * @param maxSize most commands in one request
   * @param maxInFlight most requests awaiting their answer; commands issued
   * meanwhile wait for one to come back and go out together, so under load
   * the batches grow instead of the number of requests
   */
  constructor(
    private readonly client: KeyvRestashClient,
    private readonly maxSize = 500,
    private readonly maxInFlight = 2,
  ) {}

  /** Queues one command; resolves with its raw reply. */
  send(args: readonly Arg[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ args, resolve, reject });
      if (this.#queue.length >= this.maxSize) {
        this.#flush();
      } else if (!this.#scheduled) {
        this.#scheduled = true;
        schedule(() => {
          this.#scheduled = false;
          if (this.#inFlight < this.maxInFlight) this.#flush();
        });
      }
    });
  }

  #flush(): void {
    const batch = this.#queue.splice(0, this.maxSize);
    if (batch.length === 0) return;
    this.#inFlight++;
    const done = () => {
      this.#inFlight--;
      if (this.#queue.length > 0 && !this.#scheduled) this.#flush();
    };
    if (batch.length === 1) {
      const [only] = batch as [Queued];
      this.client.sendCommand(only.args).then(only.resolve, only.reject).finally(done);
      return;
    }
    const pipeline = this.client.pipeline();
    for (const { args } of batch) pipeline.sendCommand(args);
    pipeline
      .exec()
      .then(
        (results) => {
          for (let i = 0; i < batch.length; i++) batch[i]?.resolve(results[i]);
        },
        () => {
          // One command failed (or the request did): send each on its own so every caller gets its own answer.
          for (const { args, resolve, reject } of batch) this.client.sendCommand(args).then(resolve, reject);
        },
      )
      .finally(done);
  }
}
