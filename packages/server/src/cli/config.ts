import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LOG_LEVELS, type LogLevel } from '../log.js';
import { ConfigError, type ServerOptions } from '../server.js';

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
  const logLevel = get('log-level') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(
      `--log-level (RESTASH_LOG_LEVEL) must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`,
    );
  }
  const dataDir = get('data-dir')!;
  let token = get('token');
  let tokenGenerated = false;
  if (token === undefined) {
    ({ token, generated: tokenGenerated } = loadOrCreateToken(dataDir));
  }
  const readOnlyToken = get('read-only-token');
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
      dataDir,
      maxRequestSize: parseSize(get('max-request-size')!),
      commandTimeout: integer('command-timeout', 1, 3_600_000),
      corsOrigin: get('cors-origin')!,
      logLevel,
      redisServerBin: get('redis-server-bin')!,
    },
    tokenGenerated,
    help: false,
  };
}

/** Parses `10485760`, `512kb`, `10mb`, `1gb` into bytes. */
export function parseSize(text: string): number {
  const match = /^(\d+)\s*(b|kb|k|mb|m|gb|g)?$/i.exec(text.trim());
  if (!match) {
    throw new ConfigError(
      `--max-request-size (RESTASH_MAX_REQUEST_SIZE) must be bytes or a size like 512kb or 10mb, got "${text}"`,
    );
  }
  const unit = (match[2] ?? 'b').toLowerCase()[0];
  const factor = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  const bytes = Number(match[1]) * factor;
  if (bytes < 1024)
    throw new ConfigError(`--max-request-size (RESTASH_MAX_REQUEST_SIZE) must be at least 1kb`);
  return bytes;
}

/** Reads the generated token from the data directory, or creates one (mode 0600). */
function loadOrCreateToken(dataDir: string): { token: string; generated: boolean } {
  const file = join(dataDir, 'token');
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
