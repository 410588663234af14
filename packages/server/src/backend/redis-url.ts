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
