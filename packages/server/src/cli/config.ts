import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LOG_LEVELS, type LogLevel } from '../log.js';
import { ConfigError, type ServerOptions } from '../server.js';
import { readDatabasesFile } from './config-file.js';
import { parseSize } from './size.js';

interface Flag {
  env: string;
  help: string;
  value?: string;
}

/** Every flag, with the environment variable that sets it too. */
export const FLAGS: Record<string, Flag> = {
  port: { env: 'RESTASH_PORT', value: '8079', help: 'port to listen on (0 = any free port)' },
  host: { env: 'RESTASH_HOST', value: '127.0.0.1', help: 'address to listen on (0.0.0.0 for all)' },
  redis: {
    env: 'RESTASH_REDIS_URL',
    help: 'Redis to front: redis://[user:pass@]host:port[/db], rediss://… (TLS), unix:///path.sock.\nWithout it, an embedded redis-server is started with its data in --data-dir',
  },
  'redis-tls-ca': {
    env: 'RESTASH_REDIS_TLS_CA',
    help: 'PEM file of CA certificates to trust for a rediss:// Redis (besides the system ones)',
  },
  token: {
    env: 'RESTASH_TOKEN',
    help: 'standard token (all commands). Without it, one is generated and kept in --data-dir',
  },
  'read-only-token': {
    env: 'RESTASH_READ_ONLY_TOKEN',
    help: 'read-only token (read commands only, no KEYS/SCAN)',
  },
  config: {
    env: 'RESTASH_CONFIG',
    help: 'JSON file mapping tokens to many databases (instead of --redis/--token);\nreloaded on SIGHUP',
  },
  secret: {
    env: 'RESTASH_SECRET',
    help: 'secret sealing ACL RESTTOKEN tokens; give every instance the same one.\nWithout it, one is generated and kept in --data-dir',
  },
  'data-dir': {
    env: 'RESTASH_DATA_DIR',
    value: './.restash',
    help: 'data of the embedded Redis, and the generated token',
  },
  'max-request-size': {
    env: 'RESTASH_MAX_REQUEST_SIZE',
    value: '10mb',
    help: 'largest request and response body (bytes, or with kb/mb)',
  },
  'command-timeout': {
    env: 'RESTASH_COMMAND_TIMEOUT',
    value: '10000',
    help: 'ms to wait for Redis before a 504',
  },
  'max-connections': {
    env: 'RESTASH_MAX_CONNECTIONS',
    value: '100',
    help: 'most Redis connections per database (shared + streams + ACL users)',
  },
  'sse-heartbeat': {
    env: 'RESTASH_SSE_HEARTBEAT',
    value: '15000',
    help: 'ms between SSE keep-alive comments',
  },
  'sse-max-buffer': {
    env: 'RESTASH_SSE_MAX_BUFFER',
    value: '1mb',
    help: 'bytes that may wait for a slow SSE reader before its stream is closed',
  },
  'cors-origin': { env: 'RESTASH_CORS_ORIGIN', value: '*', help: 'Access-Control-Allow-Origin value' },
  'log-level': { env: 'RESTASH_LOG_LEVEL', value: 'info', help: LOG_LEVELS.join(' | ') },
  'redis-server-bin': {
    env: 'RESTASH_REDIS_SERVER_BIN',
    value: 'redis-server',
    help: 'redis-server binary for the embedded Redis',
  },
};

/** The resolved configuration, plus whether the token was generated (and so should be printed). */
export interface CliConfig {
  options: ServerOptions & { port: number; host: string; dataDir: string };
  tokenGenerated: boolean;
  help: boolean;
}

/**
 * Resolves flags and environment variables (flags win) into server options.
 * Throws a `ConfigError` that names the flag and its variable.
 */
export function resolveConfig(argv: string[], env: NodeJS.ProcessEnv): CliConfig {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        ...Object.fromEntries(Object.keys(FLAGS).map((name) => [name, { type: 'string' as const }])),
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ConfigError(`${(error as Error).message} (see --help)`);
  }
  if (values.help) {
    return { options: {} as CliConfig['options'], tokenGenerated: false, help: true };
  }
  const get = (name: string): string | undefined => {
    const flag = FLAGS[name]!;
    const value = (values[name] as string | undefined) ?? env[flag.env];
    if (value === '') throw new ConfigError(`--${name} (${flag.env}) is empty`);
    return value ?? flag.value;
  };
  const integer = (name: string, min: number, max: number): number => {
    const text = get(name)!;
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      throw new ConfigError(
        `--${name} (${FLAGS[name]!.env}) must be an integer from ${min} to ${max}, got "${text}"`,
      );
    }
    return value;
  };
  const size = (name: string): number => {
    try {
      return parseSize(get(name)!);
    } catch (error) {
      throw new ConfigError(`--${name} (${FLAGS[name]!.env}) ${(error as Error).message}`);
    }
  };
  const logLevel = get('log-level') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(
      `--log-level (RESTASH_LOG_LEVEL) must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`,
    );
  }
  const dataDir = get('data-dir')!;
  const configFile = get('config');
  let token = get('token');
  const readOnlyToken = get('read-only-token');
  let tokenGenerated = false;
  if (configFile !== undefined) {
    for (const name of ['token', 'read-only-token', 'redis']) {
      if (get(name) !== undefined) {
        throw new ConfigError(
          `--${name} (${FLAGS[name]!.env}) cannot be used with --config: set it per database in the file`,
        );
      }
    }
    readDatabasesFile(configFile);
  } else if (token === undefined) {
    ({ token, generated: tokenGenerated } = loadOrCreateSecret(dataDir, 'token'));
  }
  const secret = get('secret') ?? loadOrCreateSecret(dataDir, 'secret').token;
  const caFile = get('redis-tls-ca');
  let redisTlsCa: string | undefined;
  if (caFile !== undefined) {
    try {
      redisTlsCa = readFileSync(caFile, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `--redis-tls-ca (RESTASH_REDIS_TLS_CA): cannot read "${caFile}": ${(error as Error).message}`,
      );
    }
  }
  if (readOnlyToken !== undefined && readOnlyToken === token) {
    throw new ConfigError('--read-only-token (RESTASH_READ_ONLY_TOKEN) must differ from the standard token');
  }
  return {
    options: {
      port: integer('port', 0, 65535),
      host: get('host')!,
      redisUrl: get('redis'),
      redisTlsCa,
      token,
      readOnlyToken,
      configFile,
      readConfigFile: configFile === undefined ? undefined : readDatabasesFile,
      secret,
      maxConnections: integer('max-connections', 2, 1_000_000),
      sseHeartbeat: integer('sse-heartbeat', 1, 3_600_000),
      sseMaxBuffer: size('sse-max-buffer'),
      dataDir,
      maxRequestSize: size('max-request-size'),
      commandTimeout: integer('command-timeout', 1, 3_600_000),
      corsOrigin: get('cors-origin')!,
      logLevel,
      redisServerBin: get('redis-server-bin')!,
    },
    tokenGenerated,
    help: false,
  };
}

/** Reads a generated token or secret from the data directory, or creates one (mode 0600). */
function loadOrCreateSecret(
  dataDir: string,
  name: 'token' | 'secret',
): { token: string; generated: boolean } {
  const file = join(dataDir, name);
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (token) return { token, generated: true };
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, generated: true };
}

/** The text of `--help`. */
export function helpText(): string {
  const lines = [
    'restash-server — the Upstash Redis REST API in front of your own Redis',
    '',
    'Usage: restash-server [options]',
    '',
    'Options (each also as an environment variable):',
  ];
  for (const [name, flag] of Object.entries(FLAGS)) {
    const [first, ...rest] = flag.help.split('\n');
    const def = flag.value ? ` [default: ${flag.value}]` : '';
    lines.push(`${`  --${name} <value>`.padEnd(30)}${flag.env}`);
    lines.push(`      ${first}${def}`);
    for (const line of rest) lines.push(`      ${line}`);
  }
  lines.push('  -h, --help', '      show this help');
  lines.push(
    '',
    'Health check (no token): GET /-/health → 200 {"status":"ok"} or 503.',
    'Signals: SIGTERM/SIGINT answer requests in flight, then exit.',
  );
  return lines.join('\n');
}
