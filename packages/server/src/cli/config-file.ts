import { readFileSync } from 'node:fs';
import { parseRedisUrl } from '../backend/redis-url.js';
import { ConfigError, type DatabaseConfig } from '../server.js';
import { parseSize } from './size.js';

/**
 * Reads a databases file: one server fronting many Redis databases, each with
 * its own tokens and limits.
 *
 * @example
 * {
 *   "databases": [
 *     { "id": "shop", "redis": "redis://10.0.0.5:6379/0", "token": "…", "readOnlyToken": "…",
 *       "maxRequestSize": "1mb", "maxConnections": 50 },
 *     { "id": "demo", "redis": "embedded", "token": "…" }
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
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${path}: not valid JSON: ${(error as Error).message}`);
  }
  return parseDatabases(json, `config file ${path}`);
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
    const known = new Set(['id', 'redis', 'token', 'readOnlyToken', 'maxRequestSize', 'maxConnections']);
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
    const redis = text('redis', true)!;
    if (redis !== 'embedded') {
      try {
        parseRedisUrl(redis);
      } catch (error) {
        throw new ConfigError(`${at}.redis: ${(error as Error).message}`);
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
    configs.push({
      id,
      redisUrl: redis === 'embedded' ? undefined : redis,
      token,
      readOnlyToken,
      maxRequestSize,
      maxConnections,
    });
  });
  return configs;
}

function checkSize(bytes: number): number {
  if (!Number.isInteger(bytes) || bytes < 1024) throw new Error('must be at least 1024 bytes');
  return bytes;
}
