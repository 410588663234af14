// Publishing checks for every public package, on what npm would receive:
// packs each one (its prepack copies the licence in), checks that the tarball
// holds LICENSE, README.md (with no relative links, which break on the npm
// page), package.json and every file its exports map names,
// then runs publint and @arethetypeswrong/cli on the tarball. Exits non-zero
// if a package is broken, naming it. Needs a build first.
//
// With package folders as arguments (`node scripts/check-packages.mjs
// packages/foo`), checks those only, private ones too (scripts/check-scaffold.mjs
// checks the private example package this way); a private package needs no
// README, since it is never on the npm page.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const bin = (name) => join(root, 'node_modules/.bin', name);
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: 'pipe' });

/** Every file path an exports map names (conditions other than the workspace's source one). */
function exportedFiles(value, out = new Set()) {
  if (typeof value === 'string') out.add(value.replace(/^\.\//, ''));
  else if (value && typeof value === 'object')
    for (const [key, inner] of Object.entries(value))
      if (key !== '@restash/source') exportedFiles(inner, out);
  return out;
}

const chosen = process.argv.slice(2).map((dir) => resolve(dir));
const dirs = chosen.length
  ? chosen
  : readdirSync(join(root, 'packages')).map((dir) => join(root, 'packages', dir));

const failures = [];
for (const cwd of dirs) {
  let pkg;
  try {
    pkg = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8'));
  } catch {
    if (chosen.length) throw new Error(`no package.json in ${cwd}`);
    continue;
  }
  if (pkg.private && !chosen.length) continue;
  const out = mkdtempSync(join(tmpdir(), 'restash-pack-'));
  try {
    run('pnpm', ['pack', '--pack-destination', out], cwd);
    const tarball = join(
      out,
      readdirSync(out).find((f) => f.endsWith('.tgz')),
    );
    const files = new Set(
      run('tar', ['-tzf', tarball], cwd)
        .split('\n')
        .filter(Boolean)
        .map((f) => f.replace(/^package\//, '')),
    );
    const required = ['LICENSE', ...(pkg.private ? [] : ['README.md']), 'package.json'];
    const missing = [...required, ...exportedFiles(pkg.exports)].filter((f) => !files.has(f));
    if (missing.length) throw new Error(`the tarball lacks ${missing.join(', ')}`);
    const packed = JSON.parse(run('tar', ['-xzOf', tarball, 'package/package.json'], cwd));
    const loose = Object.entries({ ...packed.dependencies, ...packed.peerDependencies }).filter(([, range]) =>
      String(range).startsWith('workspace:'),
    );
    if (loose.length)
      throw new Error(`the tarball keeps workspace: ranges (${loose.map(([n]) => n).join(', ')})`);
    const readme = files.has('README.md') ? run('tar', ['-xzOf', tarball, 'package/README.md'], cwd) : '';
    const relative = readme.match(/\]\(\.{1,2}\/[^)]*\)/g);
    if (relative) throw new Error(`README.md has links that break on the npm page: ${relative.join(' ')}`);
    for (const field of ['repository', 'homepage', 'bugs', 'keywords', 'license'])
      if (!packed[field]) throw new Error(`package.json has no "${field}"`);
    run(bin('publint'), ['run', '--strict', tarball], cwd);
    run(bin('attw'), [tarball, '--format', 'ascii'], cwd);
    console.log(`ok  ${pkg.name}`);
  } catch (error) {
    const detail = [error.message, error.stdout, error.stderr].filter(Boolean).join('\n');
    console.error(`FAIL ${pkg.name}\n${detail}`);
    failures.push(pkg.name);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
if (failures.length) {
  console.error(`\npublishing checks failed: ${failures.join(', ')}`);
  process.exit(1);
}
