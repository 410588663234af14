import { mergeConfig } from 'vitest/config';
import { restashVitest } from '../../vitest.shared.js';

export default mergeConfig(restashVitest(), { define: { __RESTASH_VERSION__: '"0.0.0"' } });
