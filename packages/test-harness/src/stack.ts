import { Redis, type RedisOptions } from '@restash/core';
import type { RestashServer, ServerOptions } from '@restash/server';
import { startRedis, startTestServer, type TestRedis } from '@restash/server/testing';
import { afterAll, beforeAll } from 'vitest';

/** The standard token of every harness server. */
export const TOKEN = 'harness-token-standard';
/** The read-only token of every harness server. */
export const READ_ONLY_TOKEN = 'harness-token-read-only';

/** Options of {@link startServer}: any server option, plus the Redis to front. */
export type TestServerOptions = Partial<ServerOptions> & { redisUrl?: string };

/** Our server, listening on loopback on a free port. */
export interface TestServer {
  /** The base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** The running server (for `reload()` and the like). */
  server: RestashServer;
  stop(): Promise<void>;
}

/**
 * Our server in this process on port 0, with the harness tokens and no logs.
 *
 * @example
 * ```ts
 * const redis = await startRedis();
 * const server = await startServer({ redisUrl: redis.url });
 * ```
 */
export async function startServer(options: TestServerOptions = {}): Promise<TestServer> {
  const server = await startTestServer({ token: TOKEN, readOnlyToken: READ_ONLY_TOKEN, ...options });
  return { url: server.baseUrl, server, stop: () => server.close() };
}

/** Options of {@link startStack}. */
export interface StackOptions {
  /** Extra `redis-server` arguments, e.g. `['--maxmemory', '10mb']`. */
  redisArgs?: string[];
  /** Extra server options. */
  server?: TestServerOptions;
}

/** A Redis, our server in front of it, and a client factory. */
export interface Stack {
  redis: TestRedis;
  server: TestServer;
  /** The server's base URL. */
  url: string;
  token: string;
  readOnlyToken: string;
  /** A `@restash/core` client of the server (standard token unless `options.token`). */
  client<TValue = unknown>(options?: Partial<RedisOptions>): Redis<TValue>;
  stop(): Promise<void>;
}

/**
 * Starts a `redis-server` on a free port and our server in front of it.
 *
 * @example
 * ```ts
 * const stack = await startStack();
 * await stack.client().set('k', 'v');
 * await stack.stop();
 * ```
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const redis = await startRedis(options.redisArgs);
  let server: TestServer;
  try {
    server = await startServer({ redisUrl: redis.url, ...options.server });
  } catch (error) {
    await redis.stop();
    throw error;
  }
  return {
    redis,
    server,
    url: server.url,
    token: TOKEN,
    readOnlyToken: READ_ONLY_TOKEN,
    client: <TValue>(clientOptions: Partial<RedisOptions> = {}) =>
      new Redis<TValue>({ url: server.url, token: TOKEN, ...clientOptions }),
    async stop() {
      await server.stop();
      await redis.stop();
    },
  };
}

/**
 * A stack for one test file: started in `beforeAll`, stopped in `afterAll`.
 * Its fields are readable once `beforeAll` has run.
 *
 * @example
 * ```ts
 * const stack = useStack();
 * it('pings', async () => expect(await stack.client().ping()).toBe('PONG'));
 * ```
 */
export function useStack(options: StackOptions = {}): Stack {
  let current: Stack | undefined;
  beforeAll(async () => {
    current = await startStack(options);
  });
  afterAll(async () => {
    await current?.stop();
  });
  const started = (): Stack => {
    if (!current) throw new Error('[restash/test-harness] the stack is used before beforeAll ran');
    return current;
  };
  return {
    get redis() {
      return started().redis;
    },
    get server() {
      return started().server;
    },
    get url() {
      return started().url;
    },
    token: TOKEN,
    readOnlyToken: READ_ONLY_TOKEN,
    client: (clientOptions) => started().client(clientOptions),
    stop: () => started().stop(),
  };
}
