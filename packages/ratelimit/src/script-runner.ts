import { type Redis, Script } from '@restash/core';
import { KEY_LOCKING_SHEBANG, type LuaScript } from './scripts.js';

/** What running scripts needs from the client. */
export type ScriptRedis = Pick<Redis, 'eval' | 'evalRo' | 'evalsha' | 'evalshaRo' | 'scriptLoad'>;

/** Redis's answer to a shebang flag it does not know, e.g. `allow-key-locking` on open-source Redis. */
const UNKNOWN_FLAG = /Unexpected flag in script shebang/i;

/**
 * Runs the algorithms' scripts in one round trip each: EVALSHA, and EVAL only
 * when Redis answers NOSCRIPT (first use, restart, SCRIPT FLUSH). Scripts start
 * with the `allow-key-locking` shebang that Upstash uses to lock only the
 * declared keys; where the server refuses that flag (open-source Redis behind a
 * REST server that does not strip it), the runner switches to the same scripts
 * without it, once.
 */
export class ScriptRunner {
  private readonly locking = new Map<LuaScript, Script>();
  private readonly plain = new Map<LuaScript, Script>();
  private flagRefused: boolean;

  constructor(
    private readonly redis: ScriptRedis,
    keyLocking: boolean,
  ) {
    this.flagRefused = !keyLocking;
  }

  run(lua: LuaScript, keys: string[], args: Array<string | number>): Promise<unknown> {
    if (this.flagRefused) return this.script(this.plain, lua, '').exec(keys, args);
    return this.script(this.locking, lua, KEY_LOCKING_SHEBANG)
      .exec(keys, args)
      .catch((error: unknown) => {
        if (!UNKNOWN_FLAG.test(String((error as Error)?.message ?? error))) throw error;
        this.flagRefused = true;
        // Refused on EVAL, so Redis has never seen the plain text either: send it at once.
        return this.script(this.plain, lua, '').eval(keys, args);
      });
  }

  private script(scripts: Map<LuaScript, Script>, lua: LuaScript, head: string): Script {
    let script = scripts.get(lua);
    if (script === undefined) {
      script = new Script(this.redis, head + lua.body);
      scripts.set(lua, script);
    }
    return script;
  }
}
