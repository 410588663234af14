import { Buffer } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import { EdgeRuntime } from 'edge-runtime';
import { buildEntry, EDGE_BUFFER_GLOBAL } from '../build.js';
import type { Group } from '../steps/index.js';
import {
  answer,
  fromEnvVariables,
  packageVersion,
  type RuntimeUnderTest,
  stepRequest,
  type Target,
} from './shared.js';

/**
 * Vercel's edge-runtime; the variables are `process.env`, and `node:buffer`
 * is importable, as on Vercel's Edge runtime (edge-runtime itself provides
 * neither: they are added to its context here).
 */
export async function startEdgeRuntime(target: Target, group: Group = 'core'): Promise<RuntimeUnderTest> {
  const initialCode = await readFile(await buildEntry('edge', group), 'utf8');
  const runtime = new EdgeRuntime({
    initialCode,
    extend: (context) =>
      Object.assign(context, {
        process: { env: fromEnvVariables(target) },
        [EDGE_BUFFER_GLOBAL]: { Buffer },
      }),
  });
  return {
    version: `edge-runtime ${packageVersion('edge-runtime')}`,
    async run(step, prefix) {
      const response = await runtime.dispatchFetch(
        `http://edge/steps/${encodeURIComponent(step)}`,
        stepRequest(prefix),
      );
      return answer(response as unknown as Response, 'edge-runtime');
    },
    stop: async () => {},
  };
}
