import { startWorkerd } from '../src/runtimes/workerd.js';
import { runtimeMatrix } from './matrix.js';

// Keyv's serializer imports node's `buffer`: Workers need the nodejs_compat flag for it.
runtimeMatrix('workerd (Cloudflare Workers, miniflare)', (target, group) =>
  startWorkerd(target, group, { nodejsCompat: group === 'keyv' }),
);

runtimeMatrix('workerd without nodejs_compat', startWorkerd, {
  groups: ['keyv'],
  knownFailures: {
    keyv: {
      'Keyv set/get/delete': {
        reason:
          "keyv's serializer (@keyv/serialize) imports node's buffer: Workers need the nodejs_compat flag",
        error: /dependency "buffer"/,
      },
    },
  },
});
