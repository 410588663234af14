import { CacheModule } from '@nestjs/cache-manager';
import { type DynamicModule, Logger, Module, type ModuleMetadata } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Redis } from '@restash/core';
import { createKeyv, type KeyvRestashClient } from '@restash/keyv';
import type { Keyv } from 'keyv';
import { RESTASH_CACHE_OPTIONS, RESTASH_KEYV, RESTASH_REDIS } from './constants.js';
import { RestashNestError } from './errors.js';
import { RestashCacheExplorer } from './explorer.js';
import { RestashCacheInterceptor } from './interceptor.js';
import type {
  RestashCacheModuleOptions,
  RestashCacheModuleRootOptions,
  RestashConnection,
} from './options.js';
import { RestashCache } from './restash-cache.js';

/** Options of {@link RestashCacheModule.forRootAsync}. */
export interface RestashCacheModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** Providers the factory receives, in order (e.g. `ConfigService`). */
  // biome-ignore lint/suspicious/noExplicitAny: Nest injection tokens are of any kind.
  inject?: any[];
  /** Returns the connection and the options. */
  // biome-ignore lint/suspicious/noExplicitAny: receives the injected providers.
  useFactory: (...args: any[]) => RestashCacheModuleOptions | Promise<RestashCacheModuleOptions>;
  /** Register the module (and `CACHE_MANAGER`) for every module of the app. @default false */
  isGlobal?: boolean;
}

/** Holds the providers both this module and `@nestjs/cache-manager`'s `CacheModule` need, so they exist once. */
@Module({})
class RestashCacheCoreModule {}

/**
 * Nest caching on Redis over the REST API. Registers `@nestjs/cache-manager`'s
 * `CacheModule` with a `@restash/keyv` store, so `CACHE_MANAGER`,
 * `CacheInterceptor`, `@CacheKey` and `@CacheTTL` work unchanged, and adds
 * `@Cacheable`/`@CachePut`/`@CacheEvict` for any provider method, tags,
 * stampede protection and `RestashCacheInterceptor`.
 *
 * @example
 * @Module({
 *   imports: [
 *     RestashCacheModule.forRoot(
 *       { url: process.env.RESTASH_URL!, token: process.env.RESTASH_TOKEN! },
 *       { ttl: 60_000, namespace: 'app', isGlobal: true },
 *     ),
 *   ],
 * })
 * export class AppModule {}
 */
@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest dynamic module is a class with static factories.
export class RestashCacheModule {
  /** The module from a connection and options known up front. */
  static forRoot(connection: RestashConnection, options: RestashCacheModuleRootOptions = {}): DynamicModule {
    const { isGlobal, ...rest } = options;
    return RestashCacheModule.forRootAsync({
      isGlobal: isGlobal ?? false,
      useFactory: () => ({ ...rest, connection }),
    });
  }

  /**
   * The module from a factory that may inject providers (configuration).
   *
   * @example
   * RestashCacheModule.forRootAsync({
   *   isGlobal: true,
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({
   *     connection: { url: config.getOrThrow('RESTASH_URL'), token: config.getOrThrow('RESTASH_TOKEN') },
   *     ttl: 60_000,
   *   }),
   * })
   */
  static forRootAsync(options: RestashCacheModuleAsyncOptions): DynamicModule {
    if (!options || typeof options.useFactory !== 'function') {
      throw new RestashNestError('config', 'RestashCacheModule.forRootAsync: pass { useFactory }');
    }
    const isGlobal = options.isGlobal ?? false;
    const core: DynamicModule = {
      module: RestashCacheCoreModule,
      imports: options.imports ?? [],
      providers: [
        {
          provide: RESTASH_CACHE_OPTIONS,
          inject: options.inject ?? [],
          useFactory: async (...args: unknown[]) => checkOptions(await options.useFactory(...args)),
        },
        {
          provide: RESTASH_REDIS,
          inject: [RESTASH_CACHE_OPTIONS],
          useFactory: (resolved: RestashCacheModuleOptions) => clientOf(resolved.connection),
        },
        {
          provide: RESTASH_KEYV,
          inject: [RESTASH_CACHE_OPTIONS, RESTASH_REDIS],
          useFactory: (resolved: RestashCacheModuleOptions, redis: KeyvRestashClient) => {
            const keyv = createKeyv(redis, {
              namespace: resolved.namespace ?? 'cache',
              ...(resolved.keyPrefixSeparator === undefined
                ? {}
                : { keyPrefixSeparator: resolved.keyPrefixSeparator }),
            });
            const logger = new Logger('RestashCache');
            // Keyv answers a miss when the store fails; the failure itself is only worth a warning.
            keyv.on('error', (error: unknown) =>
              logger.warn(error instanceof Error ? error.message : `[restash/nestjs] ${String(error)}`),
            );
            return keyv;
          },
        },
        {
          provide: RestashCache,
          inject: [RESTASH_CACHE_OPTIONS, RESTASH_REDIS, RESTASH_KEYV],
          useFactory: (resolved: RestashCacheModuleOptions, redis: KeyvRestashClient, keyv: Keyv) =>
            new RestashCache(redis, keyv, { ttl: resolved.ttl, lock: resolved.lock }),
        },
      ],
      exports: [RESTASH_CACHE_OPTIONS, RESTASH_REDIS, RESTASH_KEYV, RestashCache],
    };
    const cacheModule = CacheModule.registerAsync({
      isGlobal,
      imports: [core],
      inject: [RESTASH_KEYV, RESTASH_CACHE_OPTIONS],
      useFactory: (keyv: Keyv, resolved: RestashCacheModuleOptions) => ({
        stores: [...(resolved.stores ?? []), keyv],
        ...(resolved.ttl ? { ttl: resolved.ttl } : {}),
      }),
    });
    return {
      module: RestashCacheModule,
      global: isGlobal,
      imports: [core, cacheModule, DiscoveryModule],
      providers: [RestashCacheExplorer, RestashCacheInterceptor],
      exports: [core, cacheModule, RestashCacheInterceptor],
    };
  }
}

function checkOptions(options: RestashCacheModuleOptions): RestashCacheModuleOptions {
  if (
    !options ||
    typeof options !== 'object' ||
    !options.connection ||
    typeof options.connection !== 'object'
  ) {
    throw new RestashNestError(
      'config',
      'RestashCacheModule: pass a connection, { url, token } or { client } (forRootAsync: return { connection })',
    );
  }
  if (options.stores !== undefined && !Array.isArray(options.stores)) {
    throw new RestashNestError('config', 'RestashCacheModule: stores must be an array of Keyv instances');
  }
  const { ttl } = options;
  if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0)) {
    throw new RestashNestError(
      'config',
      `RestashCacheModule: ttl must be milliseconds ≥ 0, got ${String(ttl)}`,
    );
  }
  return options;
}

function clientOf(connection: RestashConnection): KeyvRestashClient {
  if ('client' in connection) {
    if (!connection.client || typeof connection.client.sendCommand !== 'function') {
      throw new RestashNestError(
        'config',
        'RestashCacheModule: connection.client must be a @restash/core Redis',
      );
    }
    return connection.client;
  }
  if (!connection.url || !connection.token) {
    throw new RestashNestError(
      'config',
      `RestashCacheModule: connection.${connection.url ? 'token' : 'url'} is missing`,
    );
  }
  // A cache that is down should cost a request little: one retry and a short timeout, unless told otherwise.
  return new Redis({
    retry: { retries: 1 },
    timeout: 2_000,
    // Keyv stores JSON text: plain JSON replies spare the server base64 encoding and the client decoding.
    responseEncoding: false,
    ...connection,
    automaticDeserialization: false,
  });
}
