import { type DynamicModule, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { Redis } from '@restash/core';
import { RestashCacheModule, RestashThrottlerStorage } from '@restash/nestjs';
import { CatalogController } from './catalog.controller.js';
import { CATALOG_OPTIONS, CatalogService } from './catalog.service.js';
import { HomeController } from './home.controller.js';

/** Options of {@link AppModule.forRoot}. */
export interface AppOptions {
  restashUrl: string;
  restashToken: string;
  /** Delay of each fake database read. @default 300 */
  dbDelayMs?: number;
  /** Key prefix of everything the demo stores. @default 'nest-demo' */
  namespace?: string;
}

/** The demo: the cache module, the throttler on Redis, the catalogue. */
@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest dynamic module is a class with static factories.
export class AppModule {
  static forRoot(options: AppOptions): DynamicModule {
    const namespace = options.namespace ?? 'nest-demo';
    const redis = new Redis({ url: options.restashUrl, token: options.restashToken });
    return {
      module: AppModule,
      imports: [
        RestashCacheModule.forRoot({ client: redis }, { ttl: 60_000, namespace, isGlobal: true }),
        ThrottlerModule.forRoot({
          throttlers: [{ name: 'default', ttl: 10_000, limit: 5 }],
          storage: new RestashThrottlerStorage(redis, { prefix: `${namespace}:throttler` }),
        }),
      ],
      controllers: [HomeController, CatalogController],
      providers: [
        { provide: CATALOG_OPTIONS, useValue: { delayMs: options.dbDelayMs ?? 300 } },
        CatalogService,
      ],
    };
  }
}
