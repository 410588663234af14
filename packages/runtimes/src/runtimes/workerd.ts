import { readFile } from 'node:fs/promises';
import { Miniflare } from 'miniflare';
import { buildEntry } from '../build.js';
import {
  answer,
  fromEnvVariables,
  packageVersion,
  type RuntimeUnderTest,
  stepRequest,
  type Target,
} from './shared.js';

/** workerd, the Cloudflare Workers runtime, through miniflare; the Worker gets the variables as `env` bindings. */
export async function startWorkerd(target: Target): Promise<RuntimeUnderTest> {
  const script = await readFile(await buildEntry('worker'), 'utf8');
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: '2026-07-01',
    bindings: fromEnvVariables(target),
  });
  await mf.ready;
  return {
    version: `workerd ${packageVersion('miniflare').split('.')[1]} (miniflare ${packageVersion('miniflare')})`,
    async run(step, prefix) {
      const response = await mf.dispatchFetch(
        `http://worker/steps/${encodeURIComponent(step)}`,
        stepRequest(prefix),
      );
      return answer(response as unknown as Response, 'workerd');
    },
    stop: () => mf.dispose(),
  };
}
