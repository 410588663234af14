import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, createServer } from '../server.js';
import { resolveConfig } from './config.js';
import { parseDatabases, readDatabasesFile } from './config-file.js';
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

describe('cluster and Sentinel options', () => {
  const base = () => ['--token', 't', '--data-dir', dataDir()];

  it('reads --redis-cluster, --read-from-replicas, --sentinel and --sentinel-master, and their variables', () => {
    expect(
      resolveConfig([...base(), '--redis-cluster', 'redis://a:7000, b:7001', '--read-from-replicas'], {})
        .options,
    ).toMatchObject({ redisCluster: ['redis://a:7000', 'b:7001'], readFromReplicas: true });
    expect(
      resolveConfig(base(), { RESTASH_REDIS_CLUSTER: 'a:1', RESTASH_READ_FROM_REPLICAS: 'no' }).options,
    ).toMatchObject({ redisCluster: ['a:1'], readFromReplicas: false });
    expect(
      resolveConfig(base(), { RESTASH_SENTINEL: 's1,s2:26380', RESTASH_SENTINEL_MASTER: 'mymaster' }).options
        .sentinel,
    ).toEqual({ sentinels: ['s1', 's2:26380'], master: 'mymaster' });
  });

  it('refuses contradictions and half-given options, naming the flags', () => {
    expect(() => resolveConfig([...base(), '--redis', 'redis://a', '--redis-cluster', 'b:1'], {})).toThrow(
      /--redis and --redis-cluster: give only one/,
    );
    expect(() => resolveConfig([...base(), '--sentinel', 's:1'], {})).toThrow(/go together/);
    expect(() => resolveConfig([...base(), '--sentinel-master', 'm'], {})).toThrow(/go together/);
    expect(() => resolveConfig([...base(), '--read-from-replicas'], {})).toThrow(/needs --redis-cluster/);
    expect(() => resolveConfig(base(), { RESTASH_READ_FROM_REPLICAS: 'maybe' })).toThrow(
      /RESTASH_READ_FROM_REPLICAS must be true or false/,
    );
    expect(() => resolveConfig([...base(), '--redis-cluster', 'a:1,,b:2'], {})).toThrow(/empty entry/);
  });

  it('refuses cluster seeds and sentinels that cannot work, before connecting', () => {
    const server = (options: Parameters<typeof createServer>[0]) => () =>
      createServer({ token: 't', ...options });
    expect(server({ redisCluster: ['redis://a:7000/2'] })).toThrow(/only database 0/);
    expect(server({ redisCluster: ['unix:///tmp/r.sock'] })).toThrow(/not a unix socket/);
    expect(server({ redisCluster: [] })).toThrow(/at least one seed/);
    expect(server({ redisCluster: ['ftp://a'] })).toThrow(/unsupported scheme/);
    expect(server({ redisUrl: 'redis://a', redisCluster: ['b:1'] })).toThrow(
      /give only one of a Redis URL, a cluster/,
    );
    expect(server({ readFromReplicas: true })).toThrow(/reading from replicas needs a cluster/);
    expect(server({ sentinel: { sentinels: [], master: 'm' } })).toThrow(/at least one sentinel/);
    expect(server({ sentinel: { sentinels: ['s:1'], master: 'bad name!' } })).toThrow(
      /not a Sentinel master name/,
    );
    expect(server({ sentinel: { sentinels: ['s:1'], master: 'unix:///x' } })).toThrow(/not a unix socket/);
  });

  it('reads cluster and Sentinel databases from a config file, one Redis per database', () => {
    const parsed = parseDatabases(
      {
        databases: [
          { id: 'c', cluster: ['redis://a:7000'], readFromReplicas: true, token: 't1' },
          { id: 's', sentinel: { sentinels: ['s:26379'], master: 'redis://:pw@m/1' }, token: 't2' },
        ],
      },
      'file',
    );
    expect(parsed).toMatchObject([
      { id: 'c', redisCluster: ['redis://a:7000'], readFromReplicas: true },
      { id: 's', sentinel: { sentinels: ['s:26379'], master: 'redis://:pw@m/1' } },
    ]);
    const bad = (entry: Record<string, unknown>) => () =>
      parseDatabases({ databases: [{ id: 'x', token: 't', ...entry }] }, 'file');
    expect(bad({})).toThrow(/give "redis" \(a URL or "embedded"\), "cluster" or "sentinel"/);
    expect(bad({ redis: 'embedded', cluster: ['a:1'] })).toThrow(/give only one of "redis", "cluster"/);
    expect(bad({ cluster: 'a:1' })).toThrow(/cluster must be a list/);
    expect(bad({ cluster: ['redis://a:1/3'] })).toThrow(/only database 0/);
    expect(bad({ redis: 'redis://a', readFromReplicas: true })).toThrow(/readFromReplicas needs "cluster"/);
    expect(bad({ cluster: ['a:1'], readFromReplicas: 'yes' })).toThrow(
      /readFromReplicas must be true or false/,
    );
    expect(bad({ sentinel: { sentinels: 's:1', master: 'm' } })).toThrow(/sentinel must be/);
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

describe('command rules', () => {
  it('reads --allow-commands and --deny-commands, and their variables', () => {
    const dir = dataDir();
    const { options } = resolveConfig(
      ['--token', 't', '--data-dir', dir, '--allow-commands', 'config|get, SLOWLOG'],
      { RESTASH_DENY_COMMANDS: 'EVAL,FLUSHALL' },
    );
    expect(options.allowCommands).toEqual(['config|get', 'SLOWLOG']);
    expect(options.denyCommands).toEqual(['EVAL', 'FLUSHALL']);
  });

  it('refuses entries that are no command name, or that the REST API can never run', () => {
    const make = (extra: object) => () => createServer({ token: 't', redisUrl: 'redis://h:1', ...extra });
    expect(make({ allowCommands: ['SELECT'] })).toThrow(/allow commands: "SELECT" cannot be allowed/);
    expect(make({ allowCommands: ['blpop'] })).toThrow(/cannot be allowed/);
    expect(make({ denyCommands: ['two words'] })).toThrow(/deny commands: "two words" is not a command name/);
    expect(make({ denyCommands: ['SELECT', 'CONFIG|SET'] })).not.toThrow();
  });

  it('reads allowCommands and denyCommands per database from a config file', () => {
    const [db] = parseDatabases(
      {
        databases: [
          {
            id: 'a',
            redis: 'redis://h:1',
            token: 't',
            allowCommands: ['CONFIG|GET'],
            denyCommands: ['EVAL'],
          },
        ],
      },
      'f',
    );
    expect(db).toMatchObject({ allowCommands: ['CONFIG|GET'], denyCommands: ['EVAL'] });
    expect(() =>
      parseDatabases(
        { databases: [{ id: 'a', redis: 'redis://h:1', token: 't', denyCommands: 'EVAL' }] },
        'f',
      ),
    ).toThrow(/databases\[0\]\.denyCommands must be a list/);
    expect(() =>
      parseDatabases(
        { databases: [{ id: 'a', redis: 'redis://h:1', token: 't', allowCommands: ['WATCH'] }] },
        'f',
      ),
    ).toThrow(/databases\[0\]\.allowCommands: "WATCH" cannot be allowed/);
  });
});

describe('config files in YAML and JSON', () => {
  const write = (name: string, text: string) => {
    const file = join(dataDir(), name);
    writeFileSync(file, text);
    return file;
  };

  it('reads a YAML file (.yaml or .yml) into the same databases as its JSON twin', () => {
    const yaml = `# two tenants
databases:
  - id: shop
    redis: redis://10.0.0.5:6379/0
    token: shop-token-0123456789
    maxRequestSize: 1mb
    denyCommands: [FLUSHALL, EVAL]
  - id: demo
    redis: embedded
    token: demo-token-0123456789
`;
    const json = JSON.stringify({
      databases: [
        {
          id: 'shop',
          redis: 'redis://10.0.0.5:6379/0',
          token: 'shop-token-0123456789',
          maxRequestSize: '1mb',
          denyCommands: ['FLUSHALL', 'EVAL'],
        },
        { id: 'demo', redis: 'embedded', token: 'demo-token-0123456789' },
      ],
    });
    const fromJson = readDatabasesFile(write('db.json', json));
    expect(readDatabasesFile(write('db.yaml', yaml))).toEqual(fromJson);
    expect(readDatabasesFile(write('db.YML', yaml))).toEqual(fromJson);
    expect(fromJson[0]).toMatchObject({ id: 'shop', maxRequestSize: 1024 * 1024 });
  });

  it('names the line and column of a YAML syntax error, and refuses duplicate keys', () => {
    const bad = write('bad.yaml', 'databases:\n  - id: a\n    token: x\n   redis: embedded\n');
    expect(() => readDatabasesFile(bad)).toThrow(ConfigError);
    expect(() => readDatabasesFile(bad)).toThrow(
      /bad\.yaml: not valid YAML at line 4, column 1: Sequence item without - indicator$/,
    );
    const twice = write('twice.yml', 'databases:\n  - id: a\n    id: b\n    token: x\n');
    expect(() => readDatabasesFile(twice)).toThrow(
      /not valid YAML at line 3, column 5: Map keys must be unique$/,
    );
    const unclosed = write('open.yaml', 'databases: [\n');
    expect(() => readDatabasesFile(unclosed)).toThrow(/not valid YAML at line \d+, column \d+/);
  });

  it('validates a YAML file as a JSON one: unknown fields, wrong types', () => {
    const unknown = write(
      'u.yaml',
      'databases:\n  - id: a\n    redis: embedded\n    token: t\n    tokn: x\n',
    );
    expect(() => readDatabasesFile(unknown)).toThrow('databases[0]: unknown field "tokn"');
    const wrong = write('w.yaml', 'databases: {}\n');
    expect(() => readDatabasesFile(wrong)).toThrow('expected {"databases": [ … ]}');
  });

  it('names the line and column of a JSON syntax error', () => {
    const bad = write('bad.json', '{\n  "databases": [\n    { "id": "a", }\n  ]\n}\n');
    expect(() => readDatabasesFile(bad)).toThrow(
      /bad\.json: not valid JSON at line 3, column 18: Expected double-quoted property name$/,
    );
  });
});
