import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { validate } from 'dockerfile-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { call, freePort, runNode, tempDir, until } from './helpers.js';

/**
 * The deployment recipes in deploy/. No Docker daemon runs where these tests
 * run, so the image is never built here: the Dockerfile is linted and read,
 * and the command its ENTRYPOINT runs, with its ENV, and its HEALTHCHECK are
 * run from this checkout instead (see deploy/README.md for what that leaves unverified).
 */
const DEPLOY = new URL('../../../deploy/', import.meta.url);
const dockerfile = readFileSync(new URL('Dockerfile', DEPLOY), 'utf8');
const BIN = fileURLToPath(new URL('../bin/restash-server.js', import.meta.url));
const HEALTHCHECK = fileURLToPath(new URL('healthcheck.mjs', DEPLOY));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The instructions of the Dockerfile's last stage (continuation lines joined). */
function finalStage(): { instruction: string; args: string }[] {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const from = lines.map((line) => line.startsWith('FROM ')).lastIndexOf(true);
  return lines.slice(from).map((line) => {
    const space = line.indexOf(' ');
    return { instruction: line.slice(0, space), args: line.slice(space + 1).trim() };
  });
}

function one(instruction: string): string {
  const found = finalStage().filter((entry) => entry.instruction === instruction);
  expect(found, instruction).toHaveLength(1);
  return found[0]!.args;
}

/** `ENV A=1 B=2` of the last stage. */
function imageEnv(): Record<string, string> {
  return Object.fromEntries(
    finalStage()
      .filter((entry) => entry.instruction === 'ENV')
      .flatMap((entry) => entry.args.split(/\s+/))
      .map((pair) => pair.split('=') as [string, string]),
  );
}

describe('deploy/Dockerfile', () => {
  it('passes the dockerfile-utils linter with no problem', () => {
    expect(validate(dockerfile).map((problem) => problem.message)).toEqual([]);
  });

  it('runs as a non-root user, with redis-server inside, a health check, and the data in a volume', () => {
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim AS build$/m);
    expect(one('USER')).toBe('node');
    expect(
      finalStage().some((entry) => entry.instruction === 'RUN' && /install .*redis-server/.test(entry.args)),
    ).toBe(true);
    expect(one('HEALTHCHECK')).toMatch(/CMD \["node", "\/usr\/local\/lib\/restash\/healthcheck\.mjs"\]$/);
    expect(dockerfile).toContain('COPY deploy/healthcheck.mjs /usr/local/lib/restash/healthcheck.mjs');
    expect(one('ENTRYPOINT')).toBe('["restash-server"]');
    const env = imageEnv();
    expect(env).toMatchObject({ RESTASH_HOST: '0.0.0.0', RESTASH_PORT: '8079', RESTASH_DATA_DIR: '/data' });
    expect(one('EXPOSE')).toBe(env.RESTASH_PORT);
    expect(one('VOLUME')).toBe(env.RESTASH_DATA_DIR);
    expect(one('WORKDIR')).toBe(env.RESTASH_DATA_DIR);
  });

  it('starts with the exact entrypoint and environment of the image: embedded Redis, healthy, stops on SIGTERM', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const port = await freePort();
    // What the image runs: ENTRYPOINT `restash-server` (npm links it to bin/restash-server.js), its ENV,
    // in its WORKDIR; only the data directory and the port differ, to run beside other tests.
    const env = { ...imageEnv(), RESTASH_DATA_DIR: dir, RESTASH_PORT: String(port) };
    const server = runNode(BIN, [], (cleanup) => cleanups.push(cleanup), { env, cwd: dir });
    await until(() => server.stdout().includes('Restash is listening'));
    expect(server.stdout()).toContain(`Restash is listening on http://0.0.0.0:${port}`);
    expect(server.stdout()).toContain('redis:   embedded');
    const token = readFileSync(`${dir}/token`, 'utf8').trim();
    expect(server.stdout()).toContain(token);

    const healthcheck = (checkPort: number) =>
      spawnSync(process.execPath, [HEALTHCHECK], { env: { RESTASH_PORT: String(checkPort) } }).status;
    await until(() => healthcheck(port) === 0);
    expect((await call(`http://127.0.0.1:${port}`, '/ping', { token })).body).toEqual({ result: 'PONG' });
    expect(healthcheck(await freePort())).toBe(1);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    for (const line of server.stderr().split('\n').filter(Boolean))
      expect(() => JSON.parse(line)).not.toThrow();
  });
});

describe('deploy/docker-compose.yml', () => {
  it('builds the image from the repository root and points it at the Redis service once healthy', () => {
    const compose = parse(readFileSync(new URL('docker-compose.yml', DEPLOY), 'utf8'), { uniqueKeys: true });
    const { redis, restash } = compose.services;
    expect(restash.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
    expect(existsSync(new URL(`../${restash.build.dockerfile}`, DEPLOY))).toBe(true);
    expect(restash.environment.RESTASH_REDIS_URL).toBe('redis://redis:6379');
    expect(restash.environment.RESTASH_TOKEN).toMatch(/^\$\{RESTASH_TOKEN:\?/);
    expect(restash.depends_on).toEqual({ redis: { condition: 'service_healthy' } });
    expect(redis.healthcheck.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(redis.command).toContain('--appendonly');
    expect(Object.keys(compose.volumes)).toEqual(['redis-data', 'restash-data']);
  });
});

describe('deploy/restash-server.service', () => {
  const unit = fileURLToPath(new URL('restash-server.service', DEPLOY));

  it('reloads with SIGHUP, stops with SIGTERM and does not restart on a configuration error', () => {
    const text = readFileSync(unit, 'utf8');
    expect(text).toContain('ExecReload=/bin/kill -HUP $MAINPID');
    expect(text).toContain('KillSignal=SIGTERM');
    expect(text).toContain('RestartPreventExitStatus=2');
    expect(text).toContain('DynamicUser=yes');
    expect(text).toContain('StateDirectory=restash');
    expect(text).toContain('Environment=RESTASH_DATA_DIR=/var/lib/restash');
  });

  it.runIf(existsSync('/usr/bin/systemd-analyze'))('passes systemd-analyze verify', async () => {
    const { stderr } = await promisify(execFile)('systemd-analyze', ['verify', unit]);
    expect(stderr).toBe('');
  });
});
