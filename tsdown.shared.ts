import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { defineConfig, type UserConfig } from 'tsdown';

/** The workspace's base compiler options, for packages that have no `tsconfig.json` of their own. */
const baseTsconfig = join(import.meta.dirname, 'tsconfig.base.json');

/**
 * The build entries a package's `exports` map already names: each subpath's
 * `@restash/source` condition is its source file, and `src/<path>.ts` builds
 * to `dist/<path>.{js,cjs,d.ts,d.cts}`, the files the other conditions name
 * (the publishing checks fail if they are not in the tarball). So the list of
 * entries is written once, in `package.json`.
 *
 * @example
 * ```ts
 * // "./protocol": { "@restash/source": "./src/protocol/index.ts", … }
 * packageEntries(); // { index: 'src/index.ts', 'protocol/index': 'src/protocol/index.ts' }
 * ```
 */
export function packageEntries(dir: string = process.cwd()): Record<string, string> {
  const { name, exports = {} } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const entries: Record<string, string> = {};
  for (const [subpath, target] of Object.entries<unknown>(exports)) {
    const source =
      target && typeof target === 'object'
        ? (target as Record<string, unknown>)['@restash/source']
        : undefined;
    if (source === undefined) continue;
    const file = posix.normalize(String(source));
    if (!/^src\/.+\.tsx?$/.test(file))
      throw new Error(`${name}: exports["${subpath}"]["@restash/source"] must name a file under ./src`);
    entries[file.slice('src/'.length).replace(/\.tsx?$/, '')] = file;
  }
  if (Object.keys(entries).length === 0)
    throw new Error(`${name}: no "@restash/source" condition in the exports map, so nothing to build`);
  return entries;
}

/**
 * The build every published package shares: ESM + CJS + types for each entry,
 * `dist/` cleaned first. `platform: 'neutral'` (the default) keeps Node
 * built-ins out of code meant for edge runtimes and browsers; Node-only
 * packages pass `platform: 'node'`. A package without a `tsconfig.json`
 * builds its types with the workspace's base options.
 *
 * Most packages need no config file: their `build` script is
 * `tsdown --config ../../tsdown.shared.ts`, whose default export is this build
 * with the entries of {@link packageEntries}. A package that needs more writes
 * a `tsdown.config.ts` that calls this.
 *
 * @example
 * ```ts
 * // packages/foo/tsdown.config.ts
 * import { packageEntries, restashPackage } from '../../tsdown.shared.js';
 * export default restashPackage(packageEntries(), { platform: 'node' });
 * ```
 */
export function restashPackage(entry: Record<string, string>, options: UserConfig = {}) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    platform: 'neutral',
    fixedExtension: false,
    ...(existsSync(join(options.cwd ?? process.cwd(), 'tsconfig.json')) ? {} : { tsconfig: baseTsconfig }),
    ...options,
  });
}

/**
 * The build of a package that has no `tsdown.config.ts`, run in its folder
 * (tsdown would otherwise build from this file's folder).
 */
export default defineConfig(() => restashPackage(packageEntries(), { cwd: process.cwd() }));
