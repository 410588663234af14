import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsdown';
import { restashPackage } from '../../tsdown.shared.js';

/** `--version` and `/-/version` answer the version of the package that was built. */
const define = {
  __RESTASH_VERSION__: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version),
};

export default defineConfig([
  restashPackage(
    { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
    { platform: 'node', define },
  ),
  {
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    platform: 'node',
    fixedExtension: false,
    clean: false,
    define,
  },
]);
