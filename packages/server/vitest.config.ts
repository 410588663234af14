import { readFileSync } from 'node:fs';
import { configDefaults } from 'vitest/config';
import { restashVitest } from '../../vitest.shared.js';

/**
 * Suites run once, not once per HTTP engine: unit tests of code below the HTTP
 * layer, topology helpers, the engine tests that start both engines themselves,
 * and the CLI suites, whose child processes get only PATH and the env the test
 * gives them (`runNode`), so they run the default engine whatever the project's.
 */
const ONCE = [
  'src/**/*.test.ts',
  'test/topology.test.ts',
  'test/http-engine*.test.ts',
  'test/cli.test.ts',
  'test/cli-operating.test.ts',
  'test/deploy.test.ts',
];

/**
 * Tests that watch node:http's own `request` event to know a request arrived:
 * the fast engine fires none for the requests it serves itself, so on it they
 * would wait forever. `test/http-engine-lifecycle.test.ts` checks the same
 * behaviour on both engines without that event.
 */
const NODE_ONLY = [
  'answers, and releases the stream of, a client that leaves while its token is being checked',
  'answers requests in flight before close() resolves',
];
const literal = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const config = restashVitest({
  // The projects below extend this: `once` takes these files, the engine projects exclude them.
  include: ONCE,
  projects: [
    { extends: true, test: { name: 'once' } },
    // Every other suite runs twice, once per HTTP engine (issue #17): `vitest run --project engine-node` runs one.
    ...(['fast', 'node'] as const).map((engine) => ({
      extends: true as const,
      test: {
        name: `engine-${engine}`,
        include: ['test/**/*.test.ts'],
        exclude: [...configDefaults.exclude, ...ONCE],
        env: { RESTASH_HTTP_ENGINE: engine },
        ...(engine === 'fast' && {
          testNamePattern: new RegExp(`^(?!.*(${NODE_ONLY.map(literal).join('|')})$)`),
        }),
      },
    })),
  ],
});
// Tests run the sources: the version the build defines (tsdown.config.ts) must be defined here too.
config.define = {
  __RESTASH_VERSION__: JSON.stringify(
    JSON.parse(readFileSync(new URL('package.json', import.meta.url), 'utf8')).version,
  ),
};
export default config;
