import { createHash } from 'node:crypto';
import type { Arg } from '../resp/resp.js';

/** Script flags only Upstash understands; open-source Redis rejects the script ("Unexpected flag"). */
const UPSTASH_ONLY_FLAGS = new Set(['allow-key-locking']);
const MAX_REMEMBERED = 10_000;

/**
 * Makes scripts written for Upstash run on open-source Redis. `@upstash/ratelimit`
 * (≥ 2.1) starts every script with `#!lua flags=allow-key-locking`, which Redis
 * refuses. We drop the Upstash-only flags before EVAL / SCRIPT LOAD, and remember
 * the SHA1 of the original text, so that the client's EVALSHA (computed over the
 * original) finds the script Redis stored under the rewritten text's SHA1.
 */
export class ScriptRewriter {
  private readonly shas = new Map<string, string>();

  /** Returns the arguments to send; the same array when nothing needs rewriting. */
  rewrite(name: string, args: Arg[]): Arg[] {
    switch (name) {
      case 'EVAL':
      case 'EVAL_RO':
        return this.replaceScript(args, 1);
      case 'SCRIPT':
        return isSubcommand(args[1], 'LOAD') ? this.replaceScript(args, 2) : args;
      case 'EVALSHA':
      case 'EVALSHA_RO': {
        if (this.shas.size === 0) return args;
        const sha = args[1];
        const mapped = typeof sha === 'string' ? this.shas.get(sha.toLowerCase()) : undefined;
        if (mapped === undefined) return args;
        const copy = args.slice();
        copy[1] = mapped;
        return copy;
      }
      default:
        return args;
    }
  }

  private replaceScript(args: Arg[], index: number): Arg[] {
    const script = args[index];
    if (script === undefined) return args;
    const text = typeof script === 'string' ? script : Buffer.from(script).toString('utf8');
    if (!text.startsWith('#!')) return args;
    const rewritten = stripFlags(text);
    if (rewritten === text) return args;
    if (this.shas.size >= MAX_REMEMBERED) this.shas.clear();
    this.shas.set(sha1(text), sha1(rewritten));
    const copy = args.slice();
    copy[index] = rewritten;
    return copy;
  }
}

/** Removes Upstash-only flags from a `#!lua flags=a,b` first line; drops `flags=` if none remain. */
export function stripFlags(script: string): string {
  const newline = script.indexOf('\n');
  const line = newline === -1 ? script : script.slice(0, newline);
  const match = /(\s)flags=(\S*)/.exec(line);
  if (!match) return script;
  const flags = match[2]!.split(',');
  const kept = flags.filter((flag) => !UPSTASH_ONLY_FLAGS.has(flag));
  if (kept.length === flags.length) return script;
  const replacement = kept.length > 0 ? `${match[1]}flags=${kept.join(',')}` : '';
  const head = line.slice(0, match.index) + replacement + line.slice(match.index + match[0].length);
  return newline === -1 ? head : head + script.slice(newline);
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

function isSubcommand(arg: Arg | undefined, name: string): boolean {
  return typeof arg === 'string' && arg.toUpperCase() === name;
}
