import type { CommandSpec, Kind, Widen } from './command.js';
import { type Commands, commandTable, namespaceTables } from './commands/index.js';
import { RestashError } from './errors.js';
import { bigIntsToStrings, hasBigInt } from './json.js';
import type { RestReply } from './protocol/index.js';
import type { Requester, RequesterRequest } from './requester.js';
import type { Decoder } from './values.js';

/** What a pipeline needs from the client that made it. */
export interface PipelineHost {
  readonly requester: Requester;
  readonly decode: Decoder;
  readonly callOptions: { signal?: AbortSignal | undefined; timeout?: number | undefined } | undefined;
  /** What to do with integers beyond `Number.MAX_SAFE_INTEGER`. */
  readonly integers: IntegerMode;
  /** Sends a request through the client's middlewares to its requester. */
  send(request: RequesterRequest): Promise<RestReply[]>;
  retryable(specs: readonly CommandSpec[]): boolean;
}

/**
 * What a reply's integers beyond `Number.MAX_SAFE_INTEGER` become: an
 * `unsafe-integer` error (the default: a `number` would be silently rounded),
 * a `bigint`, or the exact decimal digits as a string.
 */
export type IntegerMode = 'error' | 'bigint' | 'string';

/**
 * Pipeline methods chain, adding the command's result type to the tuple that
 * `exec` resolves with (with `bigint` or `string` beside every `number` when
 * `TBig` is set: a pipeline of `redis.with({ integers })`).
 */
export interface PipelineKind<TResults extends unknown[], V, TBig = never> extends Kind {
  readonly out: Pipeline<[...TResults, Widen<this['result'], TBig>], V, TBig>;
}

/** One entry of `exec({ keepErrors: true })`: the result, or Redis's error text. */
export type PipelineEntry<T> = { result: T; error?: undefined } | { result?: undefined; error: string };

/** The name of a command, for errors. */
export function commandName(spec: CommandSpec): string {
  const name = spec.args[0];
  return typeof name === 'string' ? name.toUpperCase() : 'COMMAND';
}

/** Turns a reply into a command's result, or throws Redis's error. */
export function finish(
  spec: CommandSpec,
  reply: RestReply | undefined,
  decode: Decoder,
  integers: IntegerMode = 'error',
): unknown {
  if (reply === undefined) {
    throw new RestashError('invalid-response', 'the requester returned fewer replies than commands', {
      command: commandName(spec),
    });
  }
  if ('error' in reply) {
    // The requester may say which HTTP status carried the error (not enumerable, see http.ts).
    const { status } = reply as { status?: number };
    throw new RestashError('redis', reply.error, { command: commandName(spec), status });
  }
  let result = reply.result;
  if (integers !== 'bigint' && hasBigInt(result)) {
    if (integers === 'error') {
      const name = commandName(spec);
      throw new RestashError(
        'unsafe-integer',
        `${name} ran, but its reply holds an integer beyond Number.MAX_SAFE_INTEGER that a number would round; read it with redis.with({ integers: 'bigint' }) (or 'string')`,
        { command: name },
      );
    }
    result = bigIntsToStrings(result);
  }
  return spec.parse ? spec.parse(result as never, decode) : result;
}

/**
 * A batch of commands sent in one request: `/pipeline` (not atomic) from
 * `redis.pipeline()`, `/multi-exec` (atomic) from `redis.multi()`. Every command
 * method adds a command and returns the pipeline, so the result type of `exec`
 * is a tuple in command order.
 *
 * @example
 * const [set, value] = await redis.pipeline().set('k', 1).get<number>('k').exec();
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the command methods are installed on the prototype below, from the command tables.
export class Pipeline<TResults extends unknown[] = [], V = unknown, TBig = never> {
  private readonly specs: CommandSpec[] = [];

  constructor(
    private readonly host: PipelineHost,
    /** True for `multi()`: the commands run atomically. */
    readonly transaction: boolean,
  ) {}

  /** The number of commands added so far. */
  get length(): number {
    return this.specs.length;
  }

  /** Adds a raw command, with no transformation of its result (the tuple gains `unknown`). */
  sendCommand<T = unknown>(
    args: readonly (string | number | boolean | Uint8Array)[],
  ): Pipeline<[...TResults, T], V, TBig> {
    this.specs.push(rawSpec(args));
    return this as unknown as Pipeline<[...TResults, T], V, TBig>;
  }

  /**
   * Sends the commands. Resolves with every result in order; by default the
   * first failed command rejects with its `RestashError` (Redis's text), with
   * `keepErrors` each entry is `{ result }` or `{ error }` instead. The result
   * tuple is inferred from the chained commands; name it yourself with
   * `exec<[…]>()` (as with `@upstash/redis`) when the commands were not chained.
   *
   * @example
   * const p = redis.pipeline();
   * p.set('k', 1);
   * p.get('k');
   * const [ok, value] = await p.exec<['OK', number]>();
   */
  exec<TOverride extends unknown[] = TResults>(): Promise<TOverride>;
  exec<TOverride extends unknown[] = TResults>(options: {
    keepErrors: true;
  }): Promise<{ [I in keyof TOverride]: PipelineEntry<TOverride[I]> }>;
  async exec(options?: { keepErrors?: boolean }): Promise<unknown> {
    const label = this.transaction ? 'MULTI-EXEC' : 'PIPELINE';
    if (this.specs.length === 0) {
      throw new RestashError(
        'invalid-argument',
        `the ${this.transaction ? 'transaction' : 'pipeline'} is empty`,
        {
          command: label,
        },
      );
    }
    const { host } = this;
    const replies = await host.send({
      kind: this.transaction ? 'transaction' : 'pipeline',
      commands: this.specs,
      signal: host.callOptions?.signal,
      timeout: host.callOptions?.timeout,
      retry: host.retryable(this.specs),
    });
    const { decode, integers } = host;
    if (options?.keepErrors) {
      return this.specs.map((spec, i) => {
        const reply = replies[i];
        if (reply && 'error' in reply) return { error: reply.error };
        return { result: finish(spec, reply, decode, integers) };
      });
    }
    return this.specs.map((spec, i) => finish(spec, replies[i], decode, integers));
  }

  /** @internal Adds a command; used by the command methods. */
  add(spec: CommandSpec): this {
    this.specs.push(spec);
    return this;
  }
}

export interface Pipeline<TResults extends unknown[], V, TBig>
  extends Commands<PipelineKind<TResults, V, TBig>, V> {}

/** A command spec for `sendCommand`: arguments checked, result untouched. */
export function rawSpec(args: readonly unknown[]): CommandSpec {
  if (!Array.isArray(args) || args.length === 0 || typeof args[0] !== 'string' || args[0] === '') {
    throw new RestashError(
      'invalid-argument',
      'sendCommand: pass an array of arguments, the command name first',
    );
  }
  for (let i = 1; i < args.length; i++) {
    const arg = args[i];
    const type = typeof arg;
    if (type === 'string' || type === 'boolean' || arg instanceof Uint8Array) continue;
    if (type === 'number' && Number.isFinite(arg)) continue;
    throw new RestashError(
      'invalid-argument',
      `sendCommand: argument ${i} is ${arg === null ? 'null' : type}; pass strings, finite numbers, booleans or Uint8Array`,
      { command: String(args[0]).toUpperCase() },
    );
  }
  // A copy: auto-pipelining sends later, and the caller may reuse its array meanwhile.
  return { args: args.slice() as CommandSpec['args'] };
}

for (const name of Object.keys(commandTable) as (keyof typeof commandTable)[]) {
  const build = commandTable[name] as (...args: unknown[]) => CommandSpec;
  Object.defineProperty(Pipeline.prototype, name, {
    value(this: Pipeline, ...args: unknown[]) {
      return this.add(build(...args));
    },
    writable: true,
    configurable: true,
  });
}

// `pipeline.json` and `pipeline.functions`: their methods add a command and return the pipeline.
for (const [namespace, table] of Object.entries(namespaceTables)) {
  Object.defineProperty(Pipeline.prototype, namespace, {
    get(this: Pipeline) {
      const methods: Record<string, unknown> = {};
      for (const [name, build] of Object.entries(
        table as Record<string, (...args: unknown[]) => CommandSpec>,
      )) {
        methods[name] = (...args: unknown[]) => this.add(build(...args));
      }
      return methods;
    },
    configurable: true,
  });
}
