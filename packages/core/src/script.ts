import { RestashError } from './errors.js';
import { sha1Hex } from './sha1.js';
import type { Key } from './values.js';

/** What a script needs from the client. */
export interface ScriptHost {
  eval(script: string, keys?: Key[], args?: unknown[]): Promise<unknown>;
  evalRo(script: string, keys?: Key[], args?: unknown[]): Promise<unknown>;
  evalsha(sha1: string, keys?: Key[], args?: unknown[]): Promise<unknown>;
  evalshaRo(sha1: string, keys?: Key[], args?: unknown[]): Promise<unknown>;
  scriptLoad(script: string): Promise<string>;
}

/** Options of `createScript`. */
export interface ScriptOptions {
  /** Run with EVALSHA_RO / EVAL_RO (allowed on read-only tokens and replicas). @default false */
  readonly?: boolean;
}

/**
 * A Lua script run by its SHA1, sent in full only when Redis does not have it
 * yet: `exec` tries EVALSHA and falls back to EVAL on `NOSCRIPT`, after which
 * Redis caches it.
 *
 * @example
 * const incrTo = redis.createScript<number>("return redis.call('INCRBY', KEYS[1], ARGV[1])");
 * await incrTo.exec(['counter'], [5]);
 */
export class Script<TResult = unknown> {
  /** The SHA1 Redis knows the script by, available at once. */
  readonly sha1: string;
  readonly readonly: boolean;

  constructor(
    private readonly host: ScriptHost,
    /** The Lua source. */
    readonly script: string,
    options: ScriptOptions = {},
  ) {
    if (typeof script !== 'string' || script.length === 0) {
      throw new RestashError('invalid-argument', 'createScript: pass the Lua source as a non-empty string');
    }
    this.sha1 = sha1Hex(script);
    this.readonly = options.readonly === true;
  }

  /** Runs the script by SHA1, sending the source only if Redis answers `NOSCRIPT`. */
  async exec(keys: Key[] = [], args: unknown[] = []): Promise<TResult> {
    try {
      return (await this.evalsha(keys, args)) as TResult;
    } catch (error) {
      if (error instanceof RestashError && error.code === 'redis' && /^NOSCRIPT\b/i.test(error.message)) {
        return this.eval(keys, args);
      }
      throw error;
    }
  }

  /** Runs the script by sending its source (EVAL / EVAL_RO). */
  eval(keys: Key[] = [], args: unknown[] = []): Promise<TResult> {
    return (this.readonly ? this.host.evalRo : this.host.eval).call(
      this.host,
      this.script,
      keys,
      args,
    ) as Promise<TResult>;
  }

  /** Runs the script by SHA1 only (EVALSHA / EVALSHA_RO); fails with `NOSCRIPT` if Redis does not have it. */
  evalsha(keys: Key[] = [], args: unknown[] = []): Promise<TResult> {
    return (this.readonly ? this.host.evalshaRo : this.host.evalsha).call(
      this.host,
      this.sha1,
      keys,
      args,
    ) as Promise<TResult>;
  }

  /** Loads the script into Redis's cache (SCRIPT LOAD) and returns its SHA1. */
  load(): Promise<string> {
    return this.host.scriptLoad(this.script);
  }
}
