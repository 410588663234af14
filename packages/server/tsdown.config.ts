import { defineConfig } from 'tsdown';
import { restashPackage } from '../../tsdown.shared.js';

export default defineConfig([
  restashPackage({ index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' }, { platform: 'node' }),
  { entry: { cli: 'src/cli.ts' }, format: ['esm'], platform: 'node', fixedExtension: false, clean: false },
]);
