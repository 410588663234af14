import { RestashError } from '@restash/core';
import { describe, expect, it } from 'vitest';
import { type ScriptRedis, ScriptRunner } from './script-runner.js';
import { KEY_LOCKING_SHEBANG } from './scripts.js';

/**
 * A stand-in for a REST server in front of open-source Redis that does not
 * strip Upstash's flag (ours does, so the integration tests cannot reach this
 * path): it answers exactly what Redis answers.
 */
function unstrippedServer() {
  const known = new Set<string>();
  const sent: string[] = [];
  const host = {
    async evalsha(sha1: string) {
      sent.push('EVALSHA');
      if (!known.has(sha1)) throw new RestashError('redis', 'NOSCRIPT No matching script. Please use EVAL.');
      return 'ran';
    },
    async eval(script: string) {
      sent.push(script.startsWith('#!') ? 'EVAL flagged' : 'EVAL plain');
      if (script.startsWith(KEY_LOCKING_SHEBANG)) {
        throw new RestashError('redis', 'ERR Unexpected flag in script shebang: allow-key-locking');
      }
      const { Script } = await import('@restash/core');
      known.add(new Script(host as never, script).sha1);
      return 'ran';
    },
  };
  return { host: host as unknown as ScriptRedis, sent };
}

describe('ScriptRunner', () => {
  const lua = { name: 't', body: 'return 1\n' };

  it('drops the allow-key-locking flag once a server refuses it, then runs by SHA', async () => {
    const { host, sent } = unstrippedServer();
    const runner = new ScriptRunner(host, { keyLocking: true, batch: false });
    expect(await runner.run(lua, [], [])).toBe('ran');
    expect(sent).toEqual(['EVALSHA', 'EVAL flagged', 'EVAL plain']);
    sent.length = 0;
    expect(await runner.run(lua, [], [])).toBe('ran');
    expect(sent).toEqual(['EVALSHA']);
  });

  it('never sends the flag with keyLocking off', async () => {
    const { host, sent } = unstrippedServer();
    await new ScriptRunner(host, { keyLocking: false, batch: false }).run(lua, [], []);
    expect(sent).toEqual(['EVALSHA', 'EVAL plain']);
  });

  it('passes other errors through', async () => {
    const host = {
      evalsha: async () => {
        throw new RestashError('redis', 'WRONGTYPE Operation against a key holding the wrong kind of value');
      },
    } as unknown as ScriptRedis;
    await expect(
      new ScriptRunner(host, { keyLocking: true, batch: false }).run(lua, ['k'], []),
    ).rejects.toThrow(/^WRONGTYPE/);
  });
});

describe('ScriptRunner with errors from another copy of the client', () => {
  it('falls back on NOSCRIPT recognised by its text, not its class', async () => {
    const sent: string[] = [];
    const host = {
      evalsha: async () => {
        sent.push('EVALSHA');
        // What a CJS copy of @restash/core (or @upstash/redis) throws: not this copy's RestashError.
        throw Object.assign(new Error('NOSCRIPT No matching script. Please use EVAL.'), { code: 'redis' });
      },
      eval: async () => {
        sent.push('EVAL');
        return 1;
      },
    } as unknown as ScriptRedis;
    expect(
      await new ScriptRunner(host, { keyLocking: true, batch: false }).run(
        { name: 'x', body: 'return 1' },
        [],
        [],
      ),
    ).toBe(1);
    expect(sent).toEqual(['EVALSHA', 'EVAL']);
  });
});
