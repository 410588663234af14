import { readFileSync } from 'node:fs';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

/**
 * Workspace packages resolve to their TypeScript sources in tests (the
 * `@restash/source` export condition), so a test never needs a build first and
 * never runs a stale `dist`.
 */
const conditions = ['@restash/source', 'module', 'node', 'development|production'];

/**
 * The build-time constants the sources expect (tsdown defines them in each
 * package's build); tests of any package that imports those sources need them.
 */
const define = {
  __RESTASH_VERSION__: JSON.stringify(
    JSON.parse(readFileSync(new URL('packages/server/package.json', import.meta.url), 'utf8')).version,
  ),
};

/**
 * The vitest config every package and app shares: sources resolved from the
 * workspace, unit tests beside the code, integration tests in `test/`, and
 * generous timeouts for tests that start real `redis-server` processes.
 *
 * Most packages need no config file: their `test` script is
 * `vitest run --config ../../vitest.shared.ts`, whose default export is this
 * config (vitest's root stays the folder it runs in). A package that needs
 * more writes a `vitest.config.ts` that calls this.
 *
 * @example
 * ```ts
 * // packages/foo/vitest.config.ts
 * import { restashVitest } from '../../vitest.shared.js';
 * export default restashVitest({ globalSetup: ['@restash/test-harness/global-setup'] });
 * ```
 */
export function restashVitest(test: NonNullable<ViteUserConfig['test']> = {}): ViteUserConfig {
  return defineConfig({
    define,
    plugins: [
      {
        // Every environment, including the one vitest runs globalSetup files in.
        name: 'restash-source',
        configEnvironment: () => ({ resolve: { conditions } }),
      },
    ],
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'test/**/*.test.tsx'],
      testTimeout: 30_000,
      hookTimeout: 60_000,
      ...test,
    },
  });
}

/** The tests of a package that has no `vitest.config.ts`: run in its folder. */
export default restashVitest();
