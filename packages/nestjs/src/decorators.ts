import { SetMetadata } from '@nestjs/common';
import { RestashNestError } from './errors.js';
import type { CacheVaryByFunction } from './options.js';
import type { RestashCache } from './restash-cache.js';

/** Arguments of the decorated method, as the option functions receive them. */
// biome-ignore lint/suspicious/noExplicitAny: option functions are written against the method's own parameter types.
type MethodArgs = any[];

/** A value, or a function of the decorated method's arguments giving it. */
export type FromArgs<T> = T | ((...args: MethodArgs) => T);

/** Options of {@link Cacheable}. */
export interface CacheableOptions {
  /** The entry's key, or a function of the method's arguments. @default `Class.method:` + the arguments as JSON */
  key?: FromArgs<string>;
  /** Milliseconds, or a function of the result; 0: no expiry. @default the module's `ttl` */
  // biome-ignore lint/suspicious/noExplicitAny: the result type is the method's own.
  ttl?: number | ((result: any) => number);
  /** Tags of the entry, or a function of the arguments: `@CacheEvict({ tags })` makes it stale. */
  tags?: FromArgs<readonly string[]>;
  /** Cache only when this returns true (otherwise the method just runs). */
  condition?: (...args: MethodArgs) => boolean;
  /** Do not store a result for which this returns true (it is still returned). */
  // biome-ignore lint/suspicious/noExplicitAny: the result type is the method's own.
  unless?: (result: any, ...args: MethodArgs) => boolean;
}

/** Options of {@link CachePut}. */
export interface CachePutOptions {
  /** The entry's key, or a function of the method's arguments. */
  key: FromArgs<string>;
  // biome-ignore lint/suspicious/noExplicitAny: the result type is the method's own.
  ttl?: number | ((result: any) => number);
  tags?: FromArgs<readonly string[]>;
  condition?: (...args: MethodArgs) => boolean;
  // biome-ignore lint/suspicious/noExplicitAny: the result type is the method's own.
  unless?: (result: any, ...args: MethodArgs) => boolean;
}

/** Options of {@link CacheEvict}. */
export interface CacheEvictOptions {
  /** Keys to delete, or a function of the method's arguments. */
  keys?: FromArgs<readonly string[]>;
  /** Tags to invalidate, or a function of the method's arguments. */
  tags?: FromArgs<readonly string[]>;
  /** Evict before the method runs (and even if it throws). @default false: after it succeeds */
  beforeInvocation?: boolean;
}

/** Where the module puts the cache on an instance with decorated methods. */
export const CACHE_SLOT = Symbol.for('@restash/nestjs:cache');
/** Set on a class that has decorated methods, so the module finds its instances. */
export const CACHED_CLASS = Symbol.for('@restash/nestjs:cached-class');
/** Metadata key of {@link CacheVaryBy}. */
export const CACHE_VARY_BY = 'restash:cache-vary-by';

let fallback: RestashCache | undefined;

/** @internal The cache used by instances the module did not reach (request-scoped, made with `new`). */
export function setFallbackCache(cache: RestashCache | undefined, only?: RestashCache): void {
  if (only === undefined || fallback === only) fallback = cache;
}

function cacheOf(instance: unknown): RestashCache | undefined {
  const own =
    instance !== null && typeof instance === 'object'
      ? (instance as { [CACHE_SLOT]?: RestashCache })[CACHE_SLOT]
      : undefined;
  return own ?? fallback;
}

/**
 * Caches what a method of any provider returns: the first call with given
 * arguments runs it, the next ones get the stored result until the TTL passes
 * or a tag is invalidated. Concurrent misses of one key run the method once,
 * across every instance of the app. The method then returns a Promise.
 *
 * @example
 * @Cacheable({ key: (id: string) => `product:${id}`, ttl: 60_000, tags: (id: string) => [`product:${id}`, 'products'] })
 * async findOne(id: string): Promise<Product> { … }
 */
export function Cacheable(options: CacheableOptions = {}): MethodDecorator {
  return decorate('Cacheable', (cache, original, self, args, name) => {
    if (options.condition && !options.condition(...args)) return original.apply(self, args);
    const key = keyFrom(options.key, args, name);
    const tags = listFrom(options.tags, args, 'tags');
    const unless = options.unless;
    return cache.wrap(key, () => original.apply(self, args), {
      ttl: options.ttl,
      tags,
      unless: unless && ((result) => unless(result, ...args)),
    });
  });
}

/**
 * Always runs the method and stores its result under the key, for
 * `@Cacheable` readers of that key (e.g. on an update method).
 *
 * @example
 * @CachePut({ key: (id: string) => `product:${id}`, tags: (id: string) => [`product:${id}`] })
 * async update(id: string, patch: Partial<Product>): Promise<Product> { … }
 */
export function CachePut(options: CachePutOptions): MethodDecorator {
  return decorate('CachePut', async (cache, original, self, args, name) => {
    if (options.condition && !options.condition(...args)) return original.apply(self, args);
    const key = keyFrom(options.key, args, name);
    const tags = listFrom(options.tags, args, 'tags');
    const versions = await cache.snapshot(tags);
    const result = await original.apply(self, args);
    if (versions && options.unless?.(result, ...args) !== true) {
      await cache.setWithVersions(key, result, versions, { ttl: options.ttl, tags });
    }
    return result;
  });
}

/**
 * Deletes entries and invalidates tags when the method succeeds (or before it
 * runs, with `beforeInvocation`), in one request whatever the number of
 * entries under the tags; other instances see it at once.
 *
 * @example
 * @CacheEvict({ keys: (id: string) => [`product:${id}`], tags: ['products'] })
 * async remove(id: string): Promise<void> { … }
 */
export function CacheEvict(options: CacheEvictOptions): MethodDecorator {
  return decorate('CacheEvict', async (cache, original, self, args) => {
    const keys = listFrom(options.keys, args, 'keys');
    const tags = listFrom(options.tags, args, 'tags');
    if (options.beforeInvocation) {
      await cache.evict({ keys, tags });
      return original.apply(self, args);
    }
    const result = await original.apply(self, args);
    await cache.evict({ keys, tags });
    return result;
  });
}

/**
 * The per-request part of `RestashCacheInterceptor`'s key for a controller or
 * a handler (a user or tenant id): one entry per value, no subclassing.
 * Returning `undefined` shares the entry between requests.
 *
 * @example
 * @CacheVaryBy((ctx) => ctx.switchToHttp().getRequest().user?.id)
 * @Get('me/orders') orders() { … }
 */
export function CacheVaryBy(varyBy: CacheVaryByFunction): ClassDecorator & MethodDecorator {
  return SetMetadata(CACHE_VARY_BY, varyBy);
}

type Runner = (
  cache: RestashCache,
  original: (...args: MethodArgs) => unknown,
  self: unknown,
  args: MethodArgs,
  name: string,
) => unknown;

function decorate(kind: string, run: Runner): MethodDecorator {
  return (target, propertyKey, descriptor) => {
    const original = descriptor.value as unknown;
    if (typeof original !== 'function') {
      throw new RestashNestError('config', `@${kind}() decorates methods only (got ${String(propertyKey)})`);
    }
    const className = (target as { constructor: { name: string } }).constructor.name;
    const name = `${className}.${String(propertyKey)}`;
    const method = original as (...args: MethodArgs) => unknown;
    const wrapper = {
      // A named function expression keeps `this` dynamic and the method's name in stack traces.
      [String(propertyKey)](this: unknown, ...args: MethodArgs) {
        const cache = cacheOf(this);
        if (!cache) return method.apply(this, args);
        try {
          return run(cache, method, this, args, name);
        } catch (error) {
          return Promise.reject(error);
        }
      },
    }[String(propertyKey)] as (...args: MethodArgs) => unknown;
    copyMetadata(method, wrapper);
    (descriptor as PropertyDescriptor).value = wrapper;
    Object.defineProperty((target as { constructor: object }).constructor, CACHED_CLASS, {
      value: true,
      configurable: true,
    });
    return descriptor;
  };
}

/** Keeps metadata other decorators put on the method (routes, guards…) whatever the decorator order. */
function copyMetadata(from: object, to: object): void {
  const reflect = Reflect as unknown as {
    getMetadataKeys?: (target: object) => unknown[];
    getMetadata: (key: unknown, target: object) => unknown;
    defineMetadata: (key: unknown, value: unknown, target: object) => void;
  };
  if (typeof reflect.getMetadataKeys !== 'function') return;
  for (const key of reflect.getMetadataKeys(from)) {
    reflect.defineMetadata(key, reflect.getMetadata(key, from), to);
  }
}

function keyFrom(option: FromArgs<string> | undefined, args: MethodArgs, name: string): string {
  if (option === undefined) {
    try {
      return `${name}:${JSON.stringify(args)}`;
    } catch (error) {
      throw new RestashNestError(
        'invalid-argument',
        `${name}: its arguments cannot be turned into a key (pass key: (...args) => string)`,
        { cause: error },
      );
    }
  }
  const key = typeof option === 'function' ? option(...args) : option;
  if ((typeof key !== 'string' || key === '') && typeof key !== 'number') {
    throw new RestashNestError(
      'invalid-argument',
      `${name}: key must be a non-empty string, got ${typeof key}`,
    );
  }
  return String(key);
}

function listFrom(
  option: FromArgs<readonly string[]> | undefined,
  args: MethodArgs,
  what: string,
): readonly string[] {
  if (option === undefined) return [];
  const list = typeof option === 'function' ? option(...args) : option;
  if (!Array.isArray(list)) {
    throw new RestashNestError(
      'invalid-argument',
      `${what}: must be an array of strings, got ${typeof list}`,
    );
  }
  return list;
}
