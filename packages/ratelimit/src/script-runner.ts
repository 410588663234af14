import { type Redis, Script } from '@restash/core';
import { KEY_LOCKING_SHEBANG, type LuaScript } from './scripts.js';

/** What running scripts needs from the client. */
export type ScriptRedis = Pick<Redis, 'eval' | 'evalRo' | 'evalsha' | 'evalshaRo' | 'scriptLoad'>;

/** Redis's answer to EVALSHA of a script it does not hold (first use, restart, SCRIPT FLUSH). */
const NO_SCRIPT = /^NOSCRIPT\b/i;
/** Redis's answer to a shebang flag it does not know, e.g. `allow-key-locking` on open-source Redis. */
const UNKNOWN_FLAG = /Unexpected flag in script shebang/i;
/** A Redis Cluster's answer to a script whose keys live in several slots. */
const CROSS_SLOT = /CROSSSLOT|cross.?slot/i;
/** Marks the result of a check that failed inside a batch: {FAILED, error text}. */
const FAILED = '__restash_failed__';
/** Most checks in one batched script call. */
const MAX_BATCH = 250;

/** A script's text and SHA1. */
interface Loaded {
  readonly source: string;
  readonly sha1: string;
}

/** One check waiting for its batch. */
interface Queued {
  keys: string[];
  args: Array<string | number>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The batched form of a script: the script body becomes a function of its own
 * KEYS and ARGV, called once per check in order, so each check sees the ones
 * before it exactly as if they had been sent one by one. Every check has the
 * same number of keys and of arguments. ARGV: number of checks, keys per
 * check, arguments per check, 1 when all checks share one argument list (sent
 * once) or 0 (each check's list, one after the other), then the arguments.
 */
function batchOf(lua: LuaScript): LuaScript {
  return {
    name: `${lua.name}.batch`,
    body: `
local function check(KEYS, ARGV)
${lua.body}
end
local checks = tonumber(ARGV[1])
local keyCount = tonumber(ARGV[2])
local argCount = tonumber(ARGV[3])
local shared = ARGV[4] == '1'
local results = {}
local args = {}
if shared then
  for j = 1, argCount do args[j] = ARGV[4 + j] end
end
for i = 1, checks do
  local keys = {}
  local base = (i - 1) * keyCount
  for j = 1, keyCount do keys[j] = KEYS[base + j] end
  if not shared then
    args = {}
    local at = 4 + (i - 1) * argCount
    for j = 1, argCount do args[j] = ARGV[at + j] end
  end
  -- One failing check (a key of the wrong type…) must not fail the others.
  local ok, result = pcall(check, keys, args)
  if ok then
    results[i] = result
  elseif type(result) == 'table' and result.err then
    results[i] = {'${FAILED}', result.err}
  else
    results[i] = {'${FAILED}', tostring(result)}
  end
end
return results
`,
  };
}

/**
 * Runs the algorithms' scripts, one round trip per check: EVALSHA, and EVAL
 * only when Redis answers NOSCRIPT.
 *
 * Checks of the same script started in the same tick (concurrent requests)
 * go out as one EVALSHA of the script's batched form rather than one each:
 * less to encode, send, parse and dispatch for the client, the REST server and
 * Redis. On a Redis Cluster, where one script cannot touch several slots, the
 * runner notices the first CROSSSLOT answer and sends checks one by one from
 * then on.
 *
 * Scripts start with the `allow-key-locking` shebang that Upstash uses to lock
 * only the declared keys; where the server refuses that flag (open-source Redis
 * behind a REST server that does not strip it), the runner switches to the
 * same scripts without it, once. Errors are recognised by their text, not their
 * class, so a client loaded twice (ESM and CJS copies in one app) still falls
 * back.
 */
export class ScriptRunner {
  private readonly locking = new Map<LuaScript, Loaded>();
  private readonly plain = new Map<LuaScript, Loaded>();
  private readonly batches = new Map<LuaScript, LuaScript>();
  private readonly queues = new Map<LuaScript, Queued[]>();
  private flagRefused: boolean;
  private batching: boolean;

  constructor(
    private readonly redis: ScriptRedis,
    options: { keyLocking: boolean; batch: boolean },
  ) {
    this.flagRefused = !options.keyLocking;
    this.batching = options.batch;
  }

  run(lua: LuaScript, keys: string[], args: Array<string | number>): Promise<unknown> {
    if (!this.batching) return this.send(lua, keys, args);
    let queue = this.queues.get(lua);
    if (queue === undefined) {
      queue = [];
      this.queues.set(lua, queue);
      // Two hops, like the client's auto-pipelining: callers resumed in the same
      // wave reach this point before the queue is sent.
      queueMicrotask(() => queueMicrotask(() => this.flush(lua)));
    }
    return new Promise((resolve, reject) => queue.push({ keys, args, resolve, reject }));
  }

  private flush(lua: LuaScript): void {
    const queue = this.queues.get(lua)!;
    this.queues.delete(lua);
    for (let start = 0; start < queue.length; start += MAX_BATCH) {
      const part = queue.length <= MAX_BATCH ? queue : queue.slice(start, start + MAX_BATCH);
      if (part.length === 1) {
        const only = part[0]!;
        this.send(lua, only.keys, only.args).then(only.resolve, only.reject);
      } else {
        this.sendBatch(lua, part);
      }
    }
  }

  private sendBatch(lua: LuaScript, part: Queued[]): void {
    const first = part[0]!;
    const keyCount = first.keys.length;
    const argCount = first.args.length;
    let shared = true;
    for (const check of part) {
      if (check.keys.length !== keyCount || check.args.length !== argCount) {
        // Not one shape (never the case for one limiter's checks): send them one by one.
        for (const one of part) this.send(lua, one.keys, one.args).then(one.resolve, one.reject);
        return;
      }
      if (shared && check !== first) {
        for (let j = 0; j < argCount; j++) {
          if (check.args[j] !== first.args[j]) {
            shared = false;
            break;
          }
        }
      }
    }
    let batch = this.batches.get(lua);
    if (batch === undefined) {
      batch = batchOf(lua);
      this.batches.set(lua, batch);
    }
    const keys: string[] = [];
    const args: Array<string | number> = [part.length, keyCount, argCount, shared ? 1 : 0];
    for (const check of part) {
      for (const key of check.keys) keys.push(key);
      if (!shared) for (const arg of check.args) args.push(arg);
    }
    if (shared) for (const arg of first.args) args.push(arg);
    this.send(batch, keys, args).then(
      (results) => {
        for (let i = 0; i < part.length; i++) {
          const result = (results as unknown[])[i];
          if (Array.isArray(result) && result[0] === FAILED) {
            // Redis's own text, as when the check runs alone (e.g. `WRONGTYPE …`).
            part[i]!.reject(new Error(String(result[1])));
          } else {
            part[i]!.resolve(result);
          }
        }
      },
      (error: unknown) => {
        if (CROSS_SLOT.test(messageOf(error))) {
          this.batching = false;
          for (const check of part) this.send(lua, check.keys, check.args).then(check.resolve, check.reject);
          return;
        }
        for (const check of part) check.reject(error);
      },
    );
  }

  private async send(lua: LuaScript, keys: string[], args: Array<string | number>): Promise<unknown> {
    const flagged = !this.flagRefused;
    const script = flagged
      ? this.load(this.locking, lua, KEY_LOCKING_SHEBANG)
      : this.load(this.plain, lua, '');
    try {
      return await this.redis.evalsha(script.sha1, keys, args);
    } catch (error) {
      if (!NO_SCRIPT.test(messageOf(error))) throw error;
    }
    try {
      return await this.redis.eval(script.source, keys, args);
    } catch (error) {
      if (!flagged || !UNKNOWN_FLAG.test(messageOf(error))) throw error;
      this.flagRefused = true;
      // Refused on EVAL, so Redis has never seen the plain text either: send it at once.
      return this.redis.eval(this.load(this.plain, lua, '').source, keys, args);
    }
  }

  private load(scripts: Map<LuaScript, Loaded>, lua: LuaScript, head: string): Loaded {
    let loaded = scripts.get(lua);
    if (loaded === undefined) {
      const source = head + lua.body;
      // Script computes the SHA1 synchronously; it is used for nothing else.
      loaded = { source, sha1: new Script(this.redis, source).sha1 };
      scripts.set(lua, loaded);
    }
    return loaded;
  }
}
