import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule, type AppOptions } from './app.module.js';

/** Options of {@link startDemo}. */
export interface StartOptions extends AppOptions {
  port: number;
  host: string;
  /** Nest's own logs. @default ['error', 'warn'] */
  logger?: false | ('error' | 'warn' | 'log')[];
}

/**
 * Starts the demo and resolves once it listens.
 *
 * @example
 * const app = await startDemo({ port: 3002, host: '127.0.0.1', restashUrl, restashToken });
 */
export async function startDemo(options: StartOptions): Promise<{ app: INestApplication; url: string }> {
  const app = await NestFactory.create(AppModule.forRoot(options), {
    logger: options.logger ?? ['error', 'warn'],
  });
  app.enableShutdownHooks();
  await app.listen(options.port, options.host);
  const address = app.getHttpServer().address() as { port: number };
  return { app, url: `http://${options.host}:${address.port}` };
}
