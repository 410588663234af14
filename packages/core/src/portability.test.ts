import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('.', import.meta.url).pathname;
const BUILTINS =
  /from ['"](node:[^'"]+|fs|path|crypto|http|https|net|tls|stream|buffer|os|url|util|zlib|events)['"]/;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('portability of the shipped entries', () => {
  it('imports no Node built-in module, so the client runs on edge runtimes and in browsers', () => {
    const files = sources(SRC);
    expect(files.length).toBeGreaterThan(10);
    const offenders = files.filter((file) => BUILTINS.test(readFileSync(file, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('reaches Buffer and process only through globalThis, so a runtime without them still loads it', () => {
    for (const file of sources(SRC)) {
      const code = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '')
        .replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, "''");
      // Allowed: globalThis.Buffer, (globalThis as { Buffer?: … }).Buffer — anything else is a bare global.
      const bare = code.match(/(?<![.\w])(Buffer|process)\b(?!\?:)/g) ?? [];
      expect(bare, file).toEqual([]);
    }
  });
});
