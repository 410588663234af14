import { AutoPipeline } from './auto-pipeline.js';
import type { CommandSpec, PromiseKind, WidePromiseKind } from './command.js';
import { type Commands, commandTable, namespaceTables } from './commands/index.js';
import type { ScanOptions } from './commands/scan.js';
import type { ScoreMember } from './commands/sorted-sets.js';
import { RestashError } from './errors.js';
import { checkTimeout, HttpRequester, type HttpRequesterOptions, type RetryOptions } from './http.js';
import { finish, type IntegerMode, Pipeline, type PipelineHost, rawSpec } from './pipeline.js';
import type { RestReply } from './protocol/index.js';
import type { Requester, RequesterRequest } from './requester.js';
import { Script, type ScriptOptions } from './script.js';
import { Subscription } from './subscription.js';
import { type Decoder, deserializeValue, type Key, rawValue } from './values.js';

/** Options of {@link Redis}. */
export interface RedisOptions extends Omit<HttpRequesterOptions, 'url' | 'token' | 'retry'> {
  /** Base URL of the REST server (`http(s)://…`). Required unless `requester` is given. */
  url?: string;
  /** Bearer token. Required unless `requester` is given. */
  token?: string;
  /** A transport of your own instead of HTTP (tests, special runtimes); `url`, `token` and the HTTP options are then ignored. */
  requester?: Requester;
  /**
   * JSON-parse stored values in replies (and JSON-stringify objects you store), as
   * `@upstash/redis` does. `false` is raw mode: values come back as the exact strings stored.
   * @default true
   */
  automaticDeserialization?: boolean;
  /** Send commands issued in the same tick as one `/pipeline` request. @default true */
  enableAutoPipelining?: boolean;
  /** Log how long each request took with `console.log` (as `@upstash/redis` does). @default false */
  latencyLogging?: boolean;
  /**
   * Accepted so that `@upstash/redis` options compile unchanged. Not needed here:
   * Restash sends no telemetry, so it has no effect.
   */
  enableTelemetry?: boolean;
  /**
   * Accepted so that `@upstash/redis` options compile unchanged. Not needed here:
   * `fetch` keeps connections alive by itself and takes no Node agent; for a
   * proxy or custom connection handling, pass `{ fetch }`. Ignored.
   */
  agent?: unknown;
  /** Most commands in one auto-pipelined request. @default 1000 */
  maxPipelineSize?: number;
  /**
   * Retries after network errors (never after an HTTP answer), or `false`.
   * With `idempotentOnly`, commands that could apply twice (INCR, LPUSH, EVAL…) are never retried.
   * @default { retries: 5, backoff: (attempt) => Math.exp(attempt) * 50, idempotentOnly: false }
   */
  retry?: (RetryOptions & { idempotentOnly?: boolean }) | false;
}

/** Per-call options, applied with `redis.with(…)`. */
export interface CallOptions {
  /** Abort the calls made through this view. */
  signal?: AbortSignal;
  /** Fail calls that take longer than this, in milliseconds. */
  timeout?: number;
  /**
   * Integers in replies beyond `Number.MAX_SAFE_INTEGER` (±9007199254740991):
   * `'error'` fails the call with an `unsafe-integer` error, because a `number`
   * would be silently rounded; `'bigint'` returns them as `bigint` and `'string'`
   * as their exact digits (the view's result types then say `number | bigint` or
   * `number | string`). Smaller integers stay numbers. Does not stop auto-pipelining.
   * @default 'error'
   */
  integers?: IntegerMode;
}

/**
 * A view of {@link Redis} made by `redis.with({ integers: 'bigint' | 'string' })`:
 * the same methods, with `TBig` beside every `number` in their result types.
 */
export type RedisView<TValue, TBig> = Omit<
  Redis<TValue>,
  keyof Commands<PromiseKind, TValue> | 'pipeline' | 'multi' | 'with'
> &
  Commands<WidePromiseKind<TBig>, TValue> & {
    /** A pipeline whose results are widened like the view's. */
    pipeline(): Pipeline<[], TValue, TBig>;
    /** A transaction whose results are widened like the view's. */
    multi(): Pipeline<[], TValue, TBig>;
    with(options: CallOptions): RedisView<TValue, TBig>;
  };

/**
 * A middleware around every request the client sends (as `redis.use` in
 * `@upstash/redis`, but on the client's own request shape): it may look at or
 * change the request, call `next`, and look at or change the replies.
 *
 * @example
 * redis.use(async (request, next) => {
 *   const started = Date.now();
 *   try {
 *     return await next(request);
 *   } finally {
 *     console.log(request.kind, request.commands.length, Date.now() - started);
 *   }
 * });
 */
export type Middleware = (
  request: RequesterRequest,
  next: (request: RequesterRequest) => Promise<RestReply[]>,
) => Promise<RestReply[]>;

/** Environment variables, for runtimes without `process.env` (Cloudflare Workers pass them to the handler). */
export type Env = Record<string, string | undefined>;

/** Commands that may apply twice if a request is re-sent after a lost answer. */
const NOT_IDEMPOTENT = new Set([
  'APPEND',
  'BITFIELD',
  'DECR',
  'DECRBY',
  'EVAL',
  'EVALSHA',
  'FCALL',
  'GETDEL',
  'GETEX',
  'GETSET',
  'HGETDEL',
  'HINCRBY',
  'HINCRBYFLOAT',
  'INCR',
  'INCRBY',
  'INCRBYFLOAT',
  'LINSERT',
  'LMOVE',
  'LMPOP',
  'LPOP',
  'LPUSH',
  'LPUSHX',
  'LREM',
  'PUBLISH',
  'RENAME',
  'RENAMENX',
  'RPOP',
  'RPOPLPUSH',
  'RPUSH',
  'RPUSHX',
  'SMOVE',
  'SPOP',
  'SPUBLISH',
  'XADD',
  'XAUTOCLAIM',
  'XCLAIM',
  'XREADGROUP',
  'ZINCRBY',
  'ZMPOP',
  'ZPOPMAX',
  'ZPOPMIN',
  'ZREMRANGEBYRANK',
]);

/**
 * A Redis client over the Upstash-compatible REST API: a typed method for
 * every command, pipelines, transactions, scripts, scan iterators and pub/sub.
 * Uses only `fetch` and web APIs: Node 20+, edge runtimes and browsers.
 *
 * `TValue` is the default type of stored values in replies (`unknown`; use
 * `string` with `automaticDeserialization: false`).
 *
 * @example
 * const redis = new Redis({ url: 'http://127.0.0.1:8079', token: 'secret' });
 * await redis.set('greeting', { hello: 'world' }, { ex: 60 });
 * const value = await redis.get<{ hello: string }>('greeting');
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the command methods are installed on the prototype below, from the command tables.
export class Redis<TValue = unknown> implements PipelineHost {
  /** The transport. */
  readonly requester: Requester;
  /** @internal Applies automatic deserialization (or not). */
  readonly decode: Decoder;
  /** @internal Options of a view made by `with`. */
  readonly callOptions: Omit<CallOptions, 'integers'> | undefined;
  /** @internal What integers beyond 2^53 become (set with `with({ integers })`). */
  readonly integers: IntegerMode;
  private readonly batcher: AutoPipeline | undefined;
  private readonly middlewares: Middleware[];
  private readonly latencyLogging: boolean;
  private readonly idempotentOnly: boolean;

  constructor(options: RedisOptions) {
    if (options === null || typeof options !== 'object') {
      throw new RestashError('config', 'new Redis(options): pass { url, token } or { requester }');
    }
    this.requester =
      options.requester ??
      new HttpRequester({
        ...options,
        url: options.url as string,
        token: options.token as string,
        retry: options.retry === false ? false : options.retry,
      });
    this.decode = options.automaticDeserialization === false ? rawValue : deserializeValue;
    this.idempotentOnly = options.retry !== false && options.retry?.idempotentOnly === true;
    this.callOptions = undefined;
    this.integers = 'error';
    const maxSize = options.maxPipelineSize ?? 1000;
    if (!Number.isInteger(maxSize) || maxSize < 1) {
      throw new RestashError('config', `maxPipelineSize: must be an integer ≥ 1, got ${String(maxSize)}`);
    }
    this.batcher =
      options.enableAutoPipelining === false
        ? undefined
        : new AutoPipeline({ request: (request) => this.send(request) }, maxSize, (specs) =>
            this.retryable(specs),
          );
    this.middlewares = [];
    this.latencyLogging = options.latencyLogging === true;
  }

  /**
   * A client from environment variables: `RESTASH_URL` and `RESTASH_TOKEN`, or
   * else `UPSTASH_REDIS_REST_URL` and `UPSTASH_REDIS_REST_TOKEN` (so an app
   * written for Upstash switches by changing nothing but its environment).
   * Pass `env` where there is no `process.env`.
   *
   * @example
   * const redis = Redis.fromEnv();
   * // Cloudflare Workers: the variables arrive as the handler's `env`
   * export default {
   *   async fetch(request: Request, env: { RESTASH_URL: string; RESTASH_TOKEN: string }) {
   *     return Response.json(await Redis.fromEnv({ env }).get('k'));
   *   },
   * };
   */
  static fromEnv<TValue = unknown>(
    options: Omit<RedisOptions, 'url' | 'token'> & { env?: Env | object } = {},
  ): Redis<TValue> {
    const { env: given, ...rest } = options;
    // Any object of variables: a Worker's `env` is typed by an interface of its own, without an index signature.
    const env = (given ?? (globalThis as { process?: { env?: Env } }).process?.env) as Env | undefined;
    if (!env) {
      throw new RestashError(
        'config',
        'fromEnv: this runtime has no process.env; pass { env } (e.g. the Worker env)',
      );
    }
    const pick = (prefix: 'RESTASH' | 'UPSTASH_REDIS_REST') => {
      const url = env[`${prefix}_URL`];
      return url ? { url, token: env[`${prefix}_TOKEN`], name: `${prefix}_TOKEN` } : undefined;
    };
    const found = pick('RESTASH') ?? pick('UPSTASH_REDIS_REST');
    if (!found) {
      throw new RestashError(
        'config',
        'fromEnv: set RESTASH_URL and RESTASH_TOKEN (or UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN)',
      );
    }
    if (!found.token) throw new RestashError('config', `fromEnv: ${found.name} is not set`);
    return new Redis<TValue>({ ...rest, url: found.url, token: found.token });
  }

  /** The read-your-writes token: the last `upstash-sync-token` the server sent (`''` before the first). */
  get readYourWritesSyncToken(): string {
    return this.requester.syncToken ?? '';
  }

  set readYourWritesSyncToken(token: string) {
    this.requester.syncToken = token;
  }

  /** How many auto-pipelined requests have been sent. */
  get pipelineCounter(): number {
    return this.batcher?.requests ?? 0;
  }

  /**
   * A view of this client whose calls use `options`: an `AbortSignal` or a
   * timeout (calls through such a view are sent on their own, not
   * auto-pipelined), or `integers` to read integers beyond 2^53 exactly.
   *
   * @example
   * await redis.with({ timeout: 500 }).get('k');
   * const exact = redis.with({ integers: 'bigint' });
   * await exact.incr('big'); // 9007199254740993n; typed number | bigint
   */
  with(options: CallOptions & { integers: 'bigint' }): RedisView<TValue, bigint>;
  with(options: CallOptions & { integers: 'string' }): RedisView<TValue, string>;
  with(options: CallOptions): this;
  with(options: CallOptions): unknown {
    if (options === null || typeof options !== 'object') {
      throw new RestashError('config', 'with(options): pass { signal?, timeout?, integers? }');
    }
    const { integers, ...call } = options;
    checkTimeout(call.timeout);
    const view = Object.create(this) as this;
    if (integers !== undefined) {
      if (integers !== 'error' && integers !== 'bigint' && integers !== 'string') {
        throw new RestashError(
          'config',
          `integers: must be 'error', 'bigint' or 'string', got ${String(integers)}`,
        );
      }
      Object.defineProperty(view, 'integers', { value: integers });
    }
    if (call.signal !== undefined || call.timeout !== undefined) {
      Object.defineProperty(view, 'callOptions', { value: { ...this.callOptions, ...call } });
    }
    return view;
  }

  /**
   * Sends any command as is — the escape hatch. Arguments must be strings,
   * numbers, booleans or `Uint8Array`; the result is not transformed (with
   * `{ bytes: true }`, every string in it is a `Uint8Array` of the exact bytes).
   *
   * @example
   * await redis.sendCommand(['OBJECT', 'ENCODING', 'k']);
   */
  sendCommand<T = unknown>(
    args: readonly (string | number | boolean | Uint8Array)[],
    options?: { bytes?: boolean },
  ): Promise<T> {
    let spec: CommandSpec;
    try {
      spec = rawSpec(args);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.run(options?.bytes ? { args: spec.args, bytes: true } : spec) as Promise<T>;
  }

  /**
   * Same as {@link sendCommand}, under the name `@upstash/redis` uses.
   *
   * @example
   * await redis.exec(['OBJECT', 'ENCODING', 'k']);
   */
  exec<T = unknown>(
    args: readonly (string | number | boolean | Uint8Array)[],
    options?: { bytes?: boolean },
  ): Promise<T> {
    return this.sendCommand<T>(args, options);
  }

  /**
   * Adds a middleware around every request this client sends (the last added
   * runs first). Applies to the client and to every view made with `with`.
   *
   * @example
   * redis.use((request, next) => next(request));
   */
  use(middleware: Middleware): void {
    if (typeof middleware !== 'function') {
      throw new RestashError('invalid-argument', 'use: pass a function (request, next) => next(request)');
    }
    this.middlewares.push(middleware);
  }

  /** @internal Sends a request through the middlewares to the requester. */
  send(request: RequesterRequest): Promise<RestReply[]> {
    const chain = this.middlewares;
    const through = (at: number, next: RequesterRequest): Promise<RestReply[]> => {
      if (at < 0) return this.requester.request(next);
      try {
        return chain[at]!(next, (after) => through(at - 1, after));
      } catch (error) {
        return Promise.reject(error);
      }
    };
    if (!this.latencyLogging) return through(chain.length - 1, request);
    const started = performance.now();
    const label =
      request.kind === 'command' ? String(request.commands[0]?.args[0] ?? '').toUpperCase() : request.kind;
    return through(chain.length - 1, request).finally(() => {
      console.log(`[restash/core] ${label} took ${(performance.now() - started).toFixed(1)} ms`);
    });
  }

  /** A pipeline: commands sent together to `/pipeline`, not atomically. */
  pipeline(): Pipeline<[], TValue> {
    return new Pipeline(this, false);
  }

  /** A transaction: commands sent together to `/multi-exec` and run atomically. */
  multi(): Pipeline<[], TValue> {
    return new Pipeline(this, true);
  }

  /** A Lua script run by SHA1 with a transparent fallback to its source. */
  createScript<TResult = unknown>(script: string, options?: ScriptOptions): Script<TResult> {
    return new Script<TResult>(this, script, options);
  }

  /**
   * Subscribes to channels over server-sent events.
   * @see https://redis.io/commands/subscribe
   */
  subscribe<TMessage = TValue>(channels: string | readonly string[]): Subscription<TMessage> {
    return new Subscription<TMessage>(this.requester, 'subscribe', toList(channels), this.decode);
  }

  /**
   * Subscribes to channel patterns over server-sent events.
   * @see https://redis.io/commands/psubscribe
   */
  psubscribe<TMessage = TValue>(patterns: string | readonly string[]): Subscription<TMessage> {
    return new Subscription<TMessage>(this.requester, 'psubscribe', toList(patterns), this.decode);
  }

  /** Every key matching the options, walked with SCAN. */
  async *scanIterator(options?: ScanOptions): AsyncGenerator<string, void, undefined> {
    let cursor = '0';
    do {
      const [next, keys] = await this.scan(cursor, options);
      yield* keys;
      cursor = next;
    } while (cursor !== '0');
  }

  /** Every `[field, value]` of a hash, walked with HSCAN. */
  async *hscanIterator<T = TValue>(
    key: Key,
    options?: Omit<ScanOptions, 'type'>,
  ): AsyncGenerator<[field: string, value: T], void, undefined> {
    let cursor = '0';
    do {
      const [next, items] = await this.hscan(key, cursor, options);
      for (let i = 0; i < items.length; i += 2) yield [items[i] as string, items[i + 1] as T];
      cursor = next;
    } while (cursor !== '0');
  }

  /** Every member of a set, walked with SSCAN. */
  async *sscanIterator<T = TValue>(
    key: Key,
    options?: Omit<ScanOptions, 'type'>,
  ): AsyncGenerator<T, void, undefined> {
    let cursor = '0';
    do {
      const [next, members] = await this.sscan<T>(key, cursor, options);
      yield* members;
      cursor = next;
    } while (cursor !== '0');
  }

  /** Every `{ member, score }` of a sorted set, walked with ZSCAN. */
  async *zscanIterator<T = TValue>(
    key: Key,
    options?: Omit<ScanOptions, 'type'>,
  ): AsyncGenerator<ScoreMember<T>, void, undefined> {
    let cursor = '0';
    do {
      const [next, items] = await this.zscan<T>(key, cursor, options);
      for (let i = 0; i < items.length; i += 2)
        yield { member: items[i] as T, score: items[i + 1] as number };
      cursor = next;
    } while (cursor !== '0');
  }

  /** @internal Whether a request of these commands may be re-sent after a network error. */
  retryable(specs: readonly CommandSpec[]): boolean {
    if (!this.idempotentOnly) return true;
    for (const spec of specs) {
      const first = spec.args[0];
      if (typeof first !== 'string') continue;
      const name = first.toUpperCase();
      if (NOT_IDEMPOTENT.has(name)) return false;
      // SET … GET returns the previous value and ZADD … INCR adds again: both differ when applied twice.
      if ((name === 'SET' || name === 'ZADD') && hasWord(spec.args, name === 'SET' ? 'GET' : 'INCR')) {
        return false;
      }
    }
    return true;
  }

  /** @internal Sends one command (auto-pipelined unless this is a `with` view) and parses its reply. */
  run(spec: CommandSpec): Promise<unknown> {
    const call = this.callOptions;
    const { decode, integers } = this;
    if (this.batcher && call === undefined) {
      return this.batcher.add(spec).then((reply) => finish(spec, reply, decode, integers));
    }
    return this.send({
      kind: 'command',
      commands: [spec],
      signal: call?.signal,
      timeout: call?.timeout,
      retry: this.retryable([spec]),
    }).then((replies) => finish(spec, replies[0], decode, integers));
  }
}

export interface Redis<TValue> extends Commands<PromiseKind, TValue> {}

/** Whether an option word appears among the arguments after the key (any case; may also match a value, which only errs on the safe side). */
function hasWord(args: readonly unknown[], word: string): boolean {
  for (let i = 2; i < args.length; i++) {
    const arg = args[i];
    if (typeof arg === 'string' && arg.length === word.length && arg.toUpperCase() === word) return true;
  }
  return false;
}

function toList(names: string | readonly string[]): readonly string[] {
  return typeof names === 'string' ? [names] : names;
}

for (const name of Object.keys(commandTable) as (keyof typeof commandTable)[]) {
  const build = commandTable[name] as (...args: unknown[]) => CommandSpec;
  Object.defineProperty(Redis.prototype, name, {
    value(this: Redis, ...args: unknown[]) {
      let spec: CommandSpec;
      try {
        spec = build(...args);
      } catch (error) {
        return Promise.reject(error);
      }
      return this.run(spec);
    },
    writable: true,
    configurable: true,
  });
}

// `redis.json` and `redis.functions`: one object of bound methods per client or view, made on first use.
const namespaceCache = new WeakMap<object, Record<string, unknown>>();
for (const [namespace, table] of Object.entries(namespaceTables)) {
  Object.defineProperty(Redis.prototype, namespace, {
    get(this: Redis) {
      let spaces = namespaceCache.get(this);
      if (!spaces) {
        spaces = {};
        namespaceCache.set(this, spaces);
      }
      let methods = spaces[namespace] as Record<string, unknown> | undefined;
      if (!methods) {
        methods = {};
        for (const [name, build] of Object.entries(
          table as Record<string, (...args: unknown[]) => CommandSpec>,
        )) {
          methods[name] = (...args: unknown[]) => {
            let spec: CommandSpec;
            try {
              spec = build(...args);
            } catch (error) {
              return Promise.reject(error);
            }
            return this.run(spec);
          };
        }
        spaces[namespace] = methods;
      }
      return methods;
    },
    configurable: true,
  });
}
