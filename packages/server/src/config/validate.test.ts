import { describe, expect, it } from 'vitest';
import { cliNaming } from '../cli/config.js';
import { fileNaming } from '../cli/config-file.js';
import { ConfigError } from './options.js';
import { checkDatabases, checkOptions, optionNaming } from './validate.js';

const message = (check: () => void): string => {
  try {
    check();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('one validation of the server options, named by each caller', () => {
  it('names an option out of range as the library, the CLI and a file each spell it', () => {
    expect(message(() => checkOptions({ maxConnections: 1 }, optionNaming()))).toBe(
      'max connections: must be an integer from 2 to 1000000, got 1',
    );
    expect(message(() => checkOptions({ maxConnections: 1 }, cliNaming))).toBe(
      '--max-connections (RESTASH_MAX_CONNECTIONS) must be an integer from 2 to 1000000, got 1',
    );
    const databases = [{ id: 'a', token: 'token-a', maxConnections: 1 }];
    expect(message(() => checkDatabases(databases, fileNaming('config file f.json')))).toBe(
      'config file f.json: databases[0].maxConnections must be an integer from 2 to 1000000, got 1',
    );
    expect(message(() => checkOptions({ databases }, optionNaming()))).toBe(
      'databases: database "a": max connections must be an integer from 2 to 1000000, got 1',
    );
  });

  it('refuses more than one Redis to front, in the words of each caller', () => {
    const both = { redisUrl: 'redis://a', redisCluster: ['b:1'] };
    expect(message(() => checkOptions({ token: 't', ...both }, optionNaming()))).toBe(
      'give only one of a Redis URL, a cluster',
    );
    expect(message(() => checkOptions({ token: 't', ...both }, cliNaming))).toBe(
      '--redis and --redis-cluster: give only one Redis to front',
    );
    expect(message(() => checkDatabases([{ id: 'a', token: 't', ...both }], fileNaming('f')))).toBe(
      'f: databases[0]: give only one of "redis", "cluster"',
    );
  });

  it('applies the database rules to a list given to the library as to a file', () => {
    const twice = [
      { id: 'a', token: 'same' },
      { id: 'b', token: 'other', readOnlyToken: 'same' },
    ];
    expect(message(() => checkDatabases(twice, optionNaming()))).toMatch(
      /database "b": a token is already used/,
    );
    expect(message(() => checkDatabases(twice, fileNaming('f')))).toBe(
      'f: databases[1].readOnlyToken is already used by another token',
    );
    const remote = [{ id: 'a', token: 't', redisUrl: 'redis://h:1', appendfsync: 'always' as const }];
    expect(message(() => checkDatabases(remote, fileNaming('f')))).toBe(
      'f: databases[0].appendfsync applies to an embedded Redis only',
    );
  });

  it('keeps the metrics token apart from the data tokens for the library too', () => {
    const token = 'a-token-of-sixteen-chars';
    expect(message(() => checkOptions({ token, metricsToken: token }, optionNaming()))).toBe(
      'metrics token: must differ from the data tokens',
    );
    expect(message(() => checkOptions({ token, metricsToken: 'short' }, cliNaming))).toBe(
      '--metrics-token (RESTASH_METRICS_TOKEN) must be at least 16 characters long',
    );
  });
});
