import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'rolldown';

const here = dirname(fileURLToPath(import.meta.url));

/** The conditions a runtime's bundler resolves packages with. */
const CONDITIONS: Record<string, string[]> = {
  worker: ['workerd', 'worker', 'browser'],
  edge: ['edge-light', 'worker', 'browser'],
  deno: ['deno'],
  browser: ['browser'],
};

/** One measured bundle. */
export interface BundleSize {
  /** The program in `src/size/`, e.g. `worker` or `worker-ratelimit`. */
  entry: string;
  minified: number;
  gzip: number;
  /** Node built-ins the bundle still imports (none for the client). */
  nodeImports: string[];
}

/**
 * Bundles each tiny program of `src/size/` the way its platform's bundler
 * would (built ESM of the packages, the platform's export conditions,
 * minified) and measures it, raw and gzipped.
 */
export async function measureBundles(): Promise<BundleSize[]> {
  const entries = readdirSync(join(here, 'size'))
    .filter((name) => name.endsWith('.ts'))
    .map((name) => basename(name, '.ts'))
    .sort();
  const sizes: BundleSize[] = [];
  for (const entry of entries) {
    const nodeImports = new Set<string>();
    const output = await build({
      input: join(here, 'size', `${entry}.ts`),
      platform: 'neutral',
      write: false,
      external: [/^node:/, 'buffer'],
      resolve: {
        conditionNames: [...(CONDITIONS[entry.split('-')[0] ?? ''] ?? []), 'import', 'default'],
        extensionAlias: { '.js': ['.ts', '.js'] },
      },
      logLevel: 'warn',
      output: { format: 'esm', minify: true },
    });
    const chunk = output.output[0];
    for (const imported of chunk.imports) nodeImports.add(imported);
    const code = Buffer.from(chunk.code);
    sizes.push({ entry, minified: code.length, gzip: gzipSync(code).length, nodeImports: [...nodeImports] });
  }
  return sizes;
}

/** `12.3 KiB`. */
export const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
