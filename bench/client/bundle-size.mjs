// Bundle size of each client's main entry, minified and gzipped, as an app would ship it.
// Bundles with rolldown (the bundler tsdown ships), so it needs no extra dependency.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const core = fileURLToPath(new URL('../../packages/core/', import.meta.url));
const coreRequire = createRequire(`${core}package.json`);
const { rolldown } = await import(createRequire(coreRequire.resolve('tsdown')).resolve('rolldown'));

const entries = [
  { name: '@restash/core', source: `export { Redis } from ${JSON.stringify(`${core}dist/index.js`)};` },
  {
    name: '@upstash/redis 1.39.0',
    source: `export { Redis } from ${JSON.stringify(coreRequire.resolve('@upstash/redis').replace(/nodejs\.js$/, 'nodejs.mjs'))};`,
  },
  {
    name: '@upstash/redis/cloudflare 1.39.0',
    source: `export { Redis } from ${JSON.stringify(coreRequire.resolve('@upstash/redis/cloudflare').replace(/cloudflare\.js$/, 'cloudflare.mjs'))};`,
  },
];

export async function bundleSizes() {
  const dir = mkdtempSync(join(tmpdir(), 'restash-bundle-'));
  const out = [];
  try {
    for (const [i, entry] of entries.entries()) {
      const input = join(dir, `entry${i}.mjs`);
      writeFileSync(input, entry.source);
      const bundle = await rolldown({
        input,
        platform: 'browser',
        logLevel: 'silent',
        // @upstash/redis imports uncrypto; resolve it from its own folder.
        resolve: {
          modules: [join(core, 'node_modules'), join(core, '../../node_modules/.pnpm/node_modules')],
        },
      });
      const { output } = await bundle.generate({ format: 'esm', minify: true });
      await bundle.close();
      const code = output
        .filter((chunk) => chunk.type === 'chunk')
        .map((chunk) => chunk.code)
        .join('\n');
      out.push({ name: entry.name, min: Buffer.byteLength(code), gzip: gzipSync(code, { level: 9 }).length });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const s of await bundleSizes())
    console.log(
      `${s.name}: ${(s.min / 1024).toFixed(1)} KiB minified, ${(s.gzip / 1024).toFixed(1)} KiB gzip`,
    );
}
