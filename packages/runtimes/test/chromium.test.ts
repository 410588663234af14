import { startChromium } from '../src/runtimes/chromium.js';
import { runtimeMatrix } from './matrix.js';

runtimeMatrix('Chromium (headless, cross-origin)', startChromium, {
  knownFailures: {
    core: {
      'subscribe over SSE': {
        reason: "the server's CORS preflight does not allow the Cache-Control header the client sends",
        error: /Request header field cache-control is not allowed by Access-Control-Allow-Headers/,
      },
    },
    keyv: {
      'Keyv set/get/delete': {
        reason:
          "keyv's serializer (@keyv/serialize) imports node's buffer: a page needs a bundler polyfill for it",
        error: /Failed to resolve module specifier "buffer"/,
      },
    },
  },
});
