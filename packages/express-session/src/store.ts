import session, { type SessionData } from 'express-session';
import { type Backend, backendOf, isTransportError, type RestashStoreClient } from './client.js';
import { RestashSessionError } from './errors.js';

/** Turns sessions into stored strings and back; `parse` may be async. */
export interface Serializer {
  parse(text: string): unknown;
  stringify(session: SessionData): string;
}

/** Options of {@link RestashStore}. */
export interface RestashStoreOptions {
  /**
   * A `@restash/core` `Redis` (exact values whatever its `automaticDeserialization`)
   * or an `@upstash/redis` `Redis`.
   */
  client: RestashStoreClient;
  /** Key prefix; a session is stored at `prefix + sid`. @default 'sess:' */
  prefix?: string;
  /**
   * Seconds a session lives when its cookie has no `expires` (fractions allowed), or a
   * function of the session that always decides. @default 86400
   */
  ttl?: number | ((session: SessionData) => number);
  /** Store sessions without an expiry in Redis (the cookie's `expires` is still checked on read). @default false */
  disableTTL?: boolean;
  /** Never extend a session's expiry on `touch`. @default false */
  disableTouch?: boolean;
  /**
   * Seconds: skip a touch when it would push the expiry back by less than this.
   * Saves one request on most requests, at the price of an expiry up to this much
   * earlier than the cookie's. @default 0
   */
  touchAfter?: number;
  /** Touch rewrites the stored session, so its `cookie.expires` follows the expiry. @default false */
  rewriteCookieOnTouch?: boolean;
  /** How sessions are stored. @default JSON */
  serializer?: Serializer;
  /** SCAN `COUNT` hint for `all`, `ids`, `length` and `clear`. @default 100 */
  scanCount?: number;
  /** Milliseconds between health checks while disconnected. @default 1000 */
  healthCheckInterval?: number;
  /** Where the store reports corrupt values (once per store). @default console */
  logger?: { warn(message: string): void };
}

type Callback<T> = (error: unknown, value?: T) => void;

/** Most recently loaded sessions remembered for the `set`/`touch` that follow their `get`. */
const MAX_LOADED = 10_000;

/**
 * An express-session store over the Upstash-compatible REST API — a drop-in
 * for connect-redis that works wherever `fetch` works. Every method takes an
 * optional callback and returns a Promise.
 *
 * @example
 * import session from 'express-session';
 * import { Redis } from '@restash/core';
 * import { RestashStore } from '@restash/express-session';
 *
 * app.use(session({
 *   store: new RestashStore({ client: Redis.fromEnv() }),
 *   secret: process.env.SESSION_SECRET!,
 *   resave: false,
 *   saveUninitialized: false,
 * }));
 */
export class RestashStore extends session.Store {
  /** The key prefix. */
  readonly prefix: string;
  private readonly backend: Backend;
  private readonly ttl: number | ((session: SessionData) => number);
  private readonly disableTTL: boolean;
  private readonly disableTouch: boolean;
  private readonly touchAfter: number;
  private readonly rewriteCookieOnTouch: boolean;
  private readonly serializer: Serializer;
  private readonly scanCount: number;
  private readonly healthCheckInterval: number;
  private readonly logger: { warn(message: string): void };
  private readonly match: string;
  /**
   * Sessions `get` found, most recent last, with when their key expires (ms since
   * the epoch, for `touchAfter`; `undefined` when not read).
   */
  private readonly loaded = new Map<string, number | undefined>();
  private warnedCorrupt = false;
  private connected = true;
  private healthCheck: ReturnType<typeof setTimeout> | undefined;

  constructor(options: RestashStoreOptions) {
    super();
    if (options === null || typeof options !== 'object') {
      throw new RestashSessionError('config', 'new RestashStore(options): pass { client }');
    }
    const { client } = options;
    const methods = ['get', 'set', 'pexpire', 'pttl', 'del', 'mget', 'scan', 'ping'] as const;
    const missing = methods.filter(
      (name) => typeof (client as unknown as Record<string, unknown>)?.[name] !== 'function',
    );
    if (missing.length > 0) {
      throw new RestashSessionError(
        'config',
        `client: pass a @restash/core or @upstash/redis Redis (missing ${missing.join(', ')})`,
      );
    }
    this.backend = backendOf(client);
    this.prefix = options.prefix ?? 'sess:';
    if (typeof this.prefix !== 'string') throw new RestashSessionError('config', 'prefix: must be a string');
    this.ttl = options.ttl ?? 86_400;
    if (typeof this.ttl !== 'function' && !(Number.isFinite(this.ttl) && this.ttl > 0)) {
      throw new RestashSessionError(
        'config',
        `ttl: must be a number of seconds > 0 or a function, got ${String(this.ttl)}`,
      );
    }
    this.disableTTL = options.disableTTL === true;
    this.disableTouch = options.disableTouch === true;
    this.rewriteCookieOnTouch = options.rewriteCookieOnTouch === true;
    this.touchAfter = seconds('touchAfter', options.touchAfter ?? 0) * 1000;
    this.healthCheckInterval = options.healthCheckInterval ?? 1000;
    if (!(Number.isFinite(this.healthCheckInterval) && this.healthCheckInterval > 0)) {
      throw new RestashSessionError('config', 'healthCheckInterval: must be a number of milliseconds > 0');
    }
    this.scanCount = options.scanCount ?? 100;
    if (!(Number.isInteger(this.scanCount) && this.scanCount > 0)) {
      throw new RestashSessionError(
        'config',
        `scanCount: must be an integer > 0, got ${String(this.scanCount)}`,
      );
    }
    this.serializer = options.serializer ?? JSON;
    if (typeof this.serializer?.parse !== 'function' || typeof this.serializer.stringify !== 'function') {
      throw new RestashSessionError('config', 'serializer: must have parse and stringify functions');
    }
    this.logger = options.logger ?? console;
    this.match = `${this.prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
  }

  /** The session stored under `sid`, or `null` (also for a corrupt, foreign or expired value). */
  get(sid: string, callback?: Callback<SessionData | null>): Promise<SessionData | null> {
    return settle(this.read(sid), callback);
  }

  /** Stores a session: TTL from `cookie.expires` (ms), else `ttl`; an expired one is destroyed instead. */
  set(sid: string, session: SessionData, callback?: (error?: unknown) => void): Promise<void> {
    return settle(this.save(sid, session, false), callback);
  }

  /** Extends a session's expiry (see `touchAfter`, `rewriteCookieOnTouch`, `disableTouch`). */
  override touch(sid: string, session: SessionData, callback?: (error?: unknown) => void): Promise<void> {
    return settle(this.save(sid, session, true), callback);
  }

  /** Deletes a session; a request that loaded it before cannot write it back. */
  destroy(sid: string, callback?: (error?: unknown) => void): Promise<void> {
    return settle(this.remove(sid), callback);
  }

  /** Every stored session, each with its `id`, as connect-redis returns them. */
  override all(
    callback?: Callback<(SessionData & { id: string })[]>,
  ): Promise<(SessionData & { id: string })[]> {
    return settle(this.collect(), callback);
  }

  /** The ids of every stored session. */
  ids(callback?: Callback<string[]>): Promise<string[]> {
    return settle(
      this.scanAll(async (keys, out: string[]) => {
        for (const key of keys) out.push(key.slice(this.prefix.length));
      }),
      callback,
    );
  }

  /** How many sessions are stored. */
  override length(callback?: Callback<number>): Promise<number> {
    return settle(
      this.scanAll(async (keys, out: string[]) => {
        out.push(...keys);
      }).then((keys) => keys.length),
      callback,
    );
  }

  /** Deletes every key under the prefix. */
  override clear(callback?: (error?: unknown) => void): Promise<void> {
    const run = async () => {
      let cursor = '0';
      do {
        const [next, keys] = await this.track(this.backend.scan(cursor, this.match, this.scanCount, true));
        if (keys.length > 0) await this.track(this.backend.del(keys));
        cursor = next;
      } while (cursor !== '0');
    };
    return settle(run(), callback);
  }

  /** Stops the health check (only running while disconnected); the store stays usable. */
  close(): void {
    clearTimeout(this.healthCheck);
    this.healthCheck = undefined;
  }

  private key(sid: string): string {
    if (typeof sid !== 'string' || sid === '') {
      throw new RestashSessionError(
        'invalid-session',
        `session id: must be a non-empty string, got ${typeof sid}`,
      );
    }
    return this.prefix + sid;
  }

  private async read(sid: string): Promise<SessionData | null> {
    const key = this.key(sid);
    const read = Date.now();
    const [text, pttl] = await this.track(
      Promise.all([
        this.backend.get(key).catch(wrongTypeAsNull),
        this.touchAfter > 0 ? this.backend.pttl(key) : undefined,
      ]),
    );
    if (text === null) return null;
    const session = await this.parse(text, key);
    if (!session) return null;
    const expires = expiryOf(session);
    if (expires !== undefined && expires <= Date.now() && (this.disableTTL || pttl === -1)) {
      // No TTL in Redis enforces this expiry, so the read does.
      await this.track(this.backend.del([key]));
      return null;
    }
    this.remember(sid, pttl === undefined ? undefined : pttl > 0 ? read + pttl : expires);
    return session;
  }

  private async parse(text: string, key: string): Promise<SessionData | null> {
    let value: unknown;
    try {
      value = await this.serializer.parse(text);
    } catch (error) {
      this.corrupt(key, error instanceof Error ? error.message : String(error));
      return null;
    }
    const cookie = (value as { cookie?: unknown } | null)?.cookie;
    if (value === null || typeof value !== 'object' || cookie === null || typeof cookie !== 'object') {
      this.corrupt(key, 'not a session (an object with a cookie object)');
      return null;
    }
    return value as SessionData;
  }

  private corrupt(key: string, why: string): void {
    if (this.warnedCorrupt) return;
    this.warnedCorrupt = true;
    this.logger.warn(
      `[restash/express-session] ${key} does not hold a session (${why}); treating it as no session. Further corrupt values are not reported.`,
    );
  }

  private async save(sid: string, session: SessionData, touch: boolean): Promise<void> {
    const key = this.key(sid);
    if (session === null || typeof session !== 'object') {
      throw new RestashSessionError(
        'invalid-session',
        `session: must be an object, got ${session === null ? 'null' : typeof session}`,
      );
    }
    const wasLoaded = this.loaded.has(sid);
    const expiry = this.loaded.get(sid);
    if (touch && (this.disableTouch || (this.disableTTL && !this.rewriteCookieOnTouch))) return;
    const px = this.disableTTL ? undefined : this.ttlOf(session);
    if (px !== undefined && px <= 0) return this.remove(sid);
    if (touch && this.touchAfter > 0 && expiry !== undefined) {
      const next = px === undefined ? expiryOf(session) : Date.now() + px;
      if (next !== undefined && next - expiry < this.touchAfter) return;
    }
    if (touch && !this.rewriteCookieOnTouch) {
      await this.track(this.backend.pexpire(key, px as number));
      return;
    }
    // A session that was loaded is written only if it still exists (XX): a logout, or the session
    // expiring, while a request that loaded it ran stays final. A touch never creates a session.
    const text = this.serializer.stringify(session);
    await this.track(this.backend.set(key, text, px, touch || wasLoaded));
  }

  private async remove(sid: string): Promise<void> {
    // The session stays in `loaded`, so the saves of requests that loaded it use XX and find it gone.
    await this.track(this.backend.del([this.key(sid)]));
  }

  /** Milliseconds to keep a session: a `ttl` function wins, then `cookie.expires`, then `ttl`. */
  private ttlOf(session: SessionData): number {
    if (typeof this.ttl === 'function') {
      const value = this.ttl(session);
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new RestashSessionError(
          'invalid-ttl',
          `ttl(session) must return a number of seconds, got ${String(value)}`,
        );
      }
      return Math.ceil(value * 1000);
    }
    const expires = expiryOf(session);
    return expires === undefined ? Math.ceil(this.ttl * 1000) : expires - Date.now();
  }

  private remember(sid: string, expiry: number | undefined): void {
    this.loaded.delete(sid);
    if (this.loaded.size >= MAX_LOADED) {
      const oldest = this.loaded.keys().next().value;
      if (oldest !== undefined) this.loaded.delete(oldest);
    }
    this.loaded.set(sid, expiry);
  }

  private async scanAll<T>(each: (keys: string[], out: T[]) => Promise<void>): Promise<T[]> {
    const out: T[] = [];
    // SCAN may return a key twice (while Redis resizes its table); each session counts once.
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, found] = await this.track(this.backend.scan(cursor, this.match, this.scanCount));
      const keys = found.filter((key) => !seen.has(key) && seen.add(key));
      if (keys.length > 0) await each(keys, out);
      cursor = next;
    } while (cursor !== '0');
    return out;
  }

  private collect(): Promise<(SessionData & { id: string })[]> {
    return this.scanAll(async (keys, out: (SessionData & { id: string })[]) => {
      const texts = await this.track(this.backend.mget(keys));
      const now = Date.now();
      for (let i = 0; i < keys.length; i++) {
        const text = texts[i];
        if (text === null || text === undefined) continue;
        const key = keys[i] as string;
        const session = await this.parse(text, key);
        if (!session) continue;
        const expires = expiryOf(session);
        if (this.disableTTL && expires !== undefined && expires <= now) continue;
        out.push({ id: key.slice(this.prefix.length), ...session });
      }
    });
  }

  /** Follows the health of every call: `disconnect` on a transport failure, `connect` once the server answers again. */
  private async track<T>(call: Promise<T>): Promise<T> {
    try {
      const result = await call;
      this.up();
      return result;
    } catch (error) {
      if (isTransportError(error)) this.down(error);
      throw error;
    }
  }

  private up(): void {
    if (this.connected) return;
    this.connected = true;
    this.close();
    this.emit('connect');
  }

  private down(error: unknown): void {
    if (!this.connected) return;
    this.connected = false;
    this.emit('disconnect', error);
    const check = () => {
      this.healthCheck = setTimeout(() => {
        this.backend.probe(this.healthCheckInterval).then(
          () => this.up(),
          () => {
            if (!this.connected && this.healthCheck !== undefined) check();
          },
        );
      }, this.healthCheckInterval);
      this.healthCheck.unref?.();
    };
    check();
  }
}

/** A non-negative number of seconds. */
function seconds(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RestashSessionError('config', `${name}: must be a number of seconds ≥ 0, got ${String(value)}`);
  }
  return value;
}

/** A session's `cookie.expires` in ms since the epoch, when it has a valid one. */
function expiryOf(session: SessionData): number | undefined {
  const expires = (session.cookie as { expires?: unknown } | undefined)?.expires;
  if (expires === null || expires === undefined || expires === false) return undefined;
  const time = new Date(expires as string | Date).getTime();
  return Number.isNaN(time) ? undefined : time;
}

/** A key holding another type (foreign data) is no session. */
function wrongTypeAsNull(error: unknown): null {
  if (error instanceof Error && /(^|: )WRONGTYPE /.test(error.message)) return null;
  throw error;
}

/** Runs a callback if given (the Promise then resolves after it); otherwise the Promise carries the result. */
function settle<T>(promise: Promise<T>, callback: Callback<T> | undefined): Promise<T>;
function settle(promise: Promise<void>, callback: ((error?: unknown) => void) | undefined): Promise<void>;
function settle<T>(promise: Promise<T>, callback: Callback<T> | undefined): Promise<T> {
  const run = promise instanceof Promise ? promise : Promise.resolve(promise);
  if (!callback) return run;
  return run.then(
    (value) => {
      callback(null, value);
      return value;
    },
    (error: unknown) => {
      callback(error);
      return undefined as T;
    },
  );
}
