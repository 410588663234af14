import { startChromium } from '../src/runtimes/chromium.js';
import { runtimeMatrix } from './matrix.js';

runtimeMatrix('Chromium (headless, cross-origin)', startChromium, {
  knownFailures: {
    keyv: {
      'Keyv set/get/delete': {
        reason:
          "keyv's serializer (@keyv/serialize) imports node's buffer: a page needs a bundler polyfill for it",
        error: /Failed to resolve module specifier "buffer"/,
      },
    },
  },
});
