import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const here = dirname(fileURLToPath(import.meta.url));

/** Where the per-runtime entries are written (git-ignored). */
export const OUT_DIR = join(here, '..', '.out');

/** The runtime entries, one per runtime, in `src/entries/`. */
export type EntryName = 'worker' | 'edge' | 'deno' | 'bun' | 'node' | 'browser';

/**
 * How each entry is built. Worker and Edge entries are bundled with
 * `@restash/core`'s built ESM inside, as wrangler and Next.js deploy them;
 * the others keep `import … from '@restash/core'` and let the runtime resolve
 * the package's built ESM itself (node_modules for Node, Bun and Deno, an
 * import map in the page).
 */
const ENTRIES: Record<
  EntryName,
  {
    bundleCore: boolean;
    format: 'esm' | 'iife';
    platform: 'neutral' | 'browser' | 'node';
    conditions: string[];
  }
> = {
  worker: {
    bundleCore: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
  },
  edge: {
    bundleCore: true,
    format: 'iife',
    platform: 'neutral',
    conditions: ['edge-light', 'worker', 'browser'],
  },
  deno: { bundleCore: false, format: 'esm', platform: 'neutral', conditions: [] },
  bun: { bundleCore: false, format: 'esm', platform: 'neutral', conditions: [] },
  node: { bundleCore: false, format: 'esm', platform: 'node', conditions: [] },
  browser: { bundleCore: false, format: 'esm', platform: 'browser', conditions: [] },
};

/** The directory of `@restash/core`'s build, failing clearly when it has not been built. */
export function coreDist(): string {
  const require = createRequire(import.meta.url);
  const dist = join(dirname(require.resolve('@restash/core/package.json')), 'dist');
  if (!existsSync(join(dist, 'index.js'))) {
    throw new Error(
      `[restash/runtimes] ${join(dist, 'index.js')} is missing: the matrix runs the built client. Run \`pnpm --filter @restash/core build\`.`,
    );
  }
  return dist;
}

/**
 * Builds one runtime entry into `.out/<name>.js` and returns its path. The
 * conformance script is compiled from TypeScript; `@restash/core` always
 * resolves to its built ESM (`dist/index.js`), never to its sources.
 */
export async function buildEntry(name: EntryName): Promise<string> {
  coreDist();
  const entry = ENTRIES[name];
  const file = join(OUT_DIR, `${name}.js`);
  await build({
    input: join(here, 'entries', `${name}.ts`),
    platform: entry.platform,
    external: entry.bundleCore ? [/^node:/] : ['@restash/core', /^node:/],
    resolve: {
      conditionNames: [...entry.conditions, 'import', 'default'],
      extensionAlias: { '.js': ['.ts', '.js'] },
    },
    logLevel: 'warn',
    output: { file, format: entry.format, sourcemap: false },
  });
  return file;
}
