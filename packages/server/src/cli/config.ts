import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, type ServerOptions } from '../config/options.js';
import {
  checkOptions,
  integerRule,
  isLoopback,
  LABELS,
  type LIMITS,
  MIN_TOKEN_LENGTH,
  type Naming,
  type OptionKey,
} from '../config/validate.js';
import type { AppendFsync } from '../embedded/redis-process.js';
import { LOG_LEVELS, type LogLevel } from '../log.js';
import { readDatabasesFile } from './config-file.js';
import { parseSize } from './size.js';

interface Flag {
  env: string;
  help: string;
  value?: string;
  /** A switch without a value; its variable takes true/false, 1/0, yes/no. */
  boolean?: true;
}

/** Every flag, with the environment variable that sets it too. */
export const FLAGS: Record<string, Flag> = {
  port: { env: 'RESTASH_PORT', value: '8079', help: 'port to listen on (0 = any free port)' },
  host: { env: 'RESTASH_HOST', value: '127.0.0.1', help: 'address to listen on (0.0.0.0 for all)' },
  redis: {
    env: 'RESTASH_REDIS_URL',
    help: 'Redis to front: redis://[user:pass@]host:port[/db], rediss://… (TLS), unix:///path.sock.\nWithout it, an embedded redis-server is started with its data in --data-dir',
  },
  'redis-cluster': {
    env: 'RESTASH_REDIS_CLUSTER',
    help: "Redis Cluster seed nodes instead of --redis: comma-separated redis://[user:pass@]host:port\n(or host:port). The topology is learned from them; the first one's credentials and TLS apply to every node",
  },
  'read-from-replicas': {
    env: 'RESTASH_READ_FROM_REPLICAS',
    boolean: true,
    help: 'with --redis-cluster: read-only tokens read from replicas (which may lag behind their master)',
  },
  sentinel: {
    env: 'RESTASH_SENTINEL',
    help: 'Sentinels instead of --redis: comma-separated host:port (port 26379 if left out)\nor redis://[user:pass@]host:port; needs --sentinel-master',
  },
  'sentinel-master': {
    env: 'RESTASH_SENTINEL_MASTER',
    help: "the master's name at the Sentinels, or redis://[user:pass@]NAME[/db] (rediss:// for TLS)\nfor its credentials and database",
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
    help: 'JSON or YAML (.yaml/.yml) file mapping tokens to many databases (instead of --redis/--token);\nreloaded on SIGHUP',
  },
  secret: {
    env: 'RESTASH_SECRET',
    help: 'secret sealing ACL RESTTOKEN tokens; give every instance the same one.\nWithout it, one is generated and kept in --data-dir',
  },
  'data-dir': {
    env: 'RESTASH_DATA_DIR',
    value: './.restash',
    help: 'data of the embedded Redis, and the generated token and secret',
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
  'max-clients': {
    env: 'RESTASH_MAX_CLIENTS',
    help: 'most HTTP connections open at once; beyond it a JSON 503 [default: the open-file limit less 200]',
  },
  'max-clients-per-address': {
    env: 'RESTASH_MAX_CLIENTS_PER_ADDRESS',
    value: '0',
    help: 'most HTTP connections from one client address (0: no cap; leave it off behind a proxy)',
  },
  'max-pipeline-commands': {
    env: 'RESTASH_MAX_PIPELINE_COMMANDS',
    value: '10000',
    help: 'most commands in one /pipeline or /multi-exec (413 beyond, nothing runs)',
  },
  'max-buffered-responses': {
    env: 'RESTASH_MAX_BUFFERED_RESPONSES',
    value: '256mb',
    help: 'response bytes that may wait, in all, for clients that read slowly;\nbeyond it, answers over 64 KiB are a 503',
  },
  'response-timeout': {
    env: 'RESTASH_RESPONSE_TIMEOUT',
    value: '60000',
    help: 'ms a client may take to read a response before its connection is closed',
  },
  'allow-commands': {
    env: 'RESTASH_ALLOW_COMMANDS',
    help: 'server-administration commands to allow after all, comma-separated NAME or NAME|SUB\n(e.g. CONFIG|GET,SLOWLOG); every command Redis flags @admin, and MIGRATE, is refused by default',
  },
  'deny-commands': {
    env: 'RESTASH_DENY_COMMANDS',
    help: 'commands to refuse to every token, comma-separated NAME or NAME|SUB (e.g. EVAL,FLUSHALL)',
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
  'http-engine': {
    env: 'RESTASH_HTTP_ENGINE',
    value: 'fast',
    help: "fast: the API's own requests are read straight from the socket, anything else by node:http\n(on the same connection); node: everything on node:http",
  },
  'log-requests': {
    env: 'RESTASH_LOG_REQUESTS',
    boolean: true,
    help: 'one info line per request: id, method, route, command name, pipeline length, status, ms,\nclient address (never values or tokens)',
  },
  'tls-cert': {
    env: 'RESTASH_TLS_CERT',
    help: 'PEM certificate (chain) file: serve HTTPS instead of HTTP (needs --tls-key);\nread again on SIGHUP, so a renewed certificate applies without a restart',
  },
  'tls-key': { env: 'RESTASH_TLS_KEY', help: 'PEM private key file of --tls-cert' },
  'metrics-token': {
    env: 'RESTASH_METRICS_TOKEN',
    help: 'serve Prometheus metrics at GET /-/metrics to this bearer token (16 characters or more)',
  },
  'metrics-port': {
    env: 'RESTASH_METRICS_PORT',
    help: 'serve GET /-/metrics on a listener of its own on this port (no token unless --metrics-token)',
  },
  'metrics-host': {
    env: 'RESTASH_METRICS_HOST',
    value: '127.0.0.1',
    help: 'address of the --metrics-port listener',
  },
  appendfsync: {
    env: 'RESTASH_APPENDFSYNC',
    value: 'everysec',
    help: 'embedded Redis: when writes reach the disk. everysec may lose the last second of\nacknowledged writes on a power cut; always loses none, at a cost in write speed (no: the OS decides)',
  },
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
  /** Problems that do not stop the server, to print before it starts. */
  warnings: string[];
  help: boolean;
  version: boolean;
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
        ...Object.fromEntries(
          Object.entries(FLAGS).map(([name, flag]) => [
            name,
            { type: flag.boolean ? ('boolean' as const) : ('string' as const) },
          ]),
        ),
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ConfigError(`${(error as Error).message} (see --help)`);
  }
  if (values.help || values.version) {
    return {
      options: {} as CliConfig['options'],
      tokenGenerated: false,
      warnings: [],
      help: values.help === true,
      version: values.version === true,
    };
  }
  const get = (name: string): string | undefined => {
    const flag = FLAGS[name]!;
    const value = (values[name] as string | undefined) ?? env[flag.env];
    if (value === '') throw new ConfigError(`--${name} (${flag.env}) is empty`);
    return value ?? flag.value;
  };
  const on = (name: string): boolean => {
    if (values[name] === true) return true;
    const flag = FLAGS[name]!;
    const text = env[flag.env];
    if (text === undefined || text === '') return false;
    if (/^(true|1|yes)$/i.test(text)) return true;
    if (/^(false|0|no)$/i.test(text)) return false;
    throw new ConfigError(`${flag.env} must be true or false, got "${text}"`);
  };
  const list = (name: string): string[] | undefined => {
    const text = get(name);
    if (text === undefined) return undefined;
    const items = text.split(',').map((item) => item.trim());
    if (items.some((item) => item === '')) {
      throw new ConfigError(`--${name} (${FLAGS[name]!.env}) has an empty entry: "${text}"`);
    }
    return items;
  };
  /** A whole number; its range is checked with the other options. */
  const integer = (key: keyof typeof LIMITS): number => {
    const name = flagOf(key);
    const text = get(name)!;
    if (!/^\d+$/.test(text)) {
      throw new ConfigError(`--${name} (${FLAGS[name]!.env}) ${integerRule(key)}, got "${text}"`);
    }
    return Number(text);
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
  // Absolute, so that every message names the directory whatever the working directory was.
  const dataDir = resolve(get('data-dir')!);
  const configFile = get('config');
  const redisCluster = list('redis-cluster');
  const readFromReplicas = on('read-from-replicas');
  const sentinels = list('sentinel');
  const sentinelMaster = get('sentinel-master');
  if ((sentinels === undefined) !== (sentinelMaster === undefined)) {
    throw new ConfigError(
      '--sentinel (RESTASH_SENTINEL) and --sentinel-master (RESTASH_SENTINEL_MASTER) go together',
    );
  }
  const options: CliConfig['options'] = {
    port: integer('port'),
    host: get('host')!,
    tlsCert: get('tls-cert'),
    tlsKey: get('tls-key'),
    metricsToken: get('metrics-token'),
    metricsPort: get('metrics-port') === undefined ? undefined : integer('metricsPort'),
    metricsHost: get('metrics-host')!,
    logRequests: on('log-requests'),
    httpEngine: get('http-engine') as ServerOptions['httpEngine'],
    redisUrl: get('redis'),
    redisCluster,
    readFromReplicas: redisCluster !== undefined || readFromReplicas ? readFromReplicas : undefined,
    sentinel: sentinels && { sentinels, master: sentinelMaster! },
    token: get('token'),
    readOnlyToken: get('read-only-token'),
    configFile,
    readConfigFile: configFile === undefined ? undefined : readDatabasesFile,
    maxConnections: integer('maxConnections'),
    maxClients: get('max-clients') === undefined ? undefined : integer('maxClients'),
    maxClientsPerAddress: integer('maxClientsPerAddress'),
    maxPipelineCommands: integer('maxPipelineCommands'),
    maxBufferedResponses: size('max-buffered-responses'),
    responseTimeout: integer('responseTimeout'),
    allowCommands: list('allow-commands'),
    denyCommands: list('deny-commands'),
    sseHeartbeat: integer('sseHeartbeat'),
    sseMaxBuffer: size('sse-max-buffer'),
    dataDir,
    maxRequestSize: size('max-request-size'),
    commandTimeout: integer('commandTimeout'),
    corsOrigin: get('cors-origin')!,
    logLevel,
    redisServerBin: get('redis-server-bin')!,
    appendfsync: get('appendfsync') as AppendFsync,
  };
  // The server's rules, named as flags; before anything is written to the data directory.
  checkOptions(options, cliNaming);
  let tokenGenerated = false;
  if (configFile !== undefined) {
    readDatabasesFile(configFile);
  } else if (options.token === undefined) {
    try {
      ({ token: options.token, generated: tokenGenerated } = loadOrCreateSecret(dataDir, 'token'));
    } catch (error) {
      throw new ConfigError(
        `--data-dir (RESTASH_DATA_DIR): cannot keep a generated token in "${dataDir}": ${(error as Error).message}. Give a writable directory, or --token (RESTASH_TOKEN)`,
      );
    }
  }
  const warnings: string[] = [];
  options.secret = get('secret');
  if (options.secret === undefined) {
    try {
      options.secret = loadOrCreateSecret(dataDir, 'secret').token;
    } catch (error) {
      // A read-only filesystem (a container) is fine: ACL tokens then last as long as this process.
      options.secret = randomBytes(32).toString('base64url');
      warnings.push(
        `--data-dir (RESTASH_DATA_DIR): cannot keep the ACL token secret in "${dataDir}" (${(error as Error).message}); using one for this process only: ACL RESTTOKEN tokens will not survive a restart. Give --secret (RESTASH_SECRET) to keep them`,
      );
    }
  }
  const caFile = get('redis-tls-ca');
  if (caFile !== undefined) {
    try {
      options.redisTlsCa = readFileSync(caFile, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `--redis-tls-ca (RESTASH_REDIS_TLS_CA): cannot read "${caFile}": ${(error as Error).message}`,
      );
    }
  }
  const { host } = options;
  for (const [name, value] of [
    ['token', tokenGenerated ? undefined : options.token],
    ['read-only-token', options.readOnlyToken],
  ] as const) {
    if (value === undefined || value.length >= MIN_TOKEN_LENGTH) continue;
    const what = `--${name} (${FLAGS[name]!.env}) is ${value.length} characters long: a token shorter than ${MIN_TOKEN_LENGTH} can be guessed`;
    if (!isLoopback(host)) {
      throw new ConfigError(
        `${what}, and --host ${host} takes connections from other machines. Give a longer token (openssl rand -base64 32)`,
      );
    }
    warnings.push(`${what}; fine on ${host} for a test, never on a network`);
  }
  return { options, tokenGenerated, warnings, help: false, version: false };
}

/** The flag of an option: its name in kebab case, but for a few. */
function flagOf(key: OptionKey): string {
  if (key === 'redisUrl') return 'redis';
  if (key === 'configFile') return 'config';
  return key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** How the CLI's errors name options: by flag and variable, `--max-connections (RESTASH_MAX_CONNECTIONS)`. */
export const cliNaming: Naming = {
  name: (key) => {
    const flag = flagOf(key);
    const env = FLAGS[flag]?.env;
    return env ? `--${flag} (${env})` : `--${flag}`;
  },
  mention: (key) => `--${flagOf(key)}`,
  joint: () => ' ',
  oneTarget: (given) =>
    `${given.map((key) => `--${flagOf(key)}`).join(' and ')}: give only one Redis to front`,
  together: (a, b) => `${cliNaming.name(a)} and ${cliNaming.name(b)} go together`,
  // `--redis (RESTASH_REDIS_URL) is not a valid redis URL: …`: the flag, and what it should have been.
  refused: (key, reason) =>
    key === 'redisUrl' || key === 'redisCluster' || key === 'sentinel'
      ? `${cliNaming.name(key)} is not a valid ${LABELS[key]}: ${reason}`
      : `${cliNaming.name(key)}: ${reason}`,
};

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
  const usage = (name: string, flag: Flag) => `  --${name}${flag.boolean ? '' : ' <value>'}`;
  const width = Math.max(...Object.entries(FLAGS).map(([name, flag]) => usage(name, flag).length)) + 2;
  for (const [name, flag] of Object.entries(FLAGS)) {
    const [first, ...rest] = flag.help.split('\n');
    const def = flag.value ? ` [default: ${flag.value}]` : '';
    lines.push(`${usage(name, flag).padEnd(width)}${flag.env}`);
    lines.push(`      ${first}${def}`);
    for (const line of rest) lines.push(`      ${line}`);
  }
  lines.push('  -h, --help', '      show this help', '  -v, --version', '      print the version');
  lines.push(
    '',
    'Without a token: GET /-/health (the process is up: 200), GET /-/ready[?db=ID] (Redis answers: 200,',
    'else 503), GET /-/version. GET /-/metrics needs --metrics-token or --metrics-port.',
    'Signals: SIGTERM/SIGINT answer requests in flight, then exit; SIGHUP reloads --config and TLS files.',
  );
  return lines.join('\n');
}
