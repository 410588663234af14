import { createKeyv } from '@restash/keyv';
import { type Step, same } from '../conformance.js';

/** `@restash/keyv` through Keyv itself: what cache-manager, cacheable and Nest run on. */
export const steps = {
  async 'Keyv set/get/delete'({ redis, prefix }) {
    const keyv = createKeyv(redis({ automaticDeserialization: false }), {
      namespace: `${prefix}kv`,
      throwOnErrors: true,
    });
    same(await keyv.set('user:1', { name: 'Ada', tags: ['x'] }), true, 'set');
    same(await keyv.get('user:1'), { name: 'Ada', tags: ['x'] }, 'get');
    await keyv.set('ttl', 'short-lived', 60_000);
    same(await keyv.get('ttl'), 'short-lived', 'get of a value with a TTL');
    same(await keyv.get(['user:1', 'missing']), [{ name: 'Ada', tags: ['x'] }, undefined], 'getMany');
    same(await keyv.delete('user:1'), true, 'delete');
    same(await keyv.get('user:1'), undefined, 'get after delete');
  },
} satisfies Record<string, Step>;
