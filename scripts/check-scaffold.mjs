// The proof of the README's "Adding a package" checklist: packages/scaffold-example
// (private) holds nothing but a package.json, src/index.ts and one test file, and
// this builds it, type-checks it, runs its test and runs the publishing checks
// (scripts/check-packages.mjs: pack, publint --strict, attw) on it. It fails if
// the example gains a file (a tsconfig.json, a tsdown or vitest config…), so the
// shared defaults keep being enough for a new package.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const dir = join(root, 'packages/scaffold-example');
/** Made by install, build and pack, and ignored by git. */
const generated = new Set(['node_modules', 'dist', '.turbo', 'LICENSE']);

function files(folder) {
  return readdirSync(folder, { withFileTypes: true })
    .filter((entry) => !(folder === dir && generated.has(entry.name)))
    .flatMap((entry) =>
      entry.isDirectory() ? files(join(folder, entry.name)) : [relative(dir, join(folder, entry.name))],
    );
}

const found = files(dir).sort();
const tests = found.filter((file) => /^(src|test)\/.*\.test\.tsx?$/.test(file));
const others = found.filter((file) => !['package.json', 'src/index.ts', ...tests].includes(file));
if (
  !found.includes('package.json') ||
  !found.includes('src/index.ts') ||
  tests.length !== 1 ||
  others.length
) {
  console.error(
    `check-scaffold: ${relative(root, dir)} must hold package.json, src/index.ts and one test file, no more; it holds: ${found.join(', ')}`,
  );
  process.exit(1);
}

const steps = [
  ['build', 'pnpm', ['run', 'build']],
  ['typecheck', 'pnpm', ['run', 'typecheck']],
  ['test', 'pnpm', ['run', 'test']],
  ['publishing checks', process.execPath, [join(root, 'scripts/check-packages.mjs'), dir]],
];
for (const [name, command, args] of steps) {
  const start = performance.now();
  try {
    execFileSync(command, args, { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    console.error(`FAIL ${name} of ${relative(root, dir)}\n${[error.stdout, error.stderr].join('\n')}`);
    process.exit(1);
  }
  console.log(`ok   ${name} (${((performance.now() - start) / 1000).toFixed(1)} s)`);
}
console.log(`a package of ${found.join(', ')} builds, type-checks, tests and passes publint and attw`);
