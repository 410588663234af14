import { Redis, type RedisOptions } from '@restash/core';
import { Batcher } from './batcher.js';
import { Emitter } from './emitter.js';
import { KeyvRestashError } from './errors.js';

/** A command argument as the store sends it. */
type Arg = string | number;

/**
 * What the store needs from a client: `sendCommand` and `pipeline()` of a
 * `@restash/core` `Redis` (any deserialization mode: the store reads raw
 * replies). Any object with these two methods works, e.g. a test double.
 */
export interface KeyvRestashClient {
  sendCommand(args: readonly Arg[]): Promise<unknown>;
  pipeline(): { sendCommand(args: readonly Arg[]): unknown; exec(): Promise<unknown[]> };
}

/** Options of {@link KeyvRestash}. */
export interface KeyvRestashOptions {
  /**
   * Prefix of every key (`namespace + keyPrefixSeparator + key`). Keyv sets it
   * from its own `namespace` option; `clear()` and `iterator()` keep to it.
   * @default undefined (keys are stored as given)
   */
  namespace?: string | undefined;
  /** @default '::' */
  keyPrefixSeparator?: string;
  /** Keys per SCAN page and per UNLINK in `clear()`. @default 1000 */
  clearBatchSize?: number;
  /** Delete with UNLINK (Redis frees memory in the background) rather than DEL. @default true */
  useUnlink?: boolean;
  /**
   * Without a namespace, `clear()` runs FLUSHDB and `iterator()` walks every
   * key. When false, they only touch keys that hold no `keyPrefixSeparator`.
   * @default false
   */
  noNamespaceAffectsAll?: boolean;
  /** Throw errors from store methods as well as emitting them. @default false */
  throwOnErrors?: boolean;
  /**
   * Send the single-key commands (`get`, `set`, `has`, `delete`) issued during
   * one turn of the event loop as one request, with at most two requests in
   * flight (commands issued meanwhile go out together). A server handles each
   * incoming request in its own tick, where the client's auto-pipelining
   * cannot batch them; this is what keeps a busy server's cache reads to a few
   * HTTP requests. `false` sends each at once (still auto-pipelined within a tick).
   * @default true
   */
  batch?: boolean;
}

/** The store's options after defaults, as Keyv reads them from `store.opts`. */
export interface KeyvRestashResolvedOptions extends Required<Omit<KeyvRestashOptions, 'namespace'>> {
  /** Keyv enables `keyv.iterator()` for stores whose dialect it knows. */
  dialect: 'redis';
  /** The server URL when the store made its own client, else `''`. */
  url: string;
}

/** One entry of `setMany`. */
export interface KeyvRestashEntry {
  key: string;
  value: unknown;
  /** Milliseconds; absent or 0 means no expiry. */
  ttl?: number | undefined;
}

const GLOB_SPECIAL = /[*?[\]\\]/g;

/**
 * A Keyv 5 store (`KeyvStoreAdapter`) over the Upstash-compatible REST API.
 * Values are stored as the exact strings Keyv serializes, TTLs are in
 * milliseconds (`SET … PX`), `getMany`/`setMany`/`hasMany`/`deleteMany` are one
 * request each, `clear()` and `iterator()` keep to the namespace. Failures are
 * emitted as `error` events (Keyv re-emits them) and return a miss or `false`,
 * unless `throwOnErrors`.
 *
 * Use {@link createKeyv} for a ready `Keyv` without double key prefixes.
 *
 * @example
 * import Keyv from 'keyv';
 * import { Redis } from '@restash/core';
 * import { KeyvRestash } from '@restash/keyv';
 *
 * const store = new KeyvRestash(new Redis({ url, token }), { namespace: 'app' });
 * const keyv = new Keyv({ store, namespace: 'app', useKeyPrefix: false });
 * await keyv.set('user:1', { name: 'Ada' }, 60_000);
 */
export class KeyvRestash extends Emitter {
  /** The client the store sends commands with. */
  readonly client: KeyvRestashClient;
  /** The resolved options; Keyv reads `opts.dialect`. */
  readonly opts: KeyvRestashResolvedOptions;
  #namespace: string | undefined;
  readonly #batcher: Batcher | undefined;

  constructor(client: KeyvRestashClient | RedisOptions, options: KeyvRestashOptions = {}) {
    super();
    if (client === null || typeof client !== 'object') {
      throw new KeyvRestashError(
        'config',
        'new KeyvRestash(client): pass a @restash/core Redis or { url, token }',
      );
    }
    const separator = options.keyPrefixSeparator ?? '::';
    if (typeof separator !== 'string') {
      throw new KeyvRestashError('config', `keyPrefixSeparator: must be a string, got ${typeof separator}`);
    }
    const batch = options.clearBatchSize ?? 1000;
    if (!Number.isInteger(batch) || batch < 1) {
      throw new KeyvRestashError('config', `clearBatchSize: must be an integer ≥ 1, got ${String(batch)}`);
    }
    if (options.namespace !== undefined && typeof options.namespace !== 'string') {
      throw new KeyvRestashError('config', `namespace: must be a string, got ${typeof options.namespace}`);
    }
    const made = !isClient(client);
    this.client = made
      ? (new Redis({ ...client, automaticDeserialization: false }) as KeyvRestashClient)
      : (client as KeyvRestashClient);
    this.#namespace = options.namespace;
    this.opts = {
      dialect: 'redis',
      url: made ? String((client as RedisOptions).url ?? '') : '',
      keyPrefixSeparator: separator,
      clearBatchSize: batch,
      useUnlink: options.useUnlink ?? true,
      noNamespaceAffectsAll: options.noNamespaceAffectsAll ?? false,
      throwOnErrors: options.throwOnErrors ?? false,
      batch: options.batch ?? true,
    };
    this.#batcher = this.opts.batch ? new Batcher(this.client) : undefined;
  }

  /**
   * Sends one raw command through the store's batching (see the `batch`
   * option) and resolves with its untransformed reply. For code that shares
   * the store's client, such as `@restash/nestjs`.
   *
   * @example
   * await store.send(['GET', store.createKeyPrefix('k')]);
   */
  send(args: readonly Arg[]): Promise<unknown> {
    return this.#batcher ? this.#batcher.send(args) : this.client.sendCommand(args);
  }

  /** The key prefix (Keyv assigns it from its own `namespace`). */
  get namespace(): string | undefined {
    return this.#namespace;
  }

  set namespace(namespace: string | undefined) {
    this.#namespace = namespace || undefined;
  }

  /**
   * The key as stored in Redis: `namespace + keyPrefixSeparator + key`, or
   * `key` without a namespace.
   *
   * @example
   * new KeyvRestash(redis, { namespace: 'app' }).createKeyPrefix('user:1'); // 'app::user:1'
   */
  createKeyPrefix(key: string, namespace: string | undefined = this.#namespace): string {
    return namespace ? `${namespace}${this.opts.keyPrefixSeparator}${key}` : key;
  }

  /** The inverse of {@link createKeyPrefix}. */
  getKeyWithoutPrefix(key: string, namespace: string | undefined = this.#namespace): string {
    const prefix = namespace ? `${namespace}${this.opts.keyPrefixSeparator}` : '';
    return prefix && key.startsWith(prefix) ? key.slice(prefix.length) : key;
  }

  /** The stored (serialized) value of `key`, or `undefined`. */
  async get(key: string): Promise<string | undefined> {
    try {
      const value = await this.send(['GET', this.createKeyPrefix(key)]);
      return typeof value === 'string' ? value : undefined;
    } catch (error) {
      return this.fail('GET', error, undefined);
    }
  }

  /** The stored values of `keys`, in order (`undefined` for a missing key), in one MGET. */
  async getMany(keys: string[]): Promise<Array<string | undefined>> {
    if (keys.length === 0) return [];
    try {
      const values = (await this.client.sendCommand([
        'MGET',
        ...keys.map((key) => this.createKeyPrefix(key)),
      ])) as unknown[];
      return values.map((value) => (typeof value === 'string' ? value : undefined));
    } catch (error) {
      return this.fail(
        'MGET',
        error,
        keys.map(() => undefined),
      );
    }
  }

  /** Stores `value` (a string from Keyv's serializer) for `ttl` milliseconds (none when absent or 0). */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    let args: Arg[];
    try {
      args = ['SET', this.createKeyPrefix(key), toText(value), ...expiryArgs(ttl)];
    } catch (error) {
      return this.fail('SET', error, false);
    }
    try {
      await this.send(args);
      return true;
    } catch (error) {
      return this.fail('SET', error, false);
    }
  }

  /** Stores every entry (each with its own TTL) in one pipelined request. */
  async setMany(entries: KeyvRestashEntry[]): Promise<boolean[]> {
    if (entries.length === 0) return [];
    const pipeline = this.client.pipeline();
    try {
      for (const { key, value, ttl } of entries) {
        pipeline.sendCommand(['SET', this.createKeyPrefix(key), toText(value), ...expiryArgs(ttl)]);
      }
    } catch (error) {
      return this.fail(
        'SET',
        error,
        entries.map(() => false),
      );
    }
    try {
      await pipeline.exec();
      return entries.map(() => true);
    } catch (error) {
      return this.fail(
        'PIPELINE',
        error,
        entries.map(() => false),
      );
    }
  }

  /** Whether `key` exists. */
  async has(key: string): Promise<boolean> {
    try {
      return (await this.send(['EXISTS', this.createKeyPrefix(key)])) === 1;
    } catch (error) {
      return this.fail('EXISTS', error, false);
    }
  }

  /** Whether each key exists, in one pipelined request. */
  async hasMany(keys: string[]): Promise<boolean[]> {
    if (keys.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const key of keys) pipeline.sendCommand(['EXISTS', this.createKeyPrefix(key)]);
    try {
      return (await pipeline.exec()).map((count) => count === 1);
    } catch (error) {
      return this.fail(
        'PIPELINE',
        error,
        keys.map(() => false),
      );
    }
  }

  /** Deletes `key`; resolves with whether it existed. */
  async delete(key: string): Promise<boolean> {
    try {
      return (await this.send([this.deleteCommand, this.createKeyPrefix(key)])) === 1;
    } catch (error) {
      return this.fail(this.deleteCommand, error, false);
    }
  }

  /** Deletes `keys` in one command; resolves with whether any existed. */
  async deleteMany(keys: string[]): Promise<boolean> {
    if (keys.length === 0) return false;
    try {
      const count = await this.client.sendCommand([
        this.deleteCommand,
        ...keys.map((key) => this.createKeyPrefix(key)),
      ]);
      return typeof count === 'number' && count > 0;
    } catch (error) {
      return this.fail(this.deleteCommand, error, false);
    }
  }

  /**
   * Deletes every key of the namespace (SCAN + UNLINK in batches of
   * `clearBatchSize`, each batch's delete sent along with the next SCAN).
   * Without a namespace: every key without the separator, or FLUSHDB with
   * `noNamespaceAffectsAll`.
   */
  async clear(): Promise<void> {
    try {
      if (!this.#namespace && this.opts.noNamespaceAffectsAll) {
        await this.client.sendCommand(['FLUSHDB']);
        return;
      }
      const deletes: Promise<unknown>[] = [];
      for await (const keys of this.scanPages(this.#namespace)) {
        // Not awaited here: auto-pipelining sends it together with the next SCAN.
        if (keys.length > 0) deletes.push(this.client.sendCommand([this.deleteCommand, ...keys]));
      }
      await Promise.all(deletes);
    } catch (error) {
      this.fail('SCAN', error, undefined);
    }
  }

  /**
   * Every `[key, storedValue]` of `namespace` (Keyv passes its own), one SCAN
   * page and one MGET at a time. Keys expired between the two are skipped.
   */
  async *iterator(namespace: string | undefined = this.#namespace): AsyncGenerator<[string, string], void> {
    try {
      for await (const keys of this.scanPages(namespace)) {
        if (keys.length === 0) continue;
        const values = (await this.client.sendCommand(['MGET', ...keys])) as unknown[];
        for (let i = 0; i < keys.length; i++) {
          const value = values[i];
          if (typeof value === 'string')
            yield [this.getKeyWithoutPrefix(keys[i] as string, namespace), value];
        }
      }
    } catch (error) {
      this.fail('SCAN', error, undefined);
    }
  }

  /** Nothing to close: the client holds no connection of its own (HTTP keep-alive is pooled by `fetch`). */
  async disconnect(): Promise<void> {}

  private get deleteCommand(): 'UNLINK' | 'DEL' {
    return this.opts.useUnlink ? 'UNLINK' : 'DEL';
  }

  /** SCAN pages of the namespace's string keys. */
  private async *scanPages(namespace: string | undefined): AsyncGenerator<string[], void> {
    const separator = this.opts.keyPrefixSeparator;
    const match = namespace ? `${escapeGlob(namespace)}${escapeGlob(separator)}*` : '*';
    const onlyBare = !namespace && !this.opts.noNamespaceAffectsAll && separator !== '';
    let cursor = '0';
    do {
      const reply = (await this.client.sendCommand([
        'SCAN',
        cursor,
        'MATCH',
        match,
        'COUNT',
        this.opts.clearBatchSize,
        'TYPE',
        'string',
      ])) as [string | number, string[]];
      cursor = String(reply[0]);
      yield onlyBare ? reply[1].filter((key) => !key.includes(separator)) : reply[1];
    } while (cursor !== '0');
  }

  /** Emits the failure and throws it with `throwOnErrors`; otherwise resolves with `fallback`. */
  private fail<T>(command: string, error: unknown, fallback: T): T {
    const wrapped =
      error instanceof KeyvRestashError
        ? error
        : new KeyvRestashError('command', `${command} failed: ${messageOf(error)}`, { cause: error });
    this.emit('error', wrapped);
    if (this.opts.throwOnErrors) throw wrapped;
    return fallback;
  }
}

/**
 * `PX` arguments for a relative TTL in milliseconds. Keyv 6 adds absolute
 * `expires` timestamps; they will map to `PXAT` here and nowhere else.
 */
function expiryArgs(ttl: number | undefined): Arg[] {
  if (ttl === undefined || ttl === null || ttl === 0) return [];
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) {
    throw new KeyvRestashError(
      'invalid-argument',
      `ttl: must be a positive number of milliseconds, got ${String(ttl)}`,
    );
  }
  return ['PX', Math.max(1, Math.ceil(ttl))];
}

function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  // Keyv always hands over a string; anything else comes from a direct call.
  if (value === undefined) {
    throw new KeyvRestashError('invalid-argument', 'value: undefined cannot be stored');
  }
  return JSON.stringify(value);
}

function escapeGlob(text: string): string {
  return text.replace(GLOB_SPECIAL, (c) => `\\${c}`);
}

function isClient(value: object): value is KeyvRestashClient {
  return typeof (value as Partial<KeyvRestashClient>).sendCommand === 'function';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
