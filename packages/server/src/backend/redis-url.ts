/** Where and how to reach Redis, parsed from a `redis://`, `rediss://` or `unix://` URL. */
export interface RedisEndpoint {
  /** TCP host, or undefined for a unix socket. */
  host?: string;
  port?: number;
  /** Unix socket path. */
  path?: string;
  tls: boolean;
  username?: string;
  password?: string;
  db: number;
}

/**
 * Parses a Redis URL.
 *
 * @example
 * parseRedisUrl('redis://user:pass@127.0.0.1:6380/2')
 * parseRedisUrl('rediss://redis.example.com')        // TLS, port 6379
 * parseRedisUrl('unix:///run/redis.sock?db=1')
 * parseRedisUrl('/run/redis.sock')                    // a bare path is a unix socket
 */
export function parseRedisUrl(text: string): RedisEndpoint {
  if (text.startsWith('/')) return { path: text, tls: false, db: 0 };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(
      `"${redact(text)}" is not a URL: use redis://host:port, rediss://host:port or unix:///path`,
    );
  }
  const username = url.username ? decodeURIComponent(url.username) : undefined;
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  const dbParam = url.searchParams.get('db');
  if (url.protocol === 'unix:' || url.protocol === 'redis+unix:') {
    if (!url.pathname) throw new Error('a unix socket URL needs a path: unix:///path/to/redis.sock');
    return {
      path: decodeURIComponent(url.pathname),
      tls: false,
      db: parseDb(dbParam ?? '0'),
      username,
      password,
    };
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new Error(
      `unsupported scheme "${url.protocol}" in the Redis URL: use redis://, rediss:// or unix://`,
    );
  }
  const dbPath = url.pathname.replace(/^\//, '');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new Error('the Redis URL has no host');
  const port = url.port ? Number(url.port) : 6379;
  return {
    host,
    port,
    tls: url.protocol === 'rediss:',
    username,
    password,
    db: parseDb(dbPath || dbParam || '0'),
  };
}

function parseDb(text: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`"${text}" is not a database number`);
  return Number(text);
}

/** The URL with its password masked, for log lines and error messages. */
export function redact(text: string): string {
  return text.replace(/\/\/([^:@/]*):([^@/]*)@/, '//$1:***@');
}

/** A short, password-free description of an endpoint for logs. */
export function describeEndpoint(endpoint: RedisEndpoint): string {
  if (endpoint.path) return `unix:${endpoint.path}`;
  const host = endpoint.host!.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${endpoint.tls ? 'rediss' : 'redis'}://${host}:${endpoint.port}/${endpoint.db}`;
}

/** Parses the seed nodes of a Redis Cluster: TCP URLs on database 0. */
export function parseClusterSeeds(urls: readonly string[]): RedisEndpoint[] {
  if (urls.length === 0) throw new Error('a cluster needs at least one seed node URL');
  return urls.map((url) => {
    const endpoint = parseRedisUrl(url.includes('://') ? url : `redis://${url}`);
    if (endpoint.path)
      throw new Error(`cluster seed "${redact(url)}": use redis:// or rediss://, not a unix socket`);
    if (endpoint.db !== 0)
      throw new Error(`cluster seed "${redact(url)}": a Redis Cluster has only database 0`);
    return endpoint;
  });
}

/** Where Sentinel is asked for a master, and how to reach that master. */
export interface SentinelTarget {
  /** The Sentinels (`host:port`, or URLs with their own credentials or TLS). */
  sentinels: RedisEndpoint[];
  /** The master's name at the Sentinels. */
  name: string;
  /** Credentials, database and TLS of the master; its address comes from Sentinel. */
  master: RedisEndpoint;
}

/**
 * Parses a Sentinel setup. `master` is the monitored master's name, or a URL
 * with the name in place of the host for the master's credentials, database
 * and TLS: `redis://user:pass@mymaster/2`.
 *
 * @example
 * parseSentinel(['10.0.0.1:26379', '10.0.0.2:26379'], 'mymaster')
 * parseSentinel(['redis://:sentinel-pass@10.0.0.1:26379'], 'rediss://:pass@mymaster/1')
 */
export function parseSentinel(sentinels: readonly string[], master: string): SentinelTarget {
  if (sentinels.length === 0) throw new Error('Sentinel needs at least one sentinel address');
  const parsed = sentinels.map((entry) => {
    const endpoint = parseRedisUrl(entry.includes('://') ? entry : `redis://${entry}`);
    if (endpoint.path) throw new Error(`sentinel "${redact(entry)}": use host:port, not a unix socket`);
    if (endpoint.db !== 0) {
      throw new Error(
        `sentinel "${redact(entry)}": a Sentinel has no databases; put the master's database in the master URL`,
      );
    }
    if (!new URL(entry.includes('://') ? entry : `redis://${entry}`).port) {
      return { ...endpoint, port: 26379 };
    }
    return endpoint;
  });
  if (!master.includes('://')) {
    if (!/^[\w.:-]+$/.test(master)) throw new Error(`"${master}" is not a Sentinel master name`);
    return { sentinels: parsed, name: master, master: { host: master, port: 0, tls: false, db: 0 } };
  }
  const endpoint = parseRedisUrl(master);
  if (endpoint.path)
    throw new Error('the Sentinel master is named, not a unix socket: redis://user:pass@NAME/db');
  return { sentinels: parsed, name: endpoint.host!, master: { ...endpoint, port: 0 } };
}
