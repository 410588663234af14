import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildEntry } from '../build.js';
import type { Group } from '../steps/index.js';
import {
  fromEnvVariables,
  packageVersion,
  type RuntimeUnderTest,
  require,
  startServing,
  type Target,
} from './shared.js';

/**
 * The `bun` binary of the `bun` npm package: its install script moves the
 * platform package's binary over `bin/bun.exe`; where that script did not run,
 * `bin/bun.exe` is a small placeholder and the binary is still in the
 * platform package (`@oven/bun-<os>-<arch>`).
 */
export function bunBinary(): string {
  const root = dirname(require.resolve('bun/package.json'));
  const installed = join(root, 'bin', 'bun.exe');
  if (statSync(installed).size > 1_000_000) return installed;
  const bunRequire = createRequire(join(root, 'package.json'));
  const os = process.platform;
  const arch = process.arch === 'arm64' ? 'aarch64' : process.arch;
  const candidates = [
    `@oven/bun-${os}-${arch}`,
    `@oven/bun-${os}-${arch}-musl`,
    `@oven/bun-${os}-${arch}-baseline`,
  ];
  for (const name of candidates) {
    try {
      return join(dirname(bunRequire.resolve(`${name}/package.json`)), 'bin', 'bun');
    } catch {}
  }
  throw new Error(
    `[restash/runtimes] no Bun binary for ${os}-${arch}: reinstall the bun package (tried ${candidates.join(', ')})`,
  );
}

/** Bun (the `bun` npm package), with `process.env` as the environment. */
export async function startBun(target: Target, group: Group = 'core'): Promise<RuntimeUnderTest> {
  const entry = await buildEntry('bun', group);
  return startServing('bun', `bun ${packageVersion('bun')}`, bunBinary(), ['run', entry], {
    ...fromEnvVariables(target),
    BUN_INSTALL_CACHE_DIR: join(tmpdir(), 'restash-runtimes-bun'),
  });
}
