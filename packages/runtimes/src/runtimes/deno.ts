import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** The `deno` binary from the npm package's platform package (no install script needed). */
export function denoBinary(): string {
  const { runInstall } = require('deno/install_api.cjs') as { runInstall(): string };
  return runInstall();
}

/** Deno (the `deno` npm package), with `Deno.env` as the environment. */
export async function startDeno(target: Target, group: Group = 'core'): Promise<RuntimeUnderTest> {
  const entry = await buildEntry('deno', group);
  return startServing(
    'deno',
    `deno ${packageVersion('deno')}`,
    denoBinary(),
    ['run', '--no-prompt', '--node-modules-dir=manual', '--allow-net=127.0.0.1', '--allow-env', entry],
    {
      ...fromEnvVariables(target),
      DENO_NO_UPDATE_CHECK: '1',
      DENO_DIR: join(tmpdir(), 'restash-runtimes-deno'),
    },
  );
}
