import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  alive,
  call,
  freePort,
  heldClients,
  holdWrites,
  post,
  type RunningProcess,
  runNode,
  startCluster,
  startRedis,
  startSentinelGroup,
  tempDir,
  until,
} from './helpers.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

const cleanups: (() => Promise<void> | void)[] = [];

const CPU_CGROUP = '/sys/fs/cgroup/cpu';
/** A cgroup v1 cpu hierarchy this process may make groups in, on a machine of more than one CPU. */
function cpuCgroupWritable(): boolean {
  if (process.platform !== 'linux' || availableParallelism() < 2) return false;
  try {
    accessSync(`${CPU_CGROUP}/cpu.cfs_quota_us`);
    accessSync(CPU_CGROUP, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('build the server first: pnpm build (turbo runs it before tests)');
});

/** How node is started: its own flags, and a command that runs it (taskset…). */
type NodeLaunch = { nodeArgs?: string[]; wrapper?: string[] };

function run(args: string[], env: Record<string, string> = {}, node: NodeLaunch = {}): RunningProcess {
  return runNode(CLI, args, (cleanup) => cleanups.push(cleanup), { env, ...node });
}

/** What the CLI prints from its start until it listens, after which it must stop cleanly on SIGTERM. */
async function startupOutput(redisUrl: string, node: NodeLaunch): Promise<string> {
  const cli = run(['--port', String(await freePort()), '--redis', redisUrl, '--token', 't'], {}, node);
  await until(() => cli.output().includes('Restash is listening'));
  cli.child.kill('SIGTERM');
  expect(await cli.exited).toBe(0);
  return cli.output();
}

describe('restash-server CLI', () => {
  it('prints help and exits 0', async () => {
    const cli = run(['--help']);
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain('--read-only-token');
    expect(cli.output()).toContain('RESTASH_REDIS_URL');
  });

  it('runs through the restash-server bin that pnpm links at the workspace root', async () => {
    const { execFile } = await import('node:child_process');
    const bin = fileURLToPath(new URL('../../../node_modules/.bin/restash-server', import.meta.url));
    const output = await new Promise<string>((resolve, reject) =>
      execFile(bin, ['--help'], (error, stdout) => (error ? reject(error) : resolve(stdout))),
    );
    expect(output).toContain('Usage: restash-server [options]');
  });

  it.each([
    [['--port', 'eighty'], '--port (RESTASH_PORT)'],
    [['--port', '70000'], '--port (RESTASH_PORT)'],
    [['--max-request-size', 'huge'], '--max-request-size'],
    [['--log-level', 'loud'], '--log-level'],
    [['--redis', 'http://nope'], 'redis URL'],
    [['--token', 'same', '--read-only-token', 'same'], '--read-only-token'],
    [['--no-such-flag'], 'no-such-flag'],
  ])('fails fast with exit code 2 naming the option for %j', async (args, named) => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const cli = run([...args, '--data-dir', dir]);
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toContain(named);
  });

  it('runs in front of a given Redis with flags from the environment', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const port = await freePort();
    const cli = run([], {
      RESTASH_PORT: String(port),
      RESTASH_REDIS_URL: redis.url,
      RESTASH_TOKEN: 'env-token',
      RESTASH_READ_ONLY_TOKEN: 'env-ro',
      RESTASH_LOG_LEVEL: 'warn',
    });
    const base = `http://127.0.0.1:${port}`;
    await until(() => cli.output().includes('Restash is listening'));
    expect(cli.output()).not.toContain('env-token');
    expect((await post(base, '/', ['SET', 'a', 'b'], { token: 'env-token' })).body).toEqual({ result: 'OK' });
    expect((await post(base, '/', ['GET', 'a'], { token: 'env-ro' })).body).toEqual({ result: 'b' });
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  // taskset (util-linux) sets the affinity that os.availableParallelism() reads; scripts/setup.sh installs it on Linux.
  it.runIf(process.platform === 'linux')(
    'on one CPU, tells the operator the Node flags for a lower tail latency, and is silent once given them',
    async () => {
      const redis = await startRedis();
      cleanups.push(() => redis.stop());
      const hint = 'this process has one CPU: start Node with --single-threaded --max-semi-space-size=4';
      const started = (node: NodeLaunch) => startupOutput(redis.url, node);
      const pinned = ['taskset', '-c', '0'];
      const logged = (await started({ wrapper: pinned })).split('\n').find((line) => line.includes(hint));
      expect(JSON.parse(logged!)).toMatchObject({ level: 'info', cpus: 1 });
      expect(
        await started({ wrapper: pinned, nodeArgs: ['--single-threaded', '--max-semi-space-size=4'] }),
      ).not.toContain('one CPU');
      expect(await started({ wrapper: ['taskset', '-c', '0,1'] })).not.toContain('one CPU');
    },
  );

  // A CFS quota (docker run --cpus=1) leaves the affinity alone, so os.availableParallelism() does not see it:
  // the server reads its cgroup. Needs a cgroup v1 cpu hierarchy it may write to (root, as on the CI machine).
  it.runIf(cpuCgroupWritable())(
    'under a cgroup CPU quota of one CPU, on more CPUs, tells the operator the flags too',
    async () => {
      const redis = await startRedis();
      cleanups.push(() => redis.stop());
      const group = `${CPU_CGROUP}/restash-test-${process.pid}-${Date.now()}`;
      mkdirSync(group);
      cleanups.push(() => rmdirSync(group));
      writeFileSync(`${group}/cpu.cfs_period_us`, '100000');
      const started = async (quota: string) => {
        writeFileSync(`${group}/cpu.cfs_quota_us`, quota);
        // sh moves itself into the group, then becomes node ($0) with node's arguments ($@).
        return startupOutput(redis.url, {
          wrapper: ['sh', '-c', `echo $$ > ${group}/cgroup.procs && exec "$0" "$@"`],
        });
      };
      const hint = "this process may use 1 CPU (its cgroup's CPU quota): start Node with --single-threaded";
      const logged = (await started('100000')).split('\n').find((line) => line.includes(hint));
      expect(JSON.parse(logged!)).toMatchObject({ level: 'info', cpus: 1, by: 'cgroup quota' });
      expect(await started('50000')).toContain('may use 0.5 CPU');
      expect(await started('200000')).not.toContain('CPU (its cgroup');
      expect(await started('-1')).not.toContain('CPU (its cgroup');
    },
  );

  it('generates a token when none is given, keeps it in the data dir and prints it with a curl line', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const port = await freePort();
    const cli = run(['--port', String(port), '--redis', redis.url, '--data-dir', dir]);
    await until(() => cli.output().includes('try:'));
    const token = readFileSync(join(dir, 'token'), 'utf8').trim();
    expect(token.length).toBeGreaterThanOrEqual(40);
    expect(cli.output()).toContain(
      `curl http://127.0.0.1:${port}/set/hello/world -H "Authorization: Bearer ${token}"`,
    );
    expect((await call(`http://127.0.0.1:${port}`, '/ping', { token })).body).toEqual({ result: 'PONG' });
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    const again = run(['--port', String(port), '--redis', redis.url, '--data-dir', dir]);
    await until(() => again.output().includes('try:'));
    expect(again.output()).toContain(token);
  });

  it('finishes a request in flight on SIGTERM, then exits 0', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const port = await freePort();
    const cli = run(['--port', String(port), '--redis', redis.url, '--token', 't', '--log-level', 'info']);
    const base = `http://127.0.0.1:${port}`;
    await until(() => cli.output().includes('Restash is listening'));
    // The write waits in Redis until released, so it is surely in flight when SIGTERM comes.
    const release = await holdWrites(redis);
    const slow = post(base, '/', ['SET', 'k', 'v'], { token: 't' });
    await until(async () => (await heldClients(redis)) === 1);
    cli.child.kill('SIGTERM');
    await until(() => cli.output().includes('"msg":"SIGTERM received, finishing requests in flight"'));
    await release();
    expect((await slow).body).toEqual({ result: 'OK' });
    expect(await cli.exited).toBe(0);
  });

  it('starts the embedded Redis, and the child dies with the server even on SIGKILL', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const port = await freePort();
    const cli = run(['--port', String(port), '--data-dir', dir, '--token', 't']);
    await until(() => cli.output().includes('Restash is listening'));
    expect(cli.output()).toContain('redis:   embedded');
    expect((await post(`http://127.0.0.1:${port}`, '/', ['PING'], { token: 't' })).body).toEqual({
      result: 'PONG',
    });
    const pid = Number(readFileSync(join(dir, 'redis.pid'), 'utf8'));
    expect(alive(pid)).toBe(true);
    cli.child.kill('SIGKILL');
    await cli.exited;
    await until(() => !alive(pid), 5000);
  });

  it('stops the embedded Redis on SIGINT', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const port = await freePort();
    const cli = run(['--port', String(port), '--data-dir', dir, '--token', 't']);
    await until(() => cli.output().includes('Restash is listening'));
    const pid = Number(readFileSync(join(dir, 'redis.pid'), 'utf8'));
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
    expect(alive(pid)).toBe(false);
  });

  it('exits 1 with the install line when redis-server is missing', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const cli = run([
      '--port',
      '0',
      '--data-dir',
      dir,
      '--token',
      't',
      '--redis-server-bin',
      'no-such-redis',
    ]);
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toContain('sudo apt-get install -y redis-server');
  });

  it('fronts a Redis Cluster and a Sentinel master from flags and variables', async () => {
    const cluster = await startCluster({ replicasPerMaster: 0 });
    cleanups.push(() => cluster.close());
    const group = await startSentinelGroup();
    cleanups.push(() => group.close());
    const onCluster = run(['--port', String(await freePort()), '--token', 't', '--read-from-replicas'], {
      RESTASH_REDIS_CLUSTER: cluster.seeds.slice(0, 2).join(','),
    });
    const port = await freePort();
    const onSentinel = run([
      '--port',
      String(port),
      '--token',
      't',
      '--sentinel',
      group.sentinelAddresses.join(','),
      '--sentinel-master',
      group.masterName,
    ]);
    await until(() => onCluster.output().includes('Restash is listening'));
    await until(() => onSentinel.output().includes('Restash is listening'));
    expect(onCluster.output()).toContain('cluster (redis://127.0.0.1:');
    expect(onSentinel.output()).toContain(`sentinel master "${group.masterName}"`);
    const clusterUrl = /listening on (http:\/\/\S+)/.exec(onCluster.output())![1]!;
    const keys = Array.from({ length: 10 }, (_, i) => `cli:${i}`);
    expect(
      (await post(clusterUrl, '/', ['MSET', ...keys.flatMap((key) => [key, key])], { token: 't' })).body,
    ).toEqual({
      result: 'OK',
    });
    expect((await post(clusterUrl, '/', ['DBSIZE'], { token: 't' })).body).toEqual({ result: 10 });
    const sentinelUrl = `http://127.0.0.1:${port}`;
    expect((await post(sentinelUrl, '/', ['SET', 'via', 'sentinel'], { token: 't' })).body).toEqual({
      result: 'OK',
    });
    expect(await group.master.cli('GET', 'via')).toBe('sentinel');
    expect((await call(sentinelUrl, '/-/health', { token: null })).status).toBe(200);
    onCluster.child.kill('SIGTERM');
    onSentinel.child.kill('SIGTERM');
    expect(await onCluster.exited).toBe(0);
    expect(await onSentinel.exited).toBe(0);
  }, 60_000);
});
