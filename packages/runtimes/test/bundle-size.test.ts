import { describe, expect, it } from 'vitest';
import { kib, measureBundles } from '../src/size.js';

describe('bundle size per runtime entry', () => {
  it('bundles each tiny program with the built packages and prints its size (minified, minified + gzip)', async () => {
    const sizes = await measureBundles();
    console.log(
      [
        '| entry | minified | minified + gzip |',
        '|---|---|---|',
        ...sizes.map((s) => `| ${s.entry} | ${kib(s.minified)} | ${kib(s.gzip)} |`),
      ].join('\n'),
    );
    expect(sizes.map((s) => s.entry)).toContain('worker');
    for (const size of sizes) {
      // The client and the packages import no Node built-in, except keyv's serializer (node's buffer).
      expect(size.nodeImports, size.entry).toEqual(size.entry.endsWith('keyv') ? ['buffer'] : []);
    }
  });
});
