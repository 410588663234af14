import { CACHE_MANAGER, CacheInterceptor } from '@nestjs/cache-manager';
import { type ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Cache } from 'cache-manager';
import { RESTASH_CACHE_OPTIONS } from './constants.js';
import { CACHE_VARY_BY } from './decorators.js';
import type { CacheVaryByFunction, RestashCacheModuleOptions } from './options.js';

/**
 * `@nestjs/cache-manager`'s `CacheInterceptor` (GET responses cached by URL,
 * `@CacheKey`, `@CacheTTL`, the `X-Cache: HIT|MISS` header) with per-request
 * keys and no subclassing: the key gets `|<value>` from `@CacheVaryBy(fn)` on
 * the handler or controller, or else from the module's `varyBy` option.
 *
 * @example
 * @UseInterceptors(RestashCacheInterceptor)
 * @CacheVaryBy((ctx) => ctx.switchToHttp().getRequest().headers['x-user-id'])
 * @Get('me/feed') feed() { … }
 */
@Injectable()
export class RestashCacheInterceptor extends CacheInterceptor {
  private readonly varyBy: CacheVaryByFunction | undefined;

  constructor(
    @Inject(CACHE_MANAGER) cacheManager: Cache,
    @Inject(Reflector) reflector: Reflector,
    @Optional() @Inject(RESTASH_CACHE_OPTIONS) options?: RestashCacheModuleOptions,
  ) {
    super(cacheManager, reflector);
    this.varyBy = options?.varyBy;
  }

  protected override async trackBy(context: ExecutionContext): Promise<string | undefined | null> {
    const key = await super.trackBy(context);
    if (!key) return key;
    const varyBy =
      (this.reflector.get(CACHE_VARY_BY, context.getHandler()) as CacheVaryByFunction | undefined) ??
      (this.reflector.get(CACHE_VARY_BY, context.getClass()) as CacheVaryByFunction | undefined) ??
      this.varyBy;
    if (!varyBy) return key;
    const part = varyBy(context);
    return part === undefined || part === '' ? key : `${key}|${String(part)}`;
  }
}
