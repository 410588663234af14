import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  freePort,
  type RunningProcess,
  runNode,
  selfSignedCertificate,
  startRedis,
  tempDir,
  until,
} from './helpers.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const VERSION = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
const TOKEN = 'cli-operating-token-0123456789';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('build the server first: pnpm build (turbo runs it before tests)');
});

function run(args: string[], env: Record<string, string> = {}, cwd?: string): RunningProcess {
  return runNode(CLI, args, (cleanup) => cleanups.push(cleanup), { env, cwd });
}

/** Every stderr line, parsed: throws if one is not JSON. */
function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function fingerprint(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca }, () => {
      const print = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(print);
    });
    socket.on('error', reject);
  });
}

describe('restash-server CLI in production', () => {
  it('prints its version with --version and -v, and exits 0', async () => {
    for (const flag of ['--version', '-v']) {
      const cli = run([flag]);
      expect(await cli.exited).toBe(0);
      expect(cli.stdout()).toBe(`${VERSION}\n`);
    }
  });

  it('writes only JSON lines to stderr, reloads the TLS certificate on SIGHUP and logs a failed reload as an error', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const first = selfSignedCertificate(dir, 'first');
    const second = selfSignedCertificate(dir, 'second');
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    writeFileSync(cert, readFileSync(first.cert));
    writeFileSync(key, readFileSync(first.key));
    const port = await freePort();
    const cli = run(['--port', String(port), '--redis', redis.url, '--tls-cert', cert, '--tls-key', key], {
      RESTASH_TOKEN: TOKEN,
    });
    await until(() => cli.stdout().includes('Restash is listening on https://127.0.0.1:'));
    const ca = readFileSync(first.cert, 'utf8') + readFileSync(second.cert, 'utf8');
    const print = (file: string) => new X509Certificate(readFileSync(file)).fingerprint256;
    expect(await fingerprint(port, ca)).toBe(print(first.cert));

    writeFileSync(cert, readFileSync(second.cert));
    writeFileSync(key, readFileSync(second.key));
    cli.child.kill('SIGHUP');
    await until(() => cli.stderr().includes('"msg":"reloaded"'));
    expect(await fingerprint(port, ca)).toBe(print(second.cert));

    writeFileSync(key, 'not a key');
    cli.child.kill('SIGHUP');
    await until(() => cli.stderr().includes('reload failed'));
    expect(await fingerprint(port, ca)).toBe(print(second.cert));

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    const lines = jsonLines(cli.stderr());
    expect(lines.find((line) => line.msg === 'reloaded')).toMatchObject({ level: 'info', signal: 'SIGHUP' });
    expect(lines.find((line) => line.msg === 'reload failed, keeping the running config')).toMatchObject({
      level: 'error',
      error: expect.stringMatching(/TLS/),
    });
    expect(lines.find((line) => line.signal === 'SIGTERM')).toMatchObject({ level: 'info' });
    expect(cli.stderr()).not.toContain(TOKEN);
  });

  it('prints nothing on stderr at --log-level silent, signals included', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const port = await freePort();
    const cli = run([
      '--port',
      String(port),
      '--redis',
      redis.url,
      '--log-level',
      'silent',
      '--token',
      'short',
    ]);
    await until(() => cli.stdout().includes('Restash is listening'));
    cli.child.kill('SIGHUP');
    await call(`http://127.0.0.1:${port}`, '/-/health', { token: null });
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.stderr()).toBe('');
  });

  it('exits 2 when Redis refuses the password at start-up', async () => {
    const redis = await startRedis(['--requirepass', 'sekret']);
    cleanups.push(() => redis.stop());
    const port = await freePort();
    const cli = run(['--port', String(port), '--redis', `redis://:wrong@127.0.0.1:${redis.port}`], {
      RESTASH_TOKEN: TOKEN,
    });
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toMatch(/Redis refused the credentials: .*WRONGPASS.*Check the user and password/);
  });

  it('refuses a short token on a non-loopback address and warns about it on loopback', async () => {
    const refused = run(['--host', '0.0.0.0', '--token', 'short', '--redis', 'redis://127.0.0.1:1']);
    expect(await refused.exited).toBe(2);
    expect(refused.stderr()).toContain(
      '--token (RESTASH_TOKEN) is 5 characters long: a token shorter than 16 can be guessed, and --host 0.0.0.0 takes connections from other machines',
    );
    const sameAsMetrics = run(['--token', TOKEN, '--metrics-token', TOKEN, '--redis', 'redis://127.0.0.1:1']);
    expect(await sameAsMetrics.exited).toBe(2);
    expect(sameAsMetrics.stderr()).toContain('--metrics-token (RESTASH_METRICS_TOKEN) must differ');
    const halfTls = run(['--token', TOKEN, '--tls-cert', '/nonexistent', '--redis', 'redis://127.0.0.1:1']);
    expect(await halfTls.exited).toBe(2);
    expect(halfTls.stderr()).toContain(
      '--tls-cert (RESTASH_TLS_CERT) and --tls-key (RESTASH_TLS_KEY) go together',
    );

    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const port = await freePort();
    const warned = run(['--port', String(port), '--redis', redis.url, '--token', 'short']);
    await until(() => warned.stdout().includes('Restash is listening'));
    const warning = jsonLines(warned.stderr()).find((line) => line.level === 'warn');
    expect(warning?.msg).toContain('--token (RESTASH_TOKEN) is 5 characters long');
  });

  it('shows a relative --data-dir as an absolute path', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const port = await freePort();
    const cli = run(['--port', String(port), '--data-dir', 'data', '--token', TOKEN], {}, dir);
    await until(() => cli.stdout().includes('Restash is listening'));
    expect(cli.stdout()).toContain(`data in ${join(dir, 'data')}`);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });
});
