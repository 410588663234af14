import {
  type Apply,
  asRecord,
  type CommandTable,
  cmd,
  type Kind,
  k,
  list,
  nonEmpty,
  opts,
  str,
  v,
  word,
} from '../command.js';
import { invalidArgument } from '../errors.js';
import type { Decoder, Key, WireArg } from '../values.js';

/** A library of FUNCTION LIST. */
export interface FunctionLibrary {
  libraryName: string;
  engine: string;
  functions: { name: string; description: string | null; flags: string[] }[];
  libraryCode?: string;
}

/** Scripting and functions. Script results are deserialized (recursively) unless in raw mode. */
export interface ScriptingCommands<K extends Kind> {
  /** Runs a Lua script. (`<TArgs, TData>` as in `@upstash/redis`, or `<TResult>`.) @see https://redis.io/commands/eval */
  eval<TArgs extends unknown[], TData = unknown>(script: string, keys: Key[], args: TArgs): Apply<K, TData>;
  eval<T = unknown>(script: string, keys?: Key[], args?: unknown[]): Apply<K, T>;
  /** Runs a read-only Lua script. (`<TArgs, TData>` as in `@upstash/redis`, or `<TResult>`.) @see https://redis.io/commands/eval_ro */
  evalRo<TArgs extends unknown[], TData = unknown>(script: string, keys: Key[], args: TArgs): Apply<K, TData>;
  evalRo<T = unknown>(script: string, keys?: Key[], args?: unknown[]): Apply<K, T>;
  /** Runs a loaded script by its SHA1. (`<TArgs, TData>` as in `@upstash/redis`, or `<TResult>`.) @see https://redis.io/commands/evalsha */
  evalsha<TArgs extends unknown[], TData = unknown>(sha1: string, keys: Key[], args: TArgs): Apply<K, TData>;
  evalsha<T = unknown>(sha1: string, keys?: Key[], args?: unknown[]): Apply<K, T>;
  /** Runs a loaded read-only script by its SHA1. (`<TArgs, TData>` as in `@upstash/redis`, or `<TResult>`.) @see https://redis.io/commands/evalsha_ro */
  evalshaRo<TArgs extends unknown[], TData = unknown>(
    sha1: string,
    keys: Key[],
    args: TArgs,
  ): Apply<K, TData>;
  evalshaRo<T = unknown>(sha1: string, keys?: Key[], args?: unknown[]): Apply<K, T>;
  /** Calls a function. @see https://redis.io/commands/fcall */
  fcall<T = unknown>(name: string, keys?: Key[], args?: unknown[]): Apply<K, T>;
  /** Calls a read-only function. @see https://redis.io/commands/fcall_ro */
  fcallRo<T = unknown>(name: string, keys?: Key[], args?: unknown[]): Apply<K, T>;
  /** Deletes a library. @see https://redis.io/commands/function-delete */
  functionDelete(library: string): Apply<K, 'OK'>;
  /** Every library, serialized (exact bytes for FUNCTION RESTORE). @see https://redis.io/commands/function-dump */
  functionDump(): Apply<K, Uint8Array>;
  /** Deletes every library. @see https://redis.io/commands/function-flush */
  functionFlush(mode?: 'ASYNC' | 'SYNC'): Apply<K, 'OK'>;
  /** Stops the read-only function that is running now. @see https://redis.io/commands/function-kill */
  functionKill(): Apply<K, 'OK'>;
  /** Lists libraries and their functions. @see https://redis.io/commands/function-list */
  functionList(options?: { libraryName?: string; withCode?: boolean }): Apply<K, FunctionLibrary[]>;
  /** Loads a library (`#!lua name=…`); returns its name. @see https://redis.io/commands/function-load */
  functionLoad(code: string, options?: { replace?: boolean }): Apply<K, string>;
  /** Restores libraries from FUNCTION DUMP bytes. @see https://redis.io/commands/function-restore */
  functionRestore(serialized: Uint8Array, policy?: 'APPEND' | 'FLUSH' | 'REPLACE'): Apply<K, 'OK'>;
  /** Function engine statistics. @see https://redis.io/commands/function-stats */
  functionStats(): Apply<K, Record<string, unknown>>;
  /** 1 or 0 for each SHA1: is the script cached? @see https://redis.io/commands/script-exists */
  scriptExists(...sha1s: string[]): Apply<K, (0 | 1)[]>;
  /** Empties the script cache. @see https://redis.io/commands/script-flush */
  scriptFlush(mode?: 'ASYNC' | 'SYNC'): Apply<K, 'OK'>;
  /** Stops the read-only script that is running now. @see https://redis.io/commands/script-kill */
  scriptKill(): Apply<K, 'OK'>;
  /** Caches a script; returns its SHA1. @see https://redis.io/commands/script-load */
  scriptLoad(script: string): Apply<K, string>;
}

/** Script replies: every string, at any depth, deserialized. */
export const asDeep = (reply: unknown, value: Decoder): unknown =>
  Array.isArray(reply) ? reply.map((item) => asDeep(item, value)) : value(reply);

function run(command: string) {
  return (target: string, keys: Key[] = [], args: unknown[] = []) =>
    cmd(
      [
        command,
        str(command.startsWith('FCALL') ? 'function' : 'script', target, command),
        list(keys, command, 'keys').length,
        ...keys.map((key) => k(key, command)),
        ...list(args, command, 'args').map((arg) => v(arg, command)),
      ],
      asDeep,
    );
}

const flushMode = (mode: unknown, command: string) => word('mode', mode, ['ASYNC', 'SYNC'], command);

function library(raw: unknown): FunctionLibrary {
  const lib = asRecord(raw);
  const out: FunctionLibrary = {
    libraryName: String(lib.library_name),
    engine: String(lib.engine),
    functions: ((lib.functions as unknown[]) ?? []).map((fn) => {
      const f = asRecord(fn);
      return {
        name: String(f.name),
        description: (f.description as string | null) ?? null,
        flags: (f.flags as string[]) ?? [],
      };
    }),
  };
  if (lib.library_code !== undefined) out.libraryCode = String(lib.library_code);
  return out;
}

export const scripting: CommandTable<ScriptingCommands<Kind>> = {
  eval: run('EVAL'),
  evalRo: run('EVAL_RO'),
  evalsha: run('EVALSHA'),
  evalshaRo: run('EVALSHA_RO'),
  fcall: run('FCALL'),
  fcallRo: run('FCALL_RO'),
  functionDelete: (name) => cmd(['FUNCTION', 'DELETE', name]),
  functionDump: () => ({ args: ['FUNCTION', 'DUMP'], bytes: true }),
  functionFlush: (mode) =>
    cmd(['FUNCTION', 'FLUSH', ...(mode === undefined ? [] : [flushMode(mode, 'FUNCTION')])]),
  functionKill: () => cmd(['FUNCTION', 'KILL']),
  functionList: (options) => {
    const args: WireArg[] = ['FUNCTION', 'LIST'];
    opts(options, 'FUNCTION');
    if (options?.libraryName !== undefined) args.push('LIBRARYNAME', options.libraryName);
    if (options?.withCode) args.push('WITHCODE');
    return cmd(args, (reply: unknown[]) => reply.map(library));
  },
  functionLoad: (code, options) =>
    cmd([
      'FUNCTION',
      'LOAD',
      ...(opts(options, 'FUNCTION')?.replace ? ['REPLACE'] : []),
      str('code', code, 'FUNCTION'),
    ]),
  functionRestore: (serialized, policy) => {
    if (!(serialized instanceof Uint8Array)) {
      throw invalidArgument('serialized: expected the Uint8Array from functionDump()', 'FUNCTION');
    }
    return cmd(['FUNCTION', 'RESTORE', serialized, ...(policy ? [policy] : [])]);
  },
  functionStats: () =>
    cmd(['FUNCTION', 'STATS'], (reply: unknown) => {
      const stats = asRecord(reply);
      const engines = asRecord(stats.engines ?? []);
      const out: Record<string, unknown> = {};
      for (const name of Object.keys(engines)) out[name] = asRecord(engines[name]);
      return { running_script: stats.running_script, engines: out };
    }),
  scriptExists: (...sha1s) => cmd(['SCRIPT', 'EXISTS', ...nonEmpty(sha1s, 'SCRIPT', 'sha1s')]),
  scriptFlush: (mode) => cmd(['SCRIPT', 'FLUSH', ...(mode === undefined ? [] : [flushMode(mode, 'SCRIPT')])]),
  scriptKill: () => cmd(['SCRIPT', 'KILL']),
  scriptLoad: (script) => cmd(['SCRIPT', 'LOAD', script]),
};

/** The `functions` namespace of `@upstash/redis`: the same commands as `functionLoad`, `fcall`… */
export interface FunctionsCommands<K extends Kind> {
  /** Loads a library (`#!lua name=…`); returns its name. @see https://redis.io/commands/function-load */
  load(args: { code: string; replace?: boolean }): Apply<K, string>;
  /** Lists libraries and their functions. @see https://redis.io/commands/function-list */
  list(args?: { libraryName?: string; withCode?: boolean }): Apply<K, FunctionLibrary[]>;
  /** Deletes a library. @see https://redis.io/commands/function-delete */
  delete(libraryName: string): Apply<K, 'OK'>;
  /** Deletes every library. @see https://redis.io/commands/function-flush */
  flush(): Apply<K, 'OK'>;
  /** How many libraries and functions each engine has. @see https://redis.io/commands/function-stats */
  stats(): Apply<K, { engines: Record<string, { librariesCount: number; functionsCount: number }> }>;
  /** Calls a function. @see https://redis.io/commands/fcall */
  call<T = unknown>(functionName: string, keys?: Key[], args?: unknown[]): Apply<K, T>;
  /** Calls a read-only function. @see https://redis.io/commands/fcall_ro */
  callRo<T = unknown>(functionName: string, keys?: Key[], args?: unknown[]): Apply<K, T>;
}

export const functions: CommandTable<FunctionsCommands<Kind>> = {
  load: (args) => {
    if (opts(args, 'FUNCTION', 'args') === undefined) {
      throw invalidArgument('load: pass { code, replace? }', 'FUNCTION');
    }
    return scripting.functionLoad(args.code, { replace: args.replace === true });
  },
  list: (args) => scripting.functionList(args),
  delete: (libraryName) => scripting.functionDelete(libraryName),
  flush: () => scripting.functionFlush(),
  stats: () => {
    const spec = scripting.functionStats();
    return cmd(spec.args, (reply: unknown, value: Decoder) => {
      const stats = spec.parse!(reply as never, value) as {
        engines: Record<string, Record<string, unknown>>;
      };
      const engines: Record<string, { librariesCount: number; functionsCount: number }> = {};
      for (const [name, engine] of Object.entries(stats.engines)) {
        engines[name] = {
          librariesCount: Number(engine.libraries_count),
          functionsCount: Number(engine.functions_count),
        };
      }
      return { engines };
    });
  },
  call: (name, keys, args) => scripting.fcall(name, keys, args),
  callRo: (name, keys, args) => scripting.fcallRo(name, keys, args),
};
