import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { freePort, prefix, useStack } from '@restash/test-harness';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The demo as a user meets it: the production build (`next start`, built once by `pnpm build`),
// two instances sharing one Restash server, driven by a real headless Chromium (Debian's `chromium`).
const app = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const stack = useStack();
const keyPrefix = prefix();
const instances: { url: string; child: ChildProcess; output: string[] }[] = [];
let browser: Browser;

function start(
  env: Record<string, string | undefined>,
): Promise<{ url: string; child: ChildProcess; output: string[] }> {
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: app,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const ready = /next-demo listening on (http:\/\/\S+)/.exec(output.join(''));
      if (ready) resolve({ url: ready[1]!, child, output });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`start.mjs exited with ${code}:\n${output.join('')}`)));
  });
}

async function open(url: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(url);
  await page.getByTestId('cached-at').waitFor();
  return page;
}

beforeAll(async () => {
  if (!existsSync(`${app}.next/BUILD_ID`)) {
    execFileSync(process.execPath, [require.resolve('next/dist/bin/next'), 'build'], {
      cwd: app,
      stdio: 'inherit',
    });
  }
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  const env = {
    RESTASH_URL: stack.url,
    RESTASH_TOKEN: stack.token,
    RESTASH_NEXT_PREFIX: keyPrefix,
    HOST: '127.0.0.1',
  };
  const ports = [await freePort(), await freePort()];
  instances.push(...(await Promise.all(ports.map((port) => start({ ...env, PORT: String(port) })))));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await Promise.all(
    instances.map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
});

describe('the Next demo, two instances on one Restash server', () => {
  it('shows a mutation made through one instance on the other after updateTag, and caches the list until then', async () => {
    const [a, b] = [await open(instances[0]!.url), await open(instances[1]!.url)];
    const cachedAt = await b.getByTestId('cached-at').textContent();
    await b.reload();
    // The same 'use cache' entry, from the shared handler, on both instances.
    expect(await b.getByTestId('cached-at').textContent()).toBe(cachedAt);
    expect(await a.getByTestId('cached-at').textContent()).toBe(cachedAt);

    await a.getByLabel('New item').fill('apples from instance A');
    await a.getByRole('button', { name: 'Add item' }).click();
    await a.getByText('Added “apples from instance A”').waitFor();
    await a.getByTestId('items').getByText('apples from instance A').waitFor();

    await b.reload();
    await b.getByTestId('items').getByText('apples from instance A').waitFor();
    expect(await b.getByTestId('cached-at').textContent()).not.toBe(cachedAt);
    expect(await stack.client().lrange(`${keyPrefix}demo:items`, 0, -1)).toEqual(['apples from instance A']);
    // Both of Next's caches went to the server: 'use cache' entries and the page's ISR shell.
    const stored = await stack.client().keys(`${keyPrefix}*`);
    expect(stored.some((key) => key.startsWith(`${keyPrefix}uc:`))).toBe(true);
    expect(stored.some((key) => key.startsWith(`${keyPrefix}isr:`))).toBe(true);
    expect(await stack.client().hget(`${keyPrefix}tags:expired`, 'items')).not.toBeNull();
  });

  it('says "rate limited" after three messages, counted across both instances', async () => {
    // The limit is a fixed window aligned on the minute: start well inside one,
    // so that the four sends cannot straddle two windows.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 45_000) await new Promise((resolve) => setTimeout(resolve, 60_500 - intoMinute));
    const statuses: string[] = [];
    for (const [i, instance] of [0, 1, 0, 1].entries()) {
      const page = await open(instances[instance]!.url);
      await page.getByRole('button', { name: 'Send' }).click();
      const status = page.getByTestId('message-status');
      await status.filter({ hasNotText: 'Not sent yet.' }).waitFor();
      statuses.push((await status.textContent()) ?? '');
      expect(statuses[i]).toBeTruthy();
      await page.close();
    }
    expect(statuses.slice(0, 3)).toEqual(['Sent “hello”.', 'Sent “hello”.', 'Sent “hello”.']);
    expect(statuses[3]).toMatch(/^Rate limited: try again in \d+ s\.$/);
  });

  it('places one order when "Place order" is double-clicked', async () => {
    const page = await open(instances[1]!.url);
    const before = Number(await page.getByTestId('order-count').textContent());
    await page.getByRole('button', { name: 'Place order' }).dblclick();
    await page
      .getByTestId('order-status')
      .getByText(/Order #\d+ placed\./)
      .waitFor();
    expect(await page.getByTestId('order-status').textContent()).toMatch(
      /^2 clicks sent\. Order #\d+ placed\.$/,
    );
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.getByText('3 clicks sent.').waitFor();
    await page
      .getByTestId('order-status')
      .getByText(/Order #\d+ placed\./)
      .waitFor();
    const orders = await stack.client().lrange(`${keyPrefix}demo:orders`, 0, -1);
    expect(orders).toHaveLength(before + 1);
    const first = /Order #(\d+) placed/.exec(
      (await page.getByTestId('order-status').textContent()) ?? '',
    )?.[1];
    expect(first).toMatch(/^\d+$/);
    await page
      .getByTestId('order-count')
      .getByText(String(before + 1), { exact: true })
      .waitFor();

    await page.getByRole('button', { name: 'New order' }).click();
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.getByText('1 click sent.').waitFor();
    await page
      .getByTestId('order-status')
      .getByText(new RegExp(`Order #(?!${first}\\b)\\d+ placed\\.`))
      .waitFor();
    expect(await stack.client().lrange(`${keyPrefix}demo:orders`, 0, -1)).toHaveLength(before + 2);
  });
});

describe('the start script', () => {
  it('refuses to start without RESTASH_URL and RESTASH_TOKEN, naming them', async () => {
    const failure = await start({
      RESTASH_URL: '',
      RESTASH_TOKEN: '',
      UPSTASH_REDIS_REST_URL: '',
      UPSTASH_REDIS_REST_TOKEN: '',
    }).catch((error: Error) => error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toContain('exited with 1');
    expect((failure as Error).message).toContain('set RESTASH_URL and RESTASH_TOKEN');
  });
});
