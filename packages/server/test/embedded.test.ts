import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, createServer } from '../src/index.js';
import { alive, post, TOKEN, tempDir, until } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function embedded(dataDir: string, extra: Partial<Parameters<typeof createServer>[0]> = {}) {
  return createServer({ token: TOKEN, port: 0, dataDir, logger: createLogger('silent'), ...extra });
}

describe('embedded Redis', () => {
  it('starts its own redis-server when no Redis is configured, and keeps data across restarts', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const first = embedded(dir);
    const base = await first.listen();
    expect(first.redis).toMatch(/^embedded \(unix:.*redis\.sock\)/);
    expect((await post(base, '/', ['SET', 'kept', 'across restarts'])).body).toEqual({ result: 'OK' });
    const pid = Number(readFileSync(join(dir, 'redis.pid'), 'utf8'));
    expect(alive(pid)).toBe(true);
    await first.close();
    expect(alive(pid)).toBe(false);

    const second = embedded(dir, { allowCommands: ['CONFIG|GET'] });
    cleanups.push(() => second.close());
    const again = await second.listen();
    expect((await post(again, '/', ['GET', 'kept'])).body).toEqual({ result: 'across restarts' });
    expect((await post(again, '/', ['CONFIG', 'GET', 'appendonly'])).body).toEqual({
      result: ['appendonly', 'yes'],
    });
  });

  it('restarts redis-server when it dies, and serves again', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const server = embedded(dir);
    cleanups.push(() => server.close());
    const base = await server.listen();
    await post(base, '/', ['SET', 'a', '1']);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // let appendfsync everysec flush
    const pid = Number(readFileSync(join(dir, 'redis.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    await until(async () => (await post(base, '/', ['GET', 'a'])).status === 200);
    expect((await post(base, '/', ['GET', 'a'])).body).toEqual({ result: '1' });
    expect(Number(readFileSync(join(dir, 'redis.pid'), 'utf8'))).not.toBe(pid);
  });

  it('uses a loopback port when the data directory is too deep for a unix socket', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const deep = join(dir, 'x'.repeat(60), 'y'.repeat(60));
    const server = embedded(deep);
    cleanups.push(() => server.close());
    const base = await server.listen();
    expect(server.redis).toMatch(/^embedded \(redis:\/\/127\.0\.0\.1:\d+/);
    expect((await post(base, '/', ['PING'])).body).toEqual({ result: 'PONG' });
  });

  it('stops a redis-server left running on its data directory by a crashed run', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const { spawn } = await import('node:child_process');
    const leftover = spawn(
      'redis-server',
      [
        '--port',
        '0',
        '--unixsocket',
        join(dir, 'redis.sock'),
        '--pidfile',
        join(dir, 'redis.pid'),
        '--dir',
        dir,
      ],
      { stdio: 'ignore', detached: true },
    );
    leftover.unref();
    cleanups.push(() => {
      if (alive(leftover.pid!)) process.kill(leftover.pid!, 'SIGKILL');
    });
    await until(() => {
      try {
        return Number(readFileSync(join(dir, 'redis.pid'), 'utf8')) === leftover.pid;
      } catch {
        return false;
      }
    });
    const server = embedded(dir);
    cleanups.push(() => server.close());
    const base = await server.listen();
    await until(() => !alive(leftover.pid!) || leftover.exitCode !== null);
    expect((await post(base, '/', ['PING'])).body).toEqual({ result: 'PONG' });
    expect(Number(readFileSync(join(dir, 'redis.pid'), 'utf8'))).not.toBe(leftover.pid);
  });

  it('fails with the install line when redis-server is missing', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const server = embedded(dir, { redisServerBin: 'redis-server-that-does-not-exist' });
    cleanups.push(() => server.close());
    await expect(server.listen()).rejects.toThrow(/apt-get install -y redis-server/);
  });
});
