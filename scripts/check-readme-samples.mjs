#!/usr/bin/env node
// Type-checks every TypeScript code sample of the package READMEs, so samples cannot rot.
//
//   node scripts/check-readme-samples.mjs                 # every packages/*/README.md
//   node scripts/check-readme-samples.mjs packages/core   # some packages only
//
// Each ```ts / ```typescript / ```tsx block becomes a module of its own, compiled
// under the repository's strict settings inside its package (so the package's own
// name and dependencies resolve, to their sources). A README declares what its
// samples take for granted in one hidden comment, as global declarations that a
// sample may shadow:
//
//   <!-- readme-samples
//   declare const redis: import('@restash/core').Redis;
//   -->
//
// and `<!-- readme-samples: skip -->` on the line before a block leaves that block out.
// Samples for Deno (importing `npm:` or `jsr:` specifiers) are left out too: Node's
// TypeScript cannot resolve them.
// Exits 1 when a sample does not compile, printing README line numbers.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = '.readme-samples';
const LANGS = new Set(['ts', 'typescript', 'tsx']);
const DENO = /from\s+['"](npm|jsr):/;

const packages = (
  process.argv.length > 2
    ? process.argv.slice(2).map((dir) => resolve(root, dir))
    : readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name))
).filter((dir) => existsSync(join(dir, 'README.md')));

/** The samples of one README: `{ line, code, lang }`, `line` being the README line of the first code line. */
function extract(markdown) {
  const lines = markdown.split('\n');
  const samples = [];
  let globals = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '<!-- readme-samples') {
      const end = lines.indexOf('-->', i);
      globals = lines.slice(i + 1, end).join('\n');
      i = end;
      continue;
    }
    const open = /^(\s*)(`{3,})(\S*)/.exec(line);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    let close = i + 1;
    while (close < lines.length && !lines[close].startsWith(`${indent}${fence}`)) close++;
    const skipped = lines[i - 1]?.trim() === '<!-- readme-samples: skip -->';
    if (LANGS.has(lang) && !skipped) {
      const code = lines
        .slice(i + 1, close)
        .map((text) => (text.startsWith(indent) ? text.slice(indent.length) : text))
        .join('\n');
      if (!DENO.test(code)) samples.push({ line: i + 2, code, lang });
    }
    i = close;
  }
  return { samples, globals };
}

function tscFor(dir) {
  for (const base of [dir, root]) {
    try {
      return createRequire(join(base, 'package.json')).resolve('typescript/bin/tsc');
    } catch {}
  }
  throw new Error('typescript is not installed');
}

let failed = 0;
let checked = 0;
for (const dir of packages) {
  const readme = join(dir, 'README.md');
  const { samples, globals } = extract(readFileSync(readme, 'utf8'));
  if (samples.length === 0) continue;
  const out = join(dir, OUT);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const files = [];
  try {
    // A module, so that its declarations are global and samples may shadow them.
    writeFileSync(join(out, 'globals.d.ts'), `export {};\ndeclare global {\n${globals}\n}\n`);
    samples.forEach((sample, n) => {
      const file = `sample-${n + 1}.${sample.lang === 'tsx' ? 'tsx' : 'mts'}`;
      files.push({ file, sample });
      writeFileSync(join(out, file), `${sample.code}\nexport {};\n`);
    });
    writeFileSync(
      join(out, 'tsconfig.json'),
      JSON.stringify(
        {
          // The package's own settings (e.g. decorators for Nest), which extend the base.
          extends: relative(
            out,
            existsSync(join(dir, 'tsconfig.json'))
              ? join(dir, 'tsconfig.json')
              : join(root, 'tsconfig.base.json'),
          ),
          compilerOptions: {
            noEmit: true,
            jsx: 'react-jsx',
            types: existsSync(join(dir, 'node_modules/@types/node')) ? ['node'] : [],
          },
          include: ['*.mts', '*.tsx', '*.d.ts'],
        },
        null,
        2,
      ),
    );
    checked += samples.length;
    try {
      execFileSync(process.execPath, [tscFor(dir), '-p', join(out, 'tsconfig.json'), '--pretty', 'false'], {
        cwd: out,
        encoding: 'utf8',
        stdio: 'pipe',
      });
      console.log(`ok   ${relative(root, readme)}: ${samples.length} samples`);
    } catch (error) {
      failed++;
      const output = String(error.stdout || error.message);
      console.log(`FAIL ${relative(root, readme)}:`);
      for (const text of output.split('\n').filter(Boolean)) {
        const match = /^(sample-(\d+)\.\w+)\((\d+),(\d+)\): (.*)$/.exec(text);
        if (!match) {
          console.log(`  ${text}`);
          continue;
        }
        const sample = files[Number(match[2]) - 1].sample;
        console.log(
          `  ${relative(root, readme)}:${sample.line + Number(match[3]) - 1}:${match[4]} ${match[5]}`,
        );
      }
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
console.log(`${checked} README samples checked${failed ? `, ${failed} README(s) with errors` : ''}`);
process.exit(failed ? 1 : 0);
