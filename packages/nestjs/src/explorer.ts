import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { CACHE_SLOT, CACHED_CLASS, setFallbackCache } from './decorators.js';
import { RestashCache } from './restash-cache.js';

/**
 * Gives every provider and controller instance with `@Cacheable`, `@CachePut`
 * or `@CacheEvict` methods this app's {@link RestashCache}, so two apps in one
 * process (or a test next to the app) never share a cache by accident.
 */
@Injectable()
export class RestashCacheExplorer implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(RestashCache) private readonly cache: RestashCache,
  ) {}

  onModuleInit(): void {
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      if (!wrapper.isDependencyTreeStatic()) continue;
      const instance = wrapper.instance as Record<symbol, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const type = (instance as { constructor?: { [CACHED_CLASS]?: boolean } }).constructor;
      if (!type?.[CACHED_CLASS]) continue;
      Object.defineProperty(instance, CACHE_SLOT, { value: this.cache, configurable: true });
    }
    setFallbackCache(this.cache);
  }

  onApplicationShutdown(): void {
    setFallbackCache(undefined, this.cache);
  }
}
