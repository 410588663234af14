import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { parseSize } from './size.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function dataDir() {
  const dir = mkdtempSync(join(tmpdir(), 'restash-config-'));
  dirs.push(dir);
  return dir;
}

describe('resolveConfig', () => {
  it('applies defaults', () => {
    const { options } = resolveConfig(['--token', 't', '--data-dir', dataDir()], {});
    expect(options).toMatchObject({
      port: 8079,
      host: '127.0.0.1',
      maxRequestSize: 10 * 1024 * 1024,
      logLevel: 'info',
    });
    expect(options.redisUrl).toBeUndefined();
  });

  it('reads environment variables, and flags win over them', () => {
    const env = {
      RESTASH_PORT: '9000',
      RESTASH_TOKEN: 'env',
      RESTASH_REDIS_URL: 'redis://r:1',
      RESTASH_MAX_REQUEST_SIZE: '2mb',
    };
    expect(resolveConfig([], env).options).toMatchObject({
      port: 9000,
      token: 'env',
      redisUrl: 'redis://r:1',
      maxRequestSize: 2 * 1024 ** 2,
    });
    expect(resolveConfig(['--port', '9001'], env).options.port).toBe(9001);
  });

  it('generates a token once and reuses it', () => {
    const dir = dataDir();
    const first = resolveConfig(['--data-dir', dir], {});
    expect(first.tokenGenerated).toBe(true);
    expect(readFileSync(join(dir, 'token'), 'utf8').trim()).toBe(first.options.token);
    expect(resolveConfig(['--data-dir', dir], {}).options.token).toBe(first.options.token);
  });

  it('names the option in every error', () => {
    expect(() => resolveConfig(['--token', 't', '--port=-1'], {})).toThrow(/--port \(RESTASH_PORT\)/);
    expect(() => resolveConfig(['--token', 't', '--command-timeout', '0'], {})).toThrow(/--command-timeout/);
    expect(() => resolveConfig(['--token', ''], {})).toThrow(/--token \(RESTASH_TOKEN\) is empty/);
    expect(() => resolveConfig(['--bogus'], {})).toThrow(/bogus/);
  });
});

describe('parseSize', () => {
  it('understands units', () => {
    expect(parseSize('1048576')).toBe(1048576);
    expect(parseSize('512kb')).toBe(512 * 1024);
    expect(parseSize('10MB')).toBe(10 * 1024 ** 2);
    expect(() => parseSize('10 parsecs')).toThrow(/like 512kb/);
    expect(() => resolveConfig(['--token', 't', '--max-request-size', '10 parsecs'], {})).toThrow(
      /--max-request-size \(RESTASH_MAX_REQUEST_SIZE\) must be bytes/,
    );
    expect(() => parseSize('10')).toThrow(/at least 1kb/);
  });
});
