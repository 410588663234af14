import { buildEntry } from '../build.js';
import type { Group } from '../steps/index.js';
import { fromEnvVariables, type RuntimeUnderTest, startServing, type Target } from './shared.js';

/** Node (the one running the tests), with `process.env` as the environment. */
export async function startNode(target: Target, group: Group = 'core'): Promise<RuntimeUnderTest> {
  const entry = await buildEntry('node', group);
  return startServing(
    'node',
    `node ${process.versions.node}`,
    process.execPath,
    [entry],
    fromEnvVariables(target),
  );
}
