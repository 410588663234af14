/** A listener of {@link Emitter}. */
export type Listener = (...args: unknown[]) => void;

/**
 * The few event-emitter methods Keyv calls on a store (`on('error', …)`),
 * without `node:events`, so the store runs in edge runtimes and browsers too.
 * Unlike Node's emitter, an `error` with no listener is dropped, not thrown:
 * a cache that fails must not crash the process (Keyv behaves the same).
 */
export class Emitter {
  readonly #listeners = new Map<string, Listener[]>();

  /** Adds a listener. */
  on(event: string, listener: Listener): this {
    const list = this.#listeners.get(event);
    if (list) list.push(listener);
    else this.#listeners.set(event, [listener]);
    return this;
  }

  /** Adds a listener called at most once. */
  once(event: string, listener: Listener): this {
    const wrapper: Listener = (...args) => {
      this.off(event, wrapper);
      listener(...args);
    };
    return this.on(event, wrapper);
  }

  /** Removes a listener. */
  off(event: string, listener: Listener): this {
    const list = this.#listeners.get(event);
    const index = list?.indexOf(listener) ?? -1;
    if (list && index !== -1) list.splice(index, 1);
    return this;
  }

  /** Calls every listener of `event`; returns whether there was one. */
  emit(event: string, ...args: unknown[]): boolean {
    const list = this.#listeners.get(event);
    if (!list || list.length === 0) return false;
    for (const listener of [...list]) listener(...args);
    return true;
  }

  /** How many listeners `event` has. */
  listenerCount(event: string): number {
    return this.#listeners.get(event)?.length ?? 0;
  }
}
