import { readFileSync } from 'node:fs';
import { restashVitest } from '../../vitest.shared.js';

const config = restashVitest();
// Tests run the sources: the version the build defines (tsdown.config.ts) must be defined here too.
config.define = {
  __RESTASH_VERSION__: JSON.stringify(
    JSON.parse(readFileSync(new URL('package.json', import.meta.url), 'utf8')).version,
  ),
};
export default config;
