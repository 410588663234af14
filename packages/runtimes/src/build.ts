import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';
import type { Group } from './steps/index.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Where the per-runtime entries are written (git-ignored). */
export const OUT_DIR = join(here, '..', '.out');

/** The runtime entries, one per runtime, in `src/entries/`. */
export type EntryName = 'worker' | 'edge' | 'deno' | 'bun' | 'node' | 'browser';

/** The packages under test; node's `buffer` is what keyv's serializer imports. */
const PACKAGES = ['@restash/core', '@restash/ratelimit', '@restash/keyv', /^@restash\/next(\/|$)/, 'keyv'];
const NODE_BUILTINS = [/^node:/, 'buffer'];

/**
 * How each entry is built. Worker, Edge and browser entries are bundled as
 * wrangler, Next.js and a web bundler ship them, with the packages' built ESM
 * inside — except `@restash/core` in the page, which loads the package's own
 * `dist/` through an import map. Node, Bun and Deno keep every
 * `import … from '@restash/…'` and resolve the built packages from
 * node_modules themselves. Node built-ins stay imports everywhere: the runtime
 * has them or it does not.
 */
const ENTRIES: Record<
  EntryName,
  {
    external: (string | RegExp)[];
    format: 'esm' | 'iife';
    platform: 'neutral' | 'browser' | 'node';
    conditions: string[];
  }
> = {
  worker: {
    external: NODE_BUILTINS,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
  },
  edge: {
    external: NODE_BUILTINS,
    format: 'iife',
    platform: 'neutral',
    conditions: ['edge-light', 'worker', 'browser'],
  },
  deno: { external: [...PACKAGES, ...NODE_BUILTINS], format: 'esm', platform: 'neutral', conditions: [] },
  bun: { external: [...PACKAGES, ...NODE_BUILTINS], format: 'esm', platform: 'neutral', conditions: [] },
  node: { external: [...PACKAGES, ...NODE_BUILTINS], format: 'esm', platform: 'node', conditions: [] },
  browser: {
    external: ['@restash/core', ...NODE_BUILTINS],
    format: 'esm',
    platform: 'browser',
    conditions: [],
  },
};

/** The global the Edge bundle reads node's `buffer` from (the Edge runtime provides `node:buffer`). */
export const EDGE_BUFFER_GLOBAL = '__restashNodeBuffer';

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
 * Builds one runtime entry for one group of steps into
 * `.out/<group>/<name>.js` and returns its path. The conformance script is
 * compiled from TypeScript; the packages always resolve to their built ESM
 * (`dist/`), never to their sources.
 */
export async function buildEntry(name: EntryName, group: Group): Promise<string> {
  coreDist();
  const entry = ENTRIES[name];
  const file = join(OUT_DIR, group, `${name}.js`);
  await build({
    input: join(here, 'entries', `${name}.ts`),
    platform: entry.platform,
    external: entry.external,
    resolve: {
      alias: { '#steps': join(here, 'steps', `${group}.ts`) },
      conditionNames: [...entry.conditions, 'import', 'default'],
      extensionAlias: { '.js': ['.ts', '.js'] },
    },
    logLevel: 'warn',
    // A package that does not resolve (not built yet) must fail the build, not become a missing global.
    onLog(level, log, handler) {
      if (log.code === 'UNRESOLVED_IMPORT') throw new Error(`[restash/runtimes] ${log.message}`);
      handler(level, log);
    },
    output: {
      file,
      format: entry.format,
      sourcemap: false,
      ...(entry.format === 'iife'
        ? { globals: { buffer: EDGE_BUFFER_GLOBAL, 'node:buffer': EDGE_BUFFER_GLOBAL } }
        : {}),
    },
  });
  return file;
}

/**
 * Bundles a README example (`examples/<name>.ts`) as its platform's bundler
 * would and returns the code: ESM for a Worker, or an IIFE assigning its
 * exports to the global `globalName` for the Edge runtime.
 */
export async function bundleExample(
  name: string,
  options: { conditions: string[]; globalName?: string },
): Promise<string> {
  coreDist();
  const output = await build({
    input: join(here, '..', 'examples', `${name}.ts`),
    platform: 'neutral',
    write: false,
    resolve: { conditionNames: [...options.conditions, 'import', 'default'] },
    logLevel: 'warn',
    output: options.globalName ? { format: 'iife', name: options.globalName } : { format: 'esm' },
  });
  return output.output[0].code;
}
