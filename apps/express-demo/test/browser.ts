import type { AddressInfo } from 'node:net';
import type { Redis } from '@restash/core';
import { createApp, type DemoOptions } from '../src/app.js';

/** The demo listening on a free loopback port, as `npm start` runs it. */
export async function startDemo(redis: Redis, options: Partial<DemoOptions> = {}) {
  const { app, store } = createApp({ redis, secret: 'test secret', ...options });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    stop: () => {
      store.close();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A page as a browser got it. */
export interface Page {
  status: number;
  html: string;
}

/**
 * A minimal browser over `fetch`: keeps its cookies, submits forms, follows
 * redirects with a GET, and sends a user agent.
 */
export class Browser {
  cookies = new Map<string, string>();

  constructor(
    public base: string,
    readonly userAgent = 'TestBrowser/1.0',
  ) {}

  get(path: string): Promise<Page> {
    return this.request('GET', path);
  }

  submit(path: string, fields: Record<string, string> = {}): Promise<Page> {
    return this.request('POST', path, new URLSearchParams(fields).toString());
  }

  /** The session id in the signed `connect.sid` cookie. */
  get sessionId(): string | undefined {
    const value = this.cookies.get('connect.sid');
    return value
      ? decodeURIComponent(value)
          .replace(/^s:/, '')
          .replace(/\.[^.]*$/, '')
      : undefined;
  }

  private async request(method: string, path: string, body?: string): Promise<Page> {
    const headers: Record<string, string> = { 'user-agent': this.userAgent };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(this.base + path, { method, headers, body, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const [name = '', value = ''] = pair.split('=');
      const expired = attributes.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const location = response.headers.get('location');
    if (response.status === 303 && location) {
      await response.arrayBuffer();
      return this.get(location);
    }
    return { status: response.status, html: await response.text() };
  }
}

/** The counter shown on the signed-in page. */
export function countOf(page: Page): number | undefined {
  const found = /<span class="count" id="count">(\d+)<\/span>/.exec(page.html);
  return found ? Number(found[1]) : undefined;
}

/** The signed-in user shown on the page. */
export function userOf(page: Page): string | undefined {
  return /Signed in as <b id="user">([^<]+)<\/b>/.exec(page.html)?.[1];
}
