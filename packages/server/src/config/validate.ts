import { validateHeaderValue } from 'node:http';
import { parseClusterSeeds, parseRedisUrl, parseSentinel } from '../backend/redis-url.js';
import { commandList } from '../protocol/commands.js';
import { ConfigError, type DatabaseConfig, type ServerOptions } from './options.js';

/** An option of the server, or a field of one of its databases. */
export type OptionKey = keyof ServerOptions | keyof DatabaseConfig;

/** The options that each name a Redis to front; at most one may be given. */
export type TargetKey = 'redisUrl' | 'redisCluster' | 'sentinel';

/** Which database of a list an error is about. */
export interface DatabaseAt {
  index: number;
  id: string;
}

/**
 * How errors name what they are about. The rules are written once, here; each
 * caller names an option as its user wrote it: the library by the option, the
 * CLI by the flag and its variable, a databases file by the entry and its key.
 *
 * @example
 * checkServerOptions({ port: 70000 }, cliNaming); // "--port (RESTASH_PORT) must be …"
 */
export interface Naming {
  /** The subject of an error about `key` (of the database `at` in a list): `max connections`, `--max-connections (RESTASH_MAX_CONNECTIONS)`. */
  name(key: OptionKey, at?: DatabaseAt): string;
  /** How a sentence mentions `key` in passing: `a cluster`, `--redis-cluster`, `"cluster"`. */
  mention(key: OptionKey): string;
  /** Between a subject and what is wrong with its value: `port: must be …`, `--port (RESTASH_PORT) must be …`. */
  joint(at?: DatabaseAt): string;
  /** The error for more than one Redis to front. */
  oneTarget(given: TargetKey[], at?: DatabaseAt): string;
  /** The error for one of two options that go together given without the other. */
  together(a: OptionKey, b: OptionKey): string;
  /** The error for a value its parser refused, saying why. @default `${name}: ${reason}` */
  refused?(key: OptionKey, reason: string, at?: DatabaseAt): string;
}

/** The error for a value of `key` its parser refused. */
function refused(naming: Naming, key: OptionKey, reason: string, at?: DatabaseAt): ConfigError {
  return new ConfigError(naming.refused?.(key, reason, at) ?? `${naming.name(key, at)}: ${reason}`);
}

/** Tokens shorter than this can be guessed: refused by the CLI off loopback, logged for databases files. */
export const MIN_TOKEN_LENGTH = 16;

/** True for an address only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** The values `httpEngine` takes. */
export const HTTP_ENGINES = ['fast', 'node'] as const;

/** The values `appendfsync` takes. */
export const APPENDFSYNC = ['always', 'everysec', 'no'] as const;

const HOUR = 3_600_000;

/** The range of every whole-number option (ms, bytes or counts), whoever sets it. */
export const LIMITS = {
  port: { min: 0, max: 65535 },
  metricsPort: { min: 0, max: 65535 },
  maxRequestSize: { min: 1024, max: Number.POSITIVE_INFINITY },
  maxBufferedResponses: { min: 1024, max: Number.POSITIVE_INFINITY },
  sseMaxBuffer: { min: 1024, max: Number.POSITIVE_INFINITY },
  maxConnections: { min: 2, max: 1_000_000 },
  maxClients: { min: 1, max: 10_000_000 },
  maxClientsPerAddress: { min: 0, max: 10_000_000 },
  maxPipelineCommands: { min: 1, max: 100_000_000 },
  responseTimeout: { min: 1, max: HOUR },
  commandTimeout: { min: 1, max: HOUR },
  connectTimeout: { min: 1, max: HOUR },
  shutdownTimeout: { min: 0, max: HOUR },
  sseHeartbeat: { min: 1, max: HOUR },
  aclRecheck: { min: 0, max: HOUR },
  aclIdle: { min: 100, max: HOUR },
} as const satisfies Partial<Record<OptionKey, { min: number; max: number }>>;

/** What a whole-number option must be, for its error: `must be an integer from 0 to 65535`. */
export function integerRule(key: keyof typeof LIMITS): string {
  const { min, max } = LIMITS[key];
  return max === Number.POSITIVE_INFINITY
    ? `must be an integer ≥ ${min}`
    : `must be an integer from ${min} to ${max}`;
}

/**
 * Checks the server's options; `naming` says how errors name them. Everything
 * but the presence of the token: the CLI checks before it generates one,
 * `createServer` checks it too (see {@link checkServerOptions}).
 */
export function checkOptions(options: ServerOptions, naming: Naming): void {
  const wrong = (key: OptionKey, problem: string) =>
    new ConfigError(`${naming.name(key)}${naming.joint()}${problem}`);
  const multi = options.databases !== undefined || options.configFile !== undefined;
  if (options.databases !== undefined && options.configFile !== undefined) {
    throw wrong('databases', `give either ${naming.mention('configFile')} or a list of databases, not both`);
  }
  if (multi) {
    const list = naming.mention(options.configFile !== undefined ? 'configFile' : 'databases');
    for (const key of ['token', 'readOnlyToken', 'redisUrl', 'redisCluster', 'sentinel'] as const) {
      if (options[key] !== undefined) {
        throw new ConfigError(`${naming.name(key)} cannot be used with ${list}: set it per database`);
      }
    }
    if (options.databases) checkDatabases(options.databases, naming);
  } else {
    if (options.readOnlyToken !== undefined && options.readOnlyToken === options.token) {
      throw wrong('readOnlyToken', 'must differ from the standard token');
    }
    checkTarget(options, naming);
  }
  checkCommands(options, naming);
  checkAppendFsync(options.appendfsync, naming);
  for (const key of Object.keys(LIMITS) as (keyof typeof LIMITS)[]) {
    const value = options[key];
    const { min, max } = LIMITS[key];
    if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
      throw wrong(key, `${integerRule(key)}, got ${value}`);
    }
  }
  if (options.corsOrigin !== undefined) {
    try {
      validateHeaderValue('access-control-allow-origin', options.corsOrigin);
    } catch {
      throw refused(naming, 'corsOrigin', `not a valid header value: ${JSON.stringify(options.corsOrigin)}`);
    }
  }
  if (options.httpEngine !== undefined && !HTTP_ENGINES.includes(options.httpEngine)) {
    throw wrong(
      'httpEngine',
      `must be ${HTTP_ENGINES.join(' or ')}, got ${JSON.stringify(options.httpEngine)}`,
    );
  }
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    throw new ConfigError(naming.together('tlsCert', 'tlsKey'));
  }
  const { metricsToken } = options;
  if (metricsToken !== undefined) {
    if (metricsToken.length < MIN_TOKEN_LENGTH) {
      throw wrong('metricsToken', `must be at least ${MIN_TOKEN_LENGTH} characters long`);
    }
    if (metricsToken === options.token || metricsToken === options.readOnlyToken) {
      throw wrong('metricsToken', 'must differ from the data tokens');
    }
  }
}

/** {@link checkOptions}, and a single database has its token: what `createServer` runs. */
export function checkServerOptions(options: ServerOptions, naming: Naming): void {
  checkOptions(options, naming);
  if (options.databases === undefined && options.configFile === undefined && !options.token) {
    throw new ConfigError(`missing ${naming.name('token')}`);
  }
  if (options.configFile !== undefined && !options.readConfigFile) {
    throw new ConfigError(
      `${naming.name('configFile')}${naming.joint()}readConfigFile is required to read it`,
    );
  }
}

/**
 * The rules of a list of databases. Every database needs an id fit for a
 * directory name (its embedded Redis lives in `<dataDir>/<id>`) used once, and
 * tokens used once: a token given twice would silently open the first database only.
 */
export function checkDatabases(databases: readonly DatabaseConfig[], naming: Naming): void {
  const ids = new Set<string>();
  const tokens = new Set<string>();
  databases.forEach((config, index) => {
    const at = { index, id: config.id };
    const wrong = (key: OptionKey, problem: string) =>
      new ConfigError(`${naming.name(key, at)}${naming.joint(at)}${problem}`);
    if (typeof config.id !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(config.id) || /^\.+$/.test(config.id)) {
      throw wrong('id', 'may only use letters, digits, "_", "." and "-"');
    }
    if (ids.has(config.id)) throw wrong('id', 'is used twice');
    ids.add(config.id);
    for (const key of ['token', 'readOnlyToken'] as const) {
      const token = config[key];
      if (token === undefined && key === 'readOnlyToken') continue;
      if (typeof token !== 'string' || token === '') throw wrong(key, 'must be a non-empty string');
      if (tokens.has(token)) throw wrong(key, 'is already used by another token');
      tokens.add(token);
    }
    checkTarget(config, naming, { at });
    checkCommands(config, naming, at);
    checkAppendFsync(config.appendfsync, naming, at);
    if (
      config.appendfsync !== undefined &&
      (config.redisUrl !== undefined || config.redisCluster !== undefined || config.sentinel !== undefined)
    ) {
      throw wrong('appendfsync', 'applies to an embedded Redis only');
    }
    for (const key of ['maxRequestSize', 'maxConnections'] as const) {
      const value = config[key];
      const { min, max } = LIMITS[key];
      if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
        throw wrong(key, `${integerRule(key)}, got ${value}`);
      }
    }
  });
}

/** At most one of a Redis URL, a cluster and Sentinel, each well-formed. */
export function checkTarget(
  config: Pick<DatabaseConfig, TargetKey | 'readFromReplicas'>,
  naming: Naming,
  {
    at,
    given = (['redisUrl', 'redisCluster', 'sentinel'] as const).filter((key) => config[key] !== undefined),
  }: {
    /** The database of a list it is. */
    at?: DatabaseAt;
    /** The targets the user named, when not only the defined ones (a file names an embedded Redis as `"redis": "embedded"`). */
    given?: TargetKey[];
  } = {},
): void {
  if (given.length > 1) throw new ConfigError(naming.oneTarget(given, at));
  if (config.readFromReplicas && config.redisCluster === undefined) {
    throw new ConfigError(`${naming.name('readFromReplicas', at)} needs ${naming.mention('redisCluster')}`);
  }
  const check = (key: TargetKey, parse: () => unknown) => {
    try {
      parse();
    } catch (error) {
      throw refused(naming, key, (error as Error).message, at);
    }
  };
  const { redisUrl, redisCluster, sentinel } = config;
  if (redisUrl !== undefined) check('redisUrl', () => parseRedisUrl(redisUrl));
  if (redisCluster !== undefined) check('redisCluster', () => parseClusterSeeds(redisCluster));
  if (sentinel !== undefined) check('sentinel', () => parseSentinel(sentinel.sentinels, sentinel.master));
}

/** The allow and deny lists name commands, and allow nothing the REST API cannot run. */
function checkCommands(
  config: Pick<DatabaseConfig, 'allowCommands' | 'denyCommands'>,
  naming: Naming,
  at?: DatabaseAt,
): void {
  for (const key of ['allowCommands', 'denyCommands'] as const) {
    const list = config[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || !list.every((entry) => typeof entry === 'string')) {
      throw new ConfigError(`${naming.name(key, at)}${naming.joint(at)}must be a list of command names`);
    }
    try {
      commandList(list, key === 'allowCommands');
    } catch (error) {
      throw refused(naming, key, (error as Error).message, at);
    }
  }
}

function checkAppendFsync(value: unknown, naming: Naming, at?: DatabaseAt): void {
  if (value !== undefined && !(APPENDFSYNC as readonly unknown[]).includes(value)) {
    throw new ConfigError(
      `${naming.name('appendfsync', at)}${naming.joint(at)}must be always, everysec or no, got ${JSON.stringify(value)}`,
    );
  }
}

/**
 * The short tokens of a list of databases, each with the message for it: an
 * error when the server takes connections from other machines, else a warning.
 */
export function shortTokens(
  databases: readonly DatabaseConfig[],
  host: string,
): { database: string; message: string; severe: boolean }[] {
  const loopback = isLoopback(host);
  return databases.flatMap((config) =>
    (
      [
        ['token', config.token],
        ['readOnlyToken', config.readOnlyToken],
      ] as const
    )
      .filter(([, token]) => token !== undefined && token.length < MIN_TOKEN_LENGTH)
      .map(([what, token]) => ({
        database: config.id,
        message: `database "${config.id}": its ${what} is ${token!.length} characters long: a token shorter than ${MIN_TOKEN_LENGTH} can be guessed${loopback ? '' : `, and the server listens on ${host}`}`,
        severe: !loopback,
      })),
  );
}

/** What the library's errors call each option (the CLI adds it where a flag does not say it). */
export const LABELS: Partial<Record<OptionKey, string>> = {
  id: 'database id',
  token: 'token',
  readOnlyToken: 'read-only token',
  redisUrl: 'redis URL',
  redisCluster: 'redis cluster',
  readFromReplicas: 'reading from replicas',
  sentinel: 'sentinel',
  databases: 'databases',
  configFile: 'config file',
  port: 'port',
  metricsPort: 'metrics port',
  metricsToken: 'metrics token',
  maxRequestSize: 'max request size',
  maxBufferedResponses: 'max buffered responses',
  sseMaxBuffer: 'SSE max buffer',
  maxConnections: 'max connections',
  maxClients: 'max clients',
  maxClientsPerAddress: 'max clients per address',
  maxPipelineCommands: 'max pipeline commands',
  responseTimeout: 'response timeout',
  commandTimeout: 'command timeout',
  connectTimeout: 'connect timeout',
  shutdownTimeout: 'shutdown timeout',
  sseHeartbeat: 'SSE heartbeat',
  aclRecheck: 'ACL recheck',
  aclIdle: 'ACL idle',
  corsOrigin: 'CORS origin',
  allowCommands: 'allow commands',
  denyCommands: 'deny commands',
  appendfsync: 'appendfsync',
};

const LIBRARY_MENTIONS: Partial<Record<OptionKey, string>> = {
  redisUrl: 'a Redis URL',
  redisCluster: 'a cluster',
  sentinel: 'Sentinel',
  configFile: 'a config file',
  databases: 'a list of databases',
};

/**
 * How `createServer`'s errors name options: `max request size: must be …`;
 * a database of a list by its id, after `where` (`databases`, `config file …`).
 */
export function optionNaming(where = 'databases'): Naming {
  const label = (key: OptionKey) => LABELS[key] ?? key;
  const database = (at: DatabaseAt) => `${where}: database ${JSON.stringify(at.id)}`;
  return {
    name: (key, at) => {
      if (!at) return label(key);
      if (key === 'id') return `${where}: database id ${JSON.stringify(at.id)}`;
      // Which of a database's tokens is not said: a token is a secret, and both are "a token".
      if (key === 'token' || key === 'readOnlyToken') return `${database(at)}: a token`;
      return `${database(at)}: ${label(key)}`;
    },
    mention: (key) => LIBRARY_MENTIONS[key] ?? label(key),
    joint: (at) => (at ? ' ' : ': '),
    oneTarget: (given, at) =>
      `${at ? `${database(at)}: ` : ''}give only one of ${given.map((key) => LIBRARY_MENTIONS[key]).join(', ')}`,
    together: (a, b) =>
      a === 'tlsCert' && b === 'tlsKey'
        ? 'TLS: give both a certificate (--tls-cert) and its key (--tls-key)'
        : `${label(a)} and ${label(b)}: give both`,
  };
}
