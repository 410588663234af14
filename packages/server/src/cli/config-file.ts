import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ConfigError, type DatabaseConfig } from '../config/options.js';
import {
  checkDatabases,
  checkTarget,
  type DatabaseAt,
  type Naming,
  type OptionKey,
} from '../config/validate.js';
import { parseSize } from './size.js';

/**
 * Reads a databases file — JSON, or YAML when its name ends in `.yaml`/`.yml` —:
 * one server fronting many Redis databases, each with its own tokens and limits.
 *
 * @example
 * {
 *   "databases": [
 *     { "id": "shop", "redis": "redis://10.0.0.5:6379/0", "token": "…", "readOnlyToken": "…",
 *       "maxRequestSize": "1mb", "maxConnections": 50 },
 *     { "id": "demo", "redis": "embedded", "token": "…" },
 *     { "id": "big", "cluster": ["redis://10.0.1.1:7000", "redis://10.0.1.2:7000"],
 *       "readFromReplicas": true, "token": "…" },
 *     { "id": "ha", "sentinel": { "sentinels": ["10.0.2.1:26379", "10.0.2.2:26379"],
 *       "master": "mymaster" }, "token": "…" }
 *   ]
 * }
 */
export function readDatabasesFile(path: string): DatabaseConfig[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`config file ${path}: cannot read it: ${(error as Error).message}`);
  }
  const json = /\.ya?ml$/i.test(path) ? parseYaml(text, path) : parseJson(text, path);
  return parseDatabases(json, `config file ${path}`);
}

/** JSON, with the line and column of a syntax error (Node names only the offset). */
function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const offset = /at position (\d+)/.exec(message)?.[1];
    const at = offset === undefined ? lineColumn(text, text.length) : lineColumn(text, Number(offset));
    throw new ConfigError(
      `config file ${path}: not valid JSON at line ${at.line}, column ${at.column}: ${message.replace(/ in JSON at position \d+.*$/, '')}`,
    );
  }
}

/** YAML (1.2, the `yaml` package): one document, no duplicate keys; errors name line and column. */
function parseYaml(text: string, path: string): unknown {
  const document = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const [error] = document.errors;
  if (error) {
    const at = lineColumn(text, error.pos[0]);
    throw new ConfigError(
      `config file ${path}: not valid YAML at line ${at.line}, column ${at.column}: ${error.message.split(/ at line \d+|\n/)[0]}`,
    );
  }
  return document.toJS();
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** The keys of a databases file that are not the option's name. */
const FILE_KEYS: Partial<Record<OptionKey, string>> = { redisUrl: 'redis', redisCluster: 'cluster' };

/** How errors about a databases file name what they are about: `config file f: databases[0].redis`. */
export function fileNaming(where: string): Naming {
  const key = (option: OptionKey) => FILE_KEYS[option] ?? option;
  const name = (option: OptionKey, at?: DatabaseAt) =>
    at ? `${where}: databases[${at.index}].${key(option)}` : `${where}: ${key(option)}`;
  return {
    name,
    mention: (option) => `"${key(option)}"`,
    joint: () => ' ',
    oneTarget: (given, at) =>
      `${where}: databases[${at?.index}]: give only one of ${given.map((option) => `"${key(option)}"`).join(', ')}`,
    together: (a, b) => `${name(a)} and ${name(b)} go together`,
  };
}

const FIELDS = new Set([
  'id',
  'redis',
  'cluster',
  'readFromReplicas',
  'sentinel',
  'token',
  'readOnlyToken',
  'maxRequestSize',
  'maxConnections',
  'allowCommands',
  'denyCommands',
  'appendfsync',
]);

/**
 * Validates the parsed contents of a databases file; every error names the
 * entry and field. The shape of each entry is checked here, its values by the
 * server's rules (`checkDatabases`), named as the file's keys.
 */
export function parseDatabases(json: unknown, where: string): DatabaseConfig[] {
  if (
    typeof json !== 'object' ||
    json === null ||
    !Array.isArray((json as { databases?: unknown }).databases)
  ) {
    throw new ConfigError(`${where}: expected {"databases": [ … ]}`);
  }
  const entries = (json as { databases: unknown[] }).databases;
  if (entries.length === 0) throw new ConfigError(`${where}: "databases" is empty`);
  const naming = fileNaming(where);
  const configs = entries.map((entry, index): DatabaseConfig => {
    const at = `${where}: databases[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      throw new ConfigError(`${at} is not an object`);
    const e = entry as Record<string, unknown>;
    for (const key of Object.keys(e))
      if (!FIELDS.has(key)) throw new ConfigError(`${at}: unknown field "${key}"`);
    const text = (key: string): string | undefined => {
      const value = e[key];
      if (value === undefined) return undefined;
      if (typeof value !== 'string' || value === '')
        throw new ConfigError(`${at}.${key} must be a non-empty string`);
      return value;
    };
    const id = text('id');
    if (id === undefined) throw new ConfigError(`${at}.id must be a non-empty string`);
    // A file says which Redis, also when it is the embedded one.
    const given = (['redis', 'cluster', 'sentinel'] as const).filter((key) => e[key] !== undefined);
    if (given.length === 0) {
      throw new ConfigError(`${at}: give "redis" (a URL or "embedded"), "cluster" or "sentinel"`);
    }
    const redis = text('redis');
    if (e.cluster !== undefined) {
      if (!Array.isArray(e.cluster) || !e.cluster.every((seed) => typeof seed === 'string' && seed !== '')) {
        throw new ConfigError(`${at}.cluster must be a list of seed node URLs`);
      }
    }
    if (e.readFromReplicas !== undefined && typeof e.readFromReplicas !== 'boolean') {
      throw new ConfigError(`${at}.readFromReplicas must be true or false`);
    }
    let sentinel: { sentinels: string[]; master: string } | undefined;
    if (e.sentinel !== undefined) {
      const value = e.sentinel as { sentinels?: unknown; master?: unknown };
      if (
        typeof value !== 'object' ||
        value === null ||
        !Array.isArray(value.sentinels) ||
        !value.sentinels.every((entry) => typeof entry === 'string' && entry !== '') ||
        typeof value.master !== 'string' ||
        value.master === ''
      ) {
        throw new ConfigError(`${at}.sentinel must be {"sentinels": ["host:port", …], "master": "name"}`);
      }
      sentinel = { sentinels: value.sentinels as string[], master: value.master };
    }
    let maxRequestSize: number | undefined;
    if (typeof e.maxRequestSize === 'number') maxRequestSize = e.maxRequestSize;
    else if (e.maxRequestSize !== undefined) {
      try {
        maxRequestSize = parseSize(String(e.maxRequestSize));
      } catch (error) {
        throw new ConfigError(`${at}.maxRequestSize: ${(error as Error).message}`);
      }
    }
    if (e.maxConnections !== undefined && typeof e.maxConnections !== 'number') {
      throw new ConfigError(`${at}.maxConnections must be a number`);
    }
    const config: DatabaseConfig = {
      id,
      redisUrl: redis === 'embedded' ? undefined : redis,
      redisCluster: e.cluster as string[] | undefined,
      readFromReplicas: e.readFromReplicas as boolean | undefined,
      sentinel,
      token: text('token')!,
      readOnlyToken: text('readOnlyToken'),
      maxRequestSize,
      maxConnections: e.maxConnections as number | undefined,
      allowCommands: e.allowCommands as string[] | undefined,
      denyCommands: e.denyCommands as string[] | undefined,
      appendfsync: e.appendfsync as DatabaseConfig['appendfsync'],
    };
    const named = given.map((key) =>
      key === 'redis' ? 'redisUrl' : key === 'cluster' ? 'redisCluster' : key,
    );
    checkTarget(config, naming, { at: { index, id }, given: named });
    return config;
  });
  checkDatabases(configs, naming);
  return configs;
}
