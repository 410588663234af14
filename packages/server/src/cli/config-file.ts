import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { parseClusterSeeds, parseRedisUrl, parseSentinel } from '../backend/redis-url.js';
import { commandList } from '../protocol/commands.js';
import { ConfigError, type DatabaseConfig } from '../server.js';
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

/** Validates the parsed contents of a databases file; every error names the entry and field. */
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
  const configs: DatabaseConfig[] = [];
  const ids = new Set<string>();
  const tokens = new Set<string>();
  entries.forEach((entry, index) => {
    const at = `${where}: databases[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      throw new ConfigError(`${at} is not an object`);
    const e = entry as Record<string, unknown>;
    const known = new Set([
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
    for (const key of Object.keys(e))
      if (!known.has(key)) throw new ConfigError(`${at}: unknown field "${key}"`);
    const text = (key: string, required: boolean): string | undefined => {
      const value = e[key];
      if (value === undefined && !required) return undefined;
      if (typeof value !== 'string' || value === '')
        throw new ConfigError(`${at}.${key} must be a non-empty string`);
      return value;
    };
    const id = text('id', true)!;
    if (!/^[A-Za-z0-9_.-]+$/.test(id))
      throw new ConfigError(`${at}.id may only use letters, digits, "_", "." and "-"`);
    if (ids.has(id)) throw new ConfigError(`${at}.id "${id}" is used twice`);
    ids.add(id);
    const targets = ['redis', 'cluster', 'sentinel'].filter((key) => e[key] !== undefined);
    if (targets.length !== 1) {
      throw new ConfigError(
        targets.length === 0
          ? `${at}: give "redis" (a URL or "embedded"), "cluster" or "sentinel"`
          : `${at}: give only one of ${targets.map((key) => `"${key}"`).join(', ')}`,
      );
    }
    const redis = text('redis', false);
    if (redis !== undefined && redis !== 'embedded') {
      try {
        parseRedisUrl(redis);
      } catch (error) {
        throw new ConfigError(`${at}.redis: ${(error as Error).message}`);
      }
    }
    let cluster: string[] | undefined;
    if (e.cluster !== undefined) {
      if (!Array.isArray(e.cluster) || !e.cluster.every((seed) => typeof seed === 'string' && seed !== '')) {
        throw new ConfigError(`${at}.cluster must be a list of seed node URLs`);
      }
      cluster = e.cluster as string[];
      try {
        parseClusterSeeds(cluster);
      } catch (error) {
        throw new ConfigError(`${at}.cluster: ${(error as Error).message}`);
      }
    }
    if (e.readFromReplicas !== undefined && typeof e.readFromReplicas !== 'boolean') {
      throw new ConfigError(`${at}.readFromReplicas must be true or false`);
    }
    if (e.readFromReplicas === true && cluster === undefined) {
      throw new ConfigError(`${at}.readFromReplicas needs "cluster"`);
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
      try {
        parseSentinel(sentinel.sentinels, sentinel.master);
      } catch (error) {
        throw new ConfigError(`${at}.sentinel: ${(error as Error).message}`);
      }
    }
    const token = text('token', true)!;
    const readOnlyToken = text('readOnlyToken', false);
    for (const [name, value] of [
      ['token', token],
      ['readOnlyToken', readOnlyToken],
    ] as const) {
      if (value === undefined) continue;
      if (tokens.has(value)) throw new ConfigError(`${at}.${name} is already used by another token`);
      tokens.add(value);
    }
    let maxRequestSize: number | undefined;
    if (e.maxRequestSize !== undefined) {
      try {
        maxRequestSize =
          typeof e.maxRequestSize === 'number'
            ? checkSize(e.maxRequestSize)
            : parseSize(String(e.maxRequestSize));
      } catch (error) {
        throw new ConfigError(`${at}.maxRequestSize: ${(error as Error).message}`);
      }
    }
    let maxConnections: number | undefined;
    if (e.maxConnections !== undefined) {
      if (!Number.isInteger(e.maxConnections) || (e.maxConnections as number) < 2) {
        throw new ConfigError(`${at}.maxConnections must be an integer ≥ 2`);
      }
      maxConnections = e.maxConnections as number;
    }
    const commands = (key: 'allowCommands' | 'denyCommands'): string[] | undefined => {
      const value = e[key];
      if (value === undefined) return undefined;
      if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'string')) {
        throw new ConfigError(`${at}.${key} must be a list of command names`);
      }
      try {
        commandList(value, key === 'allowCommands');
      } catch (error) {
        throw new ConfigError(`${at}.${key}: ${(error as Error).message}`);
      }
      return value;
    };
    const appendfsync = e.appendfsync;
    if (
      appendfsync !== undefined &&
      appendfsync !== 'always' &&
      appendfsync !== 'everysec' &&
      appendfsync !== 'no'
    ) {
      throw new ConfigError(`${at}.appendfsync must be "always", "everysec" or "no"`);
    }
    if (appendfsync !== undefined && redis !== 'embedded') {
      throw new ConfigError(`${at}.appendfsync applies to an embedded Redis only ("redis": "embedded")`);
    }
    const allowCommands = commands('allowCommands');
    const denyCommands = commands('denyCommands');
    configs.push({
      id,
      redisUrl: redis === 'embedded' ? undefined : redis,
      redisCluster: cluster,
      readFromReplicas: e.readFromReplicas as boolean | undefined,
      sentinel,
      token,
      readOnlyToken,
      maxRequestSize,
      maxConnections,
      allowCommands,
      denyCommands,
      appendfsync: appendfsync as DatabaseConfig['appendfsync'],
    });
  });
  return configs;
}

function checkSize(bytes: number): number {
  if (!Number.isInteger(bytes) || bytes < 1024) throw new Error('must be at least 1024 bytes');
  return bytes;
}
