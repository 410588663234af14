import { defineConfig } from 'tsdown';

// An app, not a library: one ESM entry for Node, no types.
export default defineConfig({
  entry: { main: 'src/main.ts' },
  format: ['esm'],
  platform: 'node',
  dts: false,
  clean: true,
});
