import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { INestApplication } from '@nestjs/common';
import { useStack } from '@restash/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo } from '../src/bootstrap.js';

const stack = useStack();
let app: INestApplication;
let url: string;

const namespace = () => `demo${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  ({ app, url } = await startDemo({
    port: 0,
    host: '127.0.0.1',
    restashUrl: stack.url,
    restashToken: stack.token,
    dbDelayMs: 50,
    namespace: namespace(),
    logger: false,
  }));
});
afterAll(async () => {
  await app?.close();
});

async function json(path: string, init: RequestInit = {}) {
  const response = await fetch(url + path, {
    ...init,
    headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

const dbReads = async () => (await json('/api/stats')).body.dbReads as number;

describe('the nest demo', () => {
  it('serves a page that explains what it demonstrates', async () => {
    const response = await fetch(`${url}/`);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const html = await response.text();
    expect(html).toContain('A slow service method, cached by a decorator');
    expect(html).toContain('tag invalidation');
    expect(html).toContain('A rate-limited route');
  });

  it('reads a product from the database once, then from the cache', async () => {
    const before = await dbReads();
    const first = await json('/api/products/1');
    expect(first.status).toBe(200);
    expect(first.body.data).toMatchObject({ id: '1', name: 'Espresso cup' });
    expect(await dbReads()).toBe(before + 1);
    const second = await json('/api/products/1');
    expect(second.body.data).toEqual(first.body.data);
    expect(await dbReads()).toBe(before + 1);
  });

  it('stores an update at once and recomputes the list', async () => {
    await json('/api/products');
    await json('/api/products/2');
    const before = await dbReads();
    const updated = await json('/api/products/2', {
      method: 'PUT',
      body: JSON.stringify({ name: 'Milk jug, large' }),
    });
    expect(updated.status).toBe(200);
    expect(await dbReads()).toBe(before + 1);
    const read = await json('/api/products/2');
    expect(read.body.data.name).toBe('Milk jug, large');
    expect(await dbReads()).toBe(before + 1);
    const list = await json('/api/products');
    expect(list.body.data.map((p: { name: string }) => p.name)).toContain('Milk jug, large');
    expect(await dbReads()).toBe(before + 2);
  });

  it('makes every cached product stale when the tag is invalidated', async () => {
    await json('/api/products/3');
    await json('/api/products');
    const before = await dbReads();
    expect((await json('/api/cache/invalidate', { method: 'POST' })).body).toEqual({
      invalidated: ['products'],
    });
    await json('/api/products/3');
    await json('/api/products');
    expect(await dbReads()).toBe(before + 2);
    await json('/api/products/3');
    expect(await dbReads()).toBe(before + 2);
  });

  it('answers 404 for an unknown product and does not cache the miss', async () => {
    const before = await dbReads();
    expect((await json('/api/products/999')).status).toBe(404);
    expect((await json('/api/products/999')).status).toBe(404);
    expect(await dbReads()).toBe(before + 2);
  });

  it('answers 400 to an update that is not a valid patch', async () => {
    for (const body of ['[1]', '{"price":-1}', '{"name":""}', '{}']) {
      expect((await json('/api/products/1', { method: 'PUT', body })).status).toBe(400);
    }
  });

  it('answers the interceptor route with X-Cache MISS then HIT, one entry per user', async () => {
    const ada = await json('/api/greeting', { headers: { 'x-user': 'ada' } });
    const adaAgain = await json('/api/greeting', { headers: { 'x-user': 'ada' } });
    const grace = await json('/api/greeting', { headers: { 'x-user': 'grace' } });
    expect(ada.headers.get('x-cache')).toBe('MISS');
    expect(adaAgain.headers.get('x-cache')).toBe('HIT');
    expect(adaAgain.body).toEqual(ada.body);
    expect(grace.headers.get('x-cache')).toBe('MISS');
  });
});

describe('the rate-limited route', () => {
  let limited: INestApplication;
  let limitedUrl: string;
  beforeAll(async () => {
    ({ app: limited, url: limitedUrl } = await startDemo({
      port: 0,
      host: '127.0.0.1',
      restashUrl: stack.url,
      restashToken: stack.token,
      dbDelayMs: 1,
      namespace: namespace(),
      logger: false,
    }));
  });
  afterAll(async () => {
    await limited?.close();
  });

  it('answers 429 to the sixth update within ten seconds', async () => {
    // The throttler counts in fixed ten-second windows aligned on the clock:
    // start early in one, so that the six updates cannot straddle two windows.
    const intoWindow = Date.now() % 10_000;
    if (intoWindow > 6_000) await new Promise((resolve) => setTimeout(resolve, 10_100 - intoWindow));
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await fetch(`${limitedUrl}/api/products/4`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ price: 20 + i }),
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });
});

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

describe('the start script (dist/main.js, built by pnpm build)', () => {
  it.runIf(existsSync(main))('prints its URL once ready and fails fast without its environment', async () => {
    const failed = spawn(process.execPath, [main], { env: { PATH: process.env.PATH }, stdio: 'pipe' });
    let errors = '';
    failed.stderr.on('data', (chunk) => {
      errors += chunk;
    });
    const code = await new Promise((resolve) => failed.once('exit', resolve));
    expect(code).toBe(1);
    expect(errors).toContain('RESTASH_URL is not set');

    const child = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        RESTASH_URL: stack.url,
        RESTASH_TOKEN: stack.token,
      },
      stdio: 'pipe',
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let output = '';
        child.stdout.on('data', (chunk) => {
          output += chunk;
          const found = /nest-demo listening on (http:\/\/\S+)/.exec(output);
          if (found) resolve(found[1] as string);
        });
        child.once('exit', (exitCode) => reject(new Error(`exited with ${exitCode}: ${output}`)));
      });
      expect((await fetch(`${line}/api/stats`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
