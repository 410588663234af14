import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { prefix, TOKEN, useStack } from '@restash/test-harness';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/**
 * The migration corpus (test/migration/corpus): typical programs written for
 * @upstash/redis — its README examples and its own command signatures. Each
 * exports `connect(url, token)` and `main(redis, key)`. They compile against
 * @upstash/redis (this package's typecheck) and, unchanged, against
 * @restash/core; and they return the same results with either client.
 */
const stack = useStack();
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const corpus = readdirSync(new URL('./migration/corpus/', import.meta.url))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.slice(0, -3))
  .sort();

interface Program {
  connect(url: string, token: string): unknown;
  main(redis: unknown, key: (name: string) => string): Promise<unknown>;
}

const load = (name: string) => import(`./migration/corpus/${name}.ts`) as Promise<Program>;

/** Replaces a key prefix in every string of a result. */
function normalize(value: unknown, from: string): unknown {
  return JSON.parse(JSON.stringify(value).split(from).join('<p>'));
}

async function runAll(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const name of corpus) {
    const program = await load(name);
    const p = prefix();
    try {
      out[name] = normalize(await program.main(program.connect(stack.url, TOKEN), (key) => `${p}${key}`), p);
    } catch (error) {
      out[name] = `threw: ${(error as Error).message}`;
    }
  }
  return out;
}

describe('the @upstash/redis migration corpus', () => {
  const saved = { ...process.env };
  beforeAll(() => {
    // env.ts uses Redis.fromEnv(): point the Upstash variables at our server, and hide ours.
    delete process.env.RESTASH_URL;
    delete process.env.RESTASH_TOKEN;
    process.env.UPSTASH_REDIS_REST_URL = stack.url;
    process.env.UPSTASH_REDIS_REST_TOKEN = TOKEN;
  });
  afterAll(() => {
    process.env = saved;
    vi.doUnmock('@upstash/redis');
  });

  it('has programs to migrate', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(15);
  });

  it('compiles unchanged against @restash/core under strict TypeScript', () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', 'test/migration/tsconfig.restash.json'], {
        cwd: packageDir,
        encoding: 'utf8',
      });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
  }, 240_000);

  it('runs unchanged with the same results as with @upstash/redis', async () => {
    const theirs = await runAll();
    // The only change a migration makes: the import resolves to @restash/core.
    vi.resetModules();
    vi.doMock('@upstash/redis', () => import('@restash/core'));
    const ours = await runAll();
    expect(Object.keys(ours)).toEqual(corpus);
    for (const name of corpus) expect(ours[name], name).toEqual(theirs[name]);
    // A sanity check that the two runs really used two clients.
    const [upstash, restash] = [
      await vi.importActual<{ Redis: unknown }>('@upstash/redis'),
      await import('@upstash/redis'),
    ];
    expect(upstash.Redis).not.toBe(restash.Redis);
  }, 120_000);
});
