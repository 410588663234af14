import { RestashError } from './errors.js';
import { parsePubSubEvent } from './protocol/index.js';
import type { Requester } from './requester.js';
import type { Decoder } from './values.js';

/** A message on a subscribed channel (`pattern` is there for pattern subscriptions). */
export interface SubscriptionMessage<TMessage = unknown> {
  channel: string;
  message: TMessage;
  pattern?: string;
}

/** The events of a {@link Subscription} and what their listeners get. */
export interface SubscriptionEvents<TMessage> {
  /** The server confirmed a subscription; `count` is the stream's subscription count. */
  subscribe: { name: string; count: number };
  /** A message on a channel (channel subscriptions). */
  message: SubscriptionMessage<TMessage>;
  /** A message on a channel matching a pattern (pattern subscriptions). */
  pmessage: Required<SubscriptionMessage<TMessage>>;
  /** A stream ended: after `unsubscribe`, or when the server closed it. */
  unsubscribe: { name: string };
  /** A stream failed (HTTP error, network, server closed it). */
  error: RestashError;
}

type Listener<T> = (event: T) => void;

interface Stream {
  controller: AbortController;
  confirmed: boolean;
}

/**
 * Messages from channels (`redis.subscribe`) or patterns (`redis.psubscribe`),
 * received over the server-sent event endpoints, one HTTP stream per name.
 * Listen with `on(…)` or iterate with `for await`; `unsubscribe()` closes the
 * streams (and ends the iteration).
 *
 * @example
 * const sub = redis.subscribe<{ text: string }>('chat');
 * await sub.ready;
 * for await (const { channel, message } of sub) console.log(channel, message.text);
 */
export class Subscription<TMessage = unknown> implements AsyncIterable<SubscriptionMessage<TMessage>> {
  /** Resolves when the server has confirmed every subscription; rejects if one fails first. */
  readonly ready: Promise<void>;
  private readonly streams = new Map<string, Stream>();
  private readonly listeners = new Map<keyof SubscriptionEvents<TMessage>, Set<Listener<never>>>();
  private readonly queue: SubscriptionMessage<TMessage>[] = [];
  private waiting: ((result: IteratorResult<SubscriptionMessage<TMessage>>) => void) | undefined;
  private failWaiting: ((error: unknown) => void) | undefined;
  private failure: RestashError | undefined;
  private settleReady: ((error?: RestashError) => void) | undefined;

  constructor(
    private readonly requester: Requester,
    /** `subscribe` for channels, `psubscribe` for patterns. */
    readonly kind: 'subscribe' | 'psubscribe',
    names: readonly string[],
    private readonly decode: Decoder,
  ) {
    const stream = requester.stream;
    if (!stream) {
      throw new RestashError('unsupported', `${kind}: this requester cannot stream server-sent events`, {
        command: kind.toUpperCase(),
      });
    }
    const list = [...new Set(names)];
    if (list.length === 0 || list.some((name) => typeof name !== 'string' || name.length === 0)) {
      throw new RestashError('invalid-argument', `${kind}: pass one or more non-empty names`, {
        command: kind.toUpperCase(),
      });
    }
    this.ready = new Promise<void>((resolve, reject) => {
      this.settleReady = (error) => {
        this.settleReady = undefined;
        if (error) reject(error);
        else resolve();
      };
    });
    // The caller may never await `ready`; its failure also reaches `error` listeners and iterators.
    this.ready.catch(() => {});
    for (const name of list) this.open(name);
  }

  /** The channels or patterns still subscribed. */
  get names(): string[] {
    return [...this.streams.keys()];
  }

  /** Adds a listener. */
  on<E extends keyof SubscriptionEvents<TMessage>>(
    event: E,
    listener: Listener<SubscriptionEvents<TMessage>[E]>,
  ): this {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return this;
  }

  /** Removes a listener. */
  off<E extends keyof SubscriptionEvents<TMessage>>(
    event: E,
    listener: Listener<SubscriptionEvents<TMessage>[E]>,
  ): this {
    this.listeners.get(event)?.delete(listener as Listener<never>);
    return this;
  }

  /** Closes the streams of `names` (all by default). Once none is left, iteration ends. */
  async unsubscribe(names?: readonly string[]): Promise<void> {
    for (const name of names ?? [...this.streams.keys()]) {
      const stream = this.streams.get(name);
      if (!stream) continue;
      this.streams.delete(name);
      stream.controller.abort();
      this.emit('unsubscribe', { name });
    }
    this.checkReady();
    if (this.streams.size === 0) this.end();
  }

  [Symbol.asyncIterator](): AsyncIterator<SubscriptionMessage<TMessage>> {
    return {
      next: () => {
        const queued = this.queue.shift();
        if (queued) return Promise.resolve({ value: queued, done: false });
        if (this.failure) return Promise.reject(this.failure);
        if (this.streams.size === 0) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.waiting = resolve;
          this.failWaiting = reject;
        });
      },
      return: async () => {
        await this.unsubscribe();
        return { value: undefined, done: true };
      },
    };
  }

  private open(name: string): void {
    const controller = new AbortController();
    this.streams.set(name, { controller, confirmed: false });
    this.pump(name, controller).catch((error: unknown) => {
      if (controller.signal.aborted) return;
      this.fail(
        name,
        error instanceof RestashError
          ? error
          : new RestashError('network', `${this.kind} stream failed: ${String(error)}`, { cause: error }),
      );
    });
  }

  private async pump(name: string, controller: AbortController): Promise<void> {
    const lines = this.requester.stream!({ kind: this.kind, name, signal: controller.signal });
    for await (const data of lines) {
      const event = parsePubSubEvent(data, name);
      if (!event) continue;
      switch (event.type) {
        case 'subscribe':
        case 'psubscribe': {
          const stream = this.streams.get(name);
          if (stream) stream.confirmed = true;
          this.emit('subscribe', { name: event.name, count: event.count });
          this.checkReady();
          break;
        }
        case 'message':
          this.deliver(
            { channel: event.channel, message: this.decode(event.payload) as TMessage },
            'message',
          );
          break;
        case 'pmessage':
          this.deliver(
            {
              pattern: event.pattern,
              channel: event.channel,
              message: this.decode(event.payload) as TMessage,
            },
            'pmessage',
          );
          break;
      }
    }
    if (!controller.signal.aborted) {
      this.fail(
        name,
        new RestashError('network', `the server closed the ${this.kind} stream`, {
          command: this.kind.toUpperCase(),
        }),
      );
    }
  }

  private deliver(message: SubscriptionMessage<TMessage>, event: 'message' | 'pmessage'): void {
    this.emit(event, message as Required<SubscriptionMessage<TMessage>>);
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      this.failWaiting = undefined;
      resolve({ value: message, done: false });
    } else {
      this.queue.push(message);
    }
  }

  private fail(name: string, error: RestashError): void {
    if (!this.streams.delete(name)) return;
    this.failure ??= error;
    this.settleReady?.(error);
    this.emit('error', error);
    this.emit('unsubscribe', { name });
    if (this.failWaiting) {
      const reject = this.failWaiting;
      this.waiting = undefined;
      this.failWaiting = undefined;
      reject(error);
    }
  }

  private checkReady(): void {
    if (!this.settleReady) return;
    for (const stream of this.streams.values()) if (!stream.confirmed) return;
    this.settleReady();
  }

  private end(): void {
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      this.failWaiting = undefined;
      resolve({ value: undefined, done: true });
    }
  }

  private emit<E extends keyof SubscriptionEvents<TMessage>>(
    event: E,
    value: SubscriptionEvents<TMessage>[E],
  ): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of set) (listener as Listener<SubscriptionEvents<TMessage>[E]>)(value);
  }
}
