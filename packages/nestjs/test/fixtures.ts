import 'reflect-metadata';
import { CACHE_MANAGER, CacheInterceptor, CacheKey, CacheTTL } from '@nestjs/cache-manager';
import {
  Controller,
  Get,
  type INestApplication,
  Inject,
  Injectable,
  Param,
  UseInterceptors,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Cache } from 'cache-manager';
import {
  Cacheable,
  CacheEvict,
  CachePut,
  CacheVaryBy,
  RestashCacheInterceptor,
  RestashCacheModule,
  type RestashCacheModuleRootOptions,
  type RestashConnection,
} from '../src/index.js';

export interface Product {
  id: string;
  name: string;
  computedBy: string;
}

/** A service whose methods count their real runs; `gate` holds them until released. */
@Injectable()
export class CatalogService {
  readonly runs = { find: 0, list: 0, short: 0, maybe: 0, failing: 0 };
  readonly names = new Map<string, string>();
  instance = 'a';
  gate: Promise<void> | undefined;

  @Cacheable({ key: (id: string) => `product:${id}`, tags: (id: string) => [`product:${id}`, 'products'] })
  async find(id: string): Promise<Product> {
    this.runs.find++;
    await this.gate;
    return { id, name: this.names.get(id) ?? `Product ${id}`, computedBy: this.instance };
  }

  @Cacheable({ key: 'products:list', tags: ['products'] })
  async list(): Promise<string[]> {
    this.runs.list++;
    return [...this.names.values()];
  }

  @CachePut({ key: (id: string) => `product:${id}`, tags: (id: string) => [`product:${id}`, 'products'] })
  @CacheEvict({ keys: ['products:list'] })
  async rename(id: string, name: string): Promise<Product> {
    this.names.set(id, name);
    return { id, name, computedBy: this.instance };
  }

  @CacheEvict({ keys: (id: string) => [`product:${id}`] })
  async forget(_id: string): Promise<void> {}

  @CacheEvict({ tags: ['products'] })
  async reindex(): Promise<void> {}

  @CacheEvict({ tags: ['products'], beforeInvocation: true })
  async reindexThenFail(): Promise<void> {
    throw new Error('reindex failed');
  }

  @Cacheable({ key: (n: number) => `short:${n}`, ttl: 400 })
  async short(n: number): Promise<number> {
    this.runs.short++;
    return n * 2;
  }

  @Cacheable({
    key: (n: number) => `maybe:${n}`,
    condition: (n: number) => n >= 0,
    unless: (result: number | null) => result === null,
  })
  async maybe(n: number): Promise<number | null> {
    this.runs.maybe++;
    return n === 0 ? null : n;
  }

  @Cacheable({ key: 'failing' })
  async failing(): Promise<number> {
    this.runs.failing++;
    throw new Error('the database is down');
  }

  @Cacheable({ key: () => '' })
  async badKey(): Promise<number> {
    return 1;
  }

  @Cacheable()
  async defaultKey(a: number, b: string): Promise<string> {
    return `${a}${b}`;
  }
}

@Controller()
@UseInterceptors(RestashCacheInterceptor)
export class CatalogController {
  readonly runs = { page: 0, me: 0, keyed: 0 };

  constructor(
    @Inject(CatalogService) private readonly catalog: CatalogService,
    @Inject(CACHE_MANAGER) readonly cacheManager: Cache,
  ) {}

  @Get('page')
  page(): { page: number } {
    this.runs.page++;
    return { page: this.runs.page };
  }

  @Get('keyed')
  @CacheKey('keyed-route')
  @CacheTTL(400)
  keyed(): { n: number } {
    this.runs.keyed++;
    return { n: this.runs.keyed };
  }

  @Get('me')
  @CacheVaryBy(
    (ctx) => ctx.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-user'],
  )
  me(): { n: number } {
    this.runs.me++;
    return { n: this.runs.me };
  }

  @Get('products/:id')
  product(@Param('id') id: string): Promise<Product> {
    return this.catalog.find(id);
  }
}

/** A controller on the stock `CacheInterceptor` of `@nestjs/cache-manager`. */
@Controller('stock')
@UseInterceptors(CacheInterceptor)
export class StockController {
  runs = 0;

  @Get()
  page(): { n: number } {
    this.runs++;
    return { n: this.runs };
  }

  @Get('keyed')
  @CacheKey('stock-keyed')
  @CacheTTL(700)
  keyed(): { n: number } {
    this.runs++;
    return { n: this.runs };
  }
}

/** A Nest app with the module, the service and the controllers. */
export async function startApp(
  connection: RestashConnection,
  options: RestashCacheModuleRootOptions = {},
  instance = 'a',
): Promise<{
  app: INestApplication;
  catalog: CatalogService;
  controller: CatalogController;
  cacheManager: Cache;
}> {
  const moduleRef = await Test.createTestingModule({
    imports: [RestashCacheModule.forRoot(connection, { ttl: 60_000, ...options })],
    providers: [CatalogService],
    controllers: [CatalogController, StockController],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  const catalog = app.get(CatalogService);
  catalog.instance = instance;
  return { app, catalog, controller: app.get(CatalogController), cacheManager: app.get(CACHE_MANAGER) };
}
