import { useStack } from '@restash/test-harness';
import { EdgeRuntime } from 'edge-runtime';
import { Miniflare } from 'miniflare';
import { describe, expect, it } from 'vitest';
import { bundleExample } from '../src/build.js';
import { denoBinary } from '../src/runtimes/deno.js';
import { spawnListening } from '../src/runtimes/shared.js';

// The README's copy-paste examples, run as written in their runtimes (each counts visits from 1).
describe('the README examples', () => {
  const stack = useStack();
  const env = () => ({ RESTASH_URL: stack.url, RESTASH_TOKEN: stack.token });

  it('the Worker example counts visits in workerd with Redis.fromEnv({ env })', async () => {
    const script = await bundleExample('worker', { conditions: ['workerd', 'worker', 'browser'] });
    const mf = new Miniflare({ modules: true, script, compatibilityDate: '2026-07-01', bindings: env() });
    try {
      await stack.client().del('visits');
      expect(await (await mf.dispatchFetch('http://worker/')).json()).toEqual({ visits: 1 });
      expect(await (await mf.dispatchFetch('http://worker/')).json()).toEqual({ visits: 2 });
    } finally {
      await mf.dispose();
    }
  });

  it('the Deno example counts visits under deno serve, importing npm:@restash/core', async () => {
    const served = await spawnListening(
      'deno',
      denoBinary(),
      [
        'serve',
        '--port=0',
        '--host=127.0.0.1',
        '--allow-net',
        '--allow-env',
        '--node-modules-dir=manual',
        'examples/deno.ts',
      ],
      { ...env(), DENO_NO_UPDATE_CHECK: '1' },
      /Listening on http:\/\/127\.0\.0\.1:(\d+)/,
    );
    try {
      await stack.client().del('visits');
      expect(await (await fetch(served.base)).json()).toEqual({ visits: 1 });
      expect(await (await fetch(served.base)).json()).toEqual({ visits: 2 });
    } finally {
      await served.stop();
    }
  });

  it('the Vercel Edge example counts visits in edge-runtime with Redis.fromEnv()', async () => {
    const code = await bundleExample('vercel-edge', {
      conditions: ['edge-light', 'worker', 'browser'],
      globalName: 'route',
    });
    const runtime = new EdgeRuntime({
      initialCode: `${code}\naddEventListener('fetch', (event) => event.respondWith(route.GET(event.request)));`,
      extend: (context) => Object.assign(context, { process: { env: env() } }),
    });
    await stack.client().del('visits');
    expect(await (await runtime.dispatchFetch('http://edge/api/visits')).json()).toEqual({ visits: 1 });
    expect(await (await runtime.dispatchFetch('http://edge/api/visits')).json()).toEqual({ visits: 2 });
  });
});
