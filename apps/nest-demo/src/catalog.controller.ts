import { CacheTTL } from '@nestjs/cache-manager';
import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Put,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { Throttle, ThrottlerGuard } from '@nestjs/throttler';
import { CacheVaryBy, RestashCacheInterceptor } from '@restash/nestjs';
import { CatalogService, type Product } from './catalog.service.js';

/** What every catalogue answer carries besides its data: how long it took and the database reads so far. */
interface Timed<T> {
  data: T;
  tookMs: number;
  dbReads: number;
}

/** The HTTP API of the demo. */
@Controller('api')
export class CatalogController {
  constructor(@Inject(CatalogService) private readonly catalog: CatalogService) {}

  @Get('products')
  list(): Promise<Timed<Product[]>> {
    return this.timed(() => this.catalog.list());
  }

  @Get('products/:id')
  async get(@Param('id') id: string): Promise<Timed<Product>> {
    const answer = await this.timed(() => this.catalog.get(id));
    if (!answer.data) throw new NotFoundException(`no product ${id}`);
    return answer as Timed<Product>;
  }

  /** Rate-limited: 5 updates per 10 s per client, counted in Redis (RestashThrottlerStorage). */
  @Put('products/:id')
  @UseGuards(ThrottlerGuard)
  @Throttle({ default: { limit: 5, ttl: 10_000 } })
  async update(@Param('id') id: string, @Body() body: unknown): Promise<Timed<Product>> {
    const patch = parsePatch(body);
    const answer = await this.timed(() => this.catalog.update(id, patch));
    if (!answer.data) throw new NotFoundException(`no product ${id}`);
    return answer as Timed<Product>;
  }

  /** Invalidates the tag `products`: every cached product and the list, in one request. */
  @Post('cache/invalidate')
  @HttpCode(200)
  async invalidate(): Promise<{ invalidated: string[] }> {
    await this.catalog.invalidate();
    return { invalidated: ['products'] };
  }

  @Get('stats')
  stats(): { dbReads: number } {
    return { dbReads: this.catalog.dbReads };
  }

  /** Cached by the interceptor (X-Cache: HIT|MISS), one entry per X-User header. */
  @Get('greeting')
  @UseInterceptors(RestashCacheInterceptor)
  @CacheTTL(30_000)
  @CacheVaryBy(
    (ctx) =>
      ctx.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers['x-user'],
  )
  greeting(): { message: string; generatedAt: string } {
    return {
      message: 'Hello! This answer was generated once per user and then served from Redis.',
      generatedAt: new Date().toISOString(),
    };
  }

  private async timed<T>(read: () => Promise<T>): Promise<Timed<T>> {
    const started = performance.now();
    const data = await read();
    return { data, tookMs: Math.round(performance.now() - started), dbReads: this.catalog.dbReads };
  }
}

function parsePatch(body: unknown): { name?: string; price?: number } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequestException('send a JSON object such as {"name": "Mug", "price": 12}');
  }
  const { name, price } = body as Record<string, unknown>;
  const patch: { name?: string; price?: number } = {};
  if (name !== undefined) {
    if (typeof name !== 'string' || name.trim() === '' || name.length > 100) {
      throw new BadRequestException('name must be a non-empty string of at most 100 characters');
    }
    patch.name = name.trim();
  }
  if (price !== undefined) {
    if (typeof price !== 'number' || !Number.isFinite(price) || price < 0) {
      throw new BadRequestException('price must be a number ≥ 0');
    }
    patch.price = price;
  }
  if (patch.name === undefined && patch.price === undefined) {
    throw new BadRequestException('send name and/or price');
  }
  return patch;
}
