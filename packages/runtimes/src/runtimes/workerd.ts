import { Miniflare } from 'miniflare';
import { buildEntry } from '../build.js';
import type { Group } from '../steps/index.js';
import {
  answer,
  fromEnvVariables,
  packageVersion,
  type RuntimeUnderTest,
  stepRequest,
  type Target,
} from './shared.js';

/** Options of {@link startWorkerd}. */
export interface WorkerdOptions {
  /** Run the Worker with the `nodejs_compat` flag (Node built-ins such as `buffer`). @default false */
  nodejsCompat?: boolean;
}

/** workerd, the Cloudflare Workers runtime, through miniflare; the Worker gets the variables as `env` bindings. */
export async function startWorkerd(
  target: Target,
  group: Group = 'core',
  options: WorkerdOptions = {},
): Promise<RuntimeUnderTest> {
  const scriptPath = await buildEntry('worker', group);
  const mf = new Miniflare({
    modules: true,
    scriptPath,
    modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }],
    compatibilityDate: '2026-07-01',
    compatibilityFlags: options.nodejsCompat ? ['nodejs_compat'] : [],
    bindings: fromEnvVariables(target),
  });
  await mf.ready;
  return {
    version: `workerd ${packageVersion('miniflare').split('.')[1]} (miniflare ${packageVersion('miniflare')})${options.nodejsCompat ? ' with nodejs_compat' : ''}`,
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
