import { int, opts, str } from '../command.js';
import type { WireArg } from '../values.js';

/** Options of SCAN, HSCAN, SSCAN and ZSCAN. */
export interface ScanOptions {
  /** Only return names matching this glob-style pattern. */
  match?: string;
  /** How much work to do per call (a hint, not an exact count). @default 10 on the server */
  count?: number;
  /** SCAN only: only keys of this type (`string`, `hash`, `list`, `set`, `zset`, `stream`). */
  type?: string;
}

export function scanArgs(options: ScanOptions | undefined, command: string): WireArg[] {
  const out: WireArg[] = [];
  if (!opts(options, command) || !options) return out;
  if (options.match !== undefined) out.push('MATCH', str('match', options.match, command));
  if (options.count !== undefined) out.push('COUNT', int('count', options.count, command));
  if (options.type !== undefined) out.push('TYPE', str('type', options.type, command));
  return out;
}
