import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { buildEntry, coreDist } from '../build.js';
import type { Group } from '../steps/index.js';
import { fromEnvVariables, type RuntimeUnderTest, type Target } from './shared.js';

/** Where Debian's Chromium is, or `CHROMIUM_PATH`. */
export const chromiumPath = (): string => process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.html': 'text/html',
  '.map': 'application/json',
};

/**
 * Serves the test page on its own origin (`http://localhost:<port>`, while the
 * Restash server is `http://127.0.0.1:<port>`): the page, the browser entry and
 * `@restash/core`'s `dist/` under `/core/`, mapped by an import map.
 */
async function servePage(group: Group): Promise<{ origin: string; server: Server }> {
  const dist = coreDist();
  const entry = await buildEntry('browser', group);
  const page = `<!doctype html><meta charset="utf-8"><title>loading</title>
<script type="importmap">{"imports":{"@restash/core":"/core/index.js"}}</script>
<script type="module" src="/browser.js"></script>`;
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://page').pathname;
    let file: string | undefined;
    if (path === '/browser.js') file = entry;
    else if (path.startsWith('/core/')) {
      const resolved = normalize(join(dist, path.slice('/core/'.length)));
      if (resolved.startsWith(dist + sep)) file = resolved;
    }
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(page);
      return;
    }
    try {
      if (!file) throw new Error('not found');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://localhost:${(server.address() as AddressInfo).port}`, server };
}

/**
 * A real headless Chromium page (Debian's `chromium`, driven by
 * playwright-core) on another origin than the server, so every request is a
 * CORS request; the page hands its config to `Redis.fromEnv({ env })`.
 */
export async function startChromium(target: Target, group: Group = 'core'): Promise<RuntimeUnderTest> {
  const { origin, server } = await servePage(group);
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    });
    const page = await browser.newPage();
    const problems: string[] = [];
    let failedToLoad: ((error: Error) => void) | undefined;
    const loadFailed = new Promise<never>((_, reject) => {
      failedToLoad = reject;
    });
    loadFailed.catch(() => {});
    page.on('pageerror', (error) => {
      problems.push(`page error: ${error.message}`);
      failedToLoad?.(new Error(`the page did not load its entry:\n${problems.join('\n')}`));
    });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.goto(`${origin}/`);
    await Promise.race([
      loadFailed,
      page
        .waitForFunction(() => document.title === 'ready', undefined, { timeout: 20_000 })
        .catch(() => {
          throw new Error(`the page did not load its entry:\n${problems.join('\n')}`);
        }),
    ]);
    failedToLoad = undefined;
    const env = fromEnvVariables(target);
    const opened = browser;
    return {
      version: `chromium ${opened.version()}`,
      async run(step, prefix) {
        const before = problems.length;
        const result = await page.evaluate(([n, p, e]) => window.restash.run(n, p, e), [
          step,
          prefix,
          env,
        ] as const);
        if (!result.ok && problems.length > before) {
          result.error.message += `\n${problems.slice(before).join('\n')}`;
        }
        return result;
      },
      async stop() {
        await opened.close();
        await new Promise((resolve) => server.close(resolve));
      },
    };
  } catch (error) {
    await browser?.close();
    server.close();
    throw error;
  }
}
