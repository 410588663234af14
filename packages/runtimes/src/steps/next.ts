import { createUseCacheHandler } from '@restash/next/cache-handler';
import { check, type Step, same } from '../conformance.js';

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) chunks.push(read.value);
  const all = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

/** The handler turns its failures into misses and one console warning: keep them for the mismatch message. */
async function withWarnings<T>(run: (warnings: string[]) => Promise<T>): Promise<T> {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    warnings.push(args.map(String).join(' '));
  };
  try {
    return await run(warnings);
  } finally {
    console.warn = warn;
  }
}

/** `@restash/next`'s `'use cache'` handler (`@restash/next/cache-handler`): Next's `CacheHandler` get/set. */
export const steps = {
  async "'use cache' handler get/set"({ redis, prefix }) {
    await withWarnings(async (warnings) => {
      const handler = createUseCacheHandler({ redis: redis(), keyPrefix: `${prefix}next:` });
      const payload = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);
      const timestamp = Date.now() - 1000;
      await handler.set(
        'page:/posts',
        Promise.resolve({
          value: streamOf(payload),
          tags: ['posts'],
          stale: 30,
          timestamp,
          expire: 300,
          revalidate: 60,
        }),
      );
      const entry = await handler.get('page:/posts', []);
      check(entry, `get after set: a miss${warnings.length ? ` (${warnings.join('; ')})` : ''}`);
      same(await bytesOf(entry.value), payload, 'the entry bytes');
      same(
        [entry.tags, entry.timestamp, entry.revalidate],
        [['posts'], timestamp, 60],
        'tags, timestamp, revalidate',
      );
      same(await handler.get('page:/missing', []), undefined, 'get of a missing entry');
      await handler.updateTags(['posts']);
      same(await handler.get('page:/posts', []), undefined, 'get after updateTags of its tag');
      same(warnings, [], 'warnings');
    });
  },
} satisfies Record<string, Step>;
