import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort, useStack } from '@restash/test-harness';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';

// The app as `npm run demo` starts it (the built dist/main.mjs), driven by a real headless Chromium.
const MAIN = fileURLToPath(new URL('../dist/main.mjs', import.meta.url));
const CHROMIUM =
  process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);

const stack = useStack();
let app: ChildProcess | undefined;
let browser: Browser | undefined;
let url = '';

beforeAll(async () => {
  if (!CHROMIUM) throw new Error('Chromium not found: apt-get install -y chromium (or set CHROMIUM_PATH)');
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run pnpm build first`);
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      RESTASH_URL: stack.url,
      RESTASH_TOKEN: stack.token,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  app = child;
  url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const found = /express-demo listening on (http:\/\/\S+)/.exec(output);
      if (found?.[1]) resolve(found[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the app exited with ${code}: ${output}`)));
  });
  expect(url).toBe(`http://127.0.0.1:${port}`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  if (app && app.exitCode === null) {
    app.kill('SIGTERM');
    await new Promise((resolve) => app?.once('exit', resolve));
  }
});

it('signs up, increments the counter and signs out in a real browser', async () => {
  const page = await (browser as Browser).newPage();
  await page.goto(url);
  await expect(page.title()).resolves.toContain('Restash express-session demo');
  const signUp = page.locator('form[action="/signup"]');
  await signUp.locator('input[name="name"]').fill('chromium-user');
  await signUp.locator('input[name="password"]').fill('correct horse battery');
  await signUp.locator('button').click();
  await page.waitForSelector('#user');
  expect(await page.textContent('#user')).toBe('chromium-user');
  expect(await page.textContent('#count')).toBe('0');

  await page.click('form[action="/counter"] button');
  await page.waitForFunction(() => document.querySelector('#count')?.textContent === '1');
  await page.click('form[action="/counter"] button');
  await page.waitForFunction(() => document.querySelector('#count')?.textContent === '2');
  await page.reload();
  expect(await page.textContent('#count')).toBe('2');

  await page.click('form[action="/signout"] button');
  await page.waitForSelector('form[action="/signin"]');
  expect(await page.locator('#user').count()).toBe(0);
  expect((await page.context().cookies()).some((c) => c.name === 'connect.sid')).toBe(false);
});
