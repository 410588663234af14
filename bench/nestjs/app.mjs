// One Nest app of the benchmark, in its own process so that process.cpuUsage()
// counts this app alone. Plain JavaScript: decorators are applied with
// Reflect.decorate, so no build step is needed.
//
//   node app.mjs <restash|keyv-redis> <port> <redis-url> <restash-url> <token>
//
// Routes (both variants):
//   GET /products/:id  — a controller cached by the interceptor (RestashCacheInterceptor | CacheInterceptor)
//   GET /service/:id   — a service method cached by @Cacheable (restash) | cacheManager.wrap() (keyv-redis)
// The parent asks for CPU usage over IPC ('cpu' → { user, system } in µs).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const [variant, port, redisUrl, restashUrl, token] = process.argv.slice(2);
const nestjsDir = fileURLToPath(new URL('../../packages/nestjs/', import.meta.url));
const require = createRequire(`${nestjsDir}package.json`);
const load = (name) => import(require.resolve(name));

await load('reflect-metadata');
const common = await load('@nestjs/common');
const { NestFactory } = await load('@nestjs/core');
const nestCache = await load('@nestjs/cache-manager');
const { Controller, Get, Inject, Injectable, Module, Param, UseInterceptors } = common;

const decorate = (decorators, target, key, descriptor) =>
  Reflect.decorate(decorators, target, key, descriptor);
const method = (cls, name) => Object.getOwnPropertyDescriptor(cls.prototype, name);

/** What a database would return: a ~500-byte product. */
function product(id) {
  return {
    id,
    name: `Product ${id}`,
    description: 'A product of the benchmark catalogue, long enough to look like a real row of a table.',
    price: { amount: 1999, currency: 'EUR' },
    tags: ['bench', 'catalogue', 'nest', 'cache'],
    stock: { warehouse: 'north', quantity: 42, reserved: 3 },
    updatedAt: '2026-12-01T12:00:00.000Z',
  };
}

let imports;
let interceptor;
let serviceMethod;
if (variant === 'restash') {
  const { Cacheable, RestashCacheInterceptor, RestashCacheModule } = await import(
    `${nestjsDir}dist/index.js`
  );
  imports = [RestashCacheModule.forRoot({ url: restashUrl, token }, { ttl: 600_000, namespace: 'bench' })];
  interceptor = RestashCacheInterceptor;
  serviceMethod = (Service) => {
    const descriptor = decorate(
      [Cacheable({ key: (id) => `svc:${id}` })],
      Service.prototype,
      'find',
      method(Service, 'find'),
    );
    Object.defineProperty(Service.prototype, 'find', descriptor);
  };
} else if (variant === 'keyv-redis') {
  const { createKeyv } = await load('@keyv/redis');
  imports = [
    nestCache.CacheModule.register({ stores: [createKeyv(redisUrl, { namespace: 'bench' })], ttl: 600_000 }),
  ];
  interceptor = nestCache.CacheInterceptor;
  serviceMethod = () => {};
} else {
  throw new Error(`unknown variant ${variant}`);
}

class CatalogService {
  constructor(cache) {
    this.cache = cache;
  }
  find(id) {
    // keyv-redis: the stock way to cache a service method; restash: @Cacheable replaces this method.
    return this.cache.wrap(`svc:${id}`, async () => product(id));
  }
}
if (variant === 'restash') {
  CatalogService.prototype.find = async (id) => product(id);
}
serviceMethod(CatalogService);
decorate([Injectable(), Reflect.metadata('design:paramtypes', [Object])], CatalogService);
Inject(nestCache.CACHE_MANAGER)(CatalogService, undefined, 0);

class ProductsController {
  product(id) {
    return product(id);
  }
}
decorate([Get(':id')], ProductsController.prototype, 'product', method(ProductsController, 'product'));
Param('id')(ProductsController.prototype, 'product', 0);
decorate([Controller('products'), UseInterceptors(interceptor)], ProductsController);

class ServiceController {
  constructor(catalog) {
    this.catalog = catalog;
  }
  find(id) {
    return this.catalog.find(id);
  }
}
decorate([Get(':id')], ServiceController.prototype, 'find', method(ServiceController, 'find'));
Param('id')(ServiceController.prototype, 'find', 0);
Inject(CatalogService)(ServiceController, undefined, 0);
decorate([Controller('service')], ServiceController);

class AppModule {}
decorate(
  [Module({ imports, controllers: [ProductsController, ServiceController], providers: [CatalogService] })],
  AppModule,
);

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
await app.listen(Number(port), '127.0.0.1');
process.on('message', (message) => {
  if (message === 'cpu') process.send(process.cpuUsage());
});
process.send?.('ready');
// A normal exit on a signal, so that `node --cpu-prof app.mjs …` writes its profile.
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(0));
