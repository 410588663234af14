import { readFile } from 'node:fs/promises';
import { EdgeRuntime } from 'edge-runtime';
import { buildEntry } from '../build.js';
import {
  answer,
  fromEnvVariables,
  packageVersion,
  type RuntimeUnderTest,
  stepRequest,
  type Target,
} from './shared.js';

/** Vercel's edge-runtime; the variables are `process.env`, as on Vercel. */
export async function startEdgeRuntime(target: Target): Promise<RuntimeUnderTest> {
  const initialCode = await readFile(await buildEntry('edge'), 'utf8');
  const runtime = new EdgeRuntime({
    initialCode,
    extend: (context) => Object.assign(context, { process: { env: fromEnvVariables(target) } }),
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
