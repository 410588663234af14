import { defineConfig, type UserConfig } from 'tsdown';

/**
 * The build every published package shares: ESM + CJS + types for each entry,
 * `dist/` cleaned first. `platform: 'neutral'` (the default) keeps Node
 * built-ins out of code meant for edge runtimes and browsers; Node-only
 * packages pass `platform: 'node'`.
 *
 * @example
 * ```ts
 * // packages/foo/tsdown.config.ts
 * import { restashPackage } from '../../tsdown.shared.js';
 * export default restashPackage({ index: 'src/index.ts' });
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
    ...options,
  });
}
