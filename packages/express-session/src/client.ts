/**
 * The slice of a Redis REST client the store needs. `@restash/core`'s `Redis`
 * and `@upstash/redis`'s `Redis` both have it, whatever their
 * `automaticDeserialization` setting.
 */
export interface RestashStoreClient {
  get(key: string): Promise<unknown>;
  set(key: string, value: string, options?: { px?: number; xx?: boolean }): Promise<unknown>;
  pexpire(key: string, milliseconds: number): Promise<unknown>;
  pttl(key: string): Promise<number>;
  del(...keys: string[]): Promise<number>;
  mget(...keys: string[]): Promise<unknown[]>;
  ping(): Promise<unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: each client types its scan options and results its own way.
  scan(cursor: any, options: { match: string; count: number; type?: string }): Promise<any>;
}

/** `@restash/core`'s escape hatch, which returns replies untransformed in any mode. */
interface RawCapable {
  sendCommand(args: readonly (string | number)[]): Promise<unknown>;
  requester?: {
    request(request: {
      kind: 'command';
      commands: { args: readonly string[] }[];
      retry?: boolean;
      timeout?: number;
    }): Promise<unknown>;
  };
}

/** What the store sends, with values always as the exact strings stored. */
export interface Backend {
  get(key: string): Promise<string | null>;
  pttl(key: string): Promise<number>;
  /** SET, with PX when `px` is given; with `existing`, only over an existing key (XX). */
  set(key: string, value: string, px: number | undefined, existing: boolean): Promise<void>;
  pexpire(key: string, px: number): Promise<void>;
  del(keys: string[]): Promise<void>;
  mget(keys: string[]): Promise<(string | null)[]>;
  /** One SCAN page (of string keys only, unless `anyType`). */
  scan(
    cursor: string,
    match: string,
    count: number,
    anyType?: boolean,
  ): Promise<[cursor: string, keys: string[]]>;
  /** A PING that fails fast (no retries where the client allows it). */
  probe(timeout: number): Promise<unknown>;
}

/** A stored value as text: a client that JSON-parsed it gets it back as JSON text. */
function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The Backend for a client: exact commands through `sendCommand` when it has
 * one, its methods otherwise. Every call waits for the end of the current turn
 * of the event loop, so the commands of all the requests a server is handling
 * at once are issued together and the client's auto-pipelining sends them as
 * one HTTP request.
 */
export function backendOf(client: RestashStoreClient): Backend {
  return batched(direct(client));
}

/** Runs the calls made during one turn of the event loop together, in order. */
function batched(backend: Backend): Backend {
  let queue: (() => void)[] = [];
  const flush = () => {
    const calls = queue;
    queue = [];
    for (const call of calls) call();
  };
  const later = setImmediateOrTimeout();
  const defer =
    <TArgs extends unknown[], TResult>(method: (...args: TArgs) => Promise<TResult>) =>
    (...args: TArgs): Promise<TResult> =>
      new Promise<TResult>((resolve, reject) => {
        if (queue.length === 0) later(flush);
        queue.push(() => {
          method(...args).then(resolve, reject);
        });
      });
  return {
    get: defer(backend.get),
    pttl: defer(backend.pttl),
    set: defer(backend.set),
    pexpire: defer(backend.pexpire),
    del: defer(backend.del),
    mget: defer(backend.mget),
    scan: defer(backend.scan),
    probe: backend.probe,
  };
}

/** `setImmediate` (after the I/O callbacks of this turn) where it exists, else `setTimeout(0)`. */
function setImmediateOrTimeout(): (run: () => void) => void {
  const immediate = (globalThis as { setImmediate?: (run: () => void) => unknown }).setImmediate;
  return immediate ? (run) => immediate(run) : (run) => setTimeout(run, 0);
}

function direct(client: RestashStoreClient): Backend {
  const raw = client as Partial<RawCapable>;
  if (typeof raw.sendCommand === 'function') {
    const send = raw.sendCommand.bind(client);
    const requester = raw.requester;
    return {
      get: (key) => send(['GET', key]) as Promise<string | null>,
      pttl: (key) => send(['PTTL', key]) as Promise<number>,
      set: async (key, value, px, existing) => {
        const args: (string | number)[] = ['SET', key, value];
        if (px !== undefined) args.push('PX', px);
        if (existing) args.push('XX');
        await send(args);
      },
      pexpire: async (key, px) => {
        await send(['PEXPIRE', key, px]);
      },
      del: async (keys) => {
        await send(['DEL', ...keys]);
      },
      mget: (keys) => send(['MGET', ...keys]) as Promise<(string | null)[]>,
      scan: async (cursor, match, count, anyType) => {
        const args = ['SCAN', cursor, 'MATCH', match, 'COUNT', count];
        const [next, keys] = (await send(anyType ? args : [...args, 'TYPE', 'string'])) as [string, string[]];
        return [String(next), keys];
      },
      probe: (timeout) =>
        requester
          ? requester.request({ kind: 'command', commands: [{ args: ['PING'] }], retry: false, timeout })
          : send(['PING']),
    };
  }
  return {
    get: async (key) => text(await client.get(key)),
    pttl: (key) => client.pttl(key),
    set: async (key, value, px, existing) => {
      const options = { ...(px === undefined ? {} : { px }), ...(existing ? { xx: true } : {}) };
      await client.set(key, value, options);
    },
    pexpire: async (key, px) => {
      await client.pexpire(key, px);
    },
    del: async (keys) => {
      await client.del(...keys);
    },
    mget: async (keys) => (await client.mget(...keys)).map(text),
    scan: async (cursor, match, count, anyType) => {
      const options = anyType ? { match, count } : { match, count, type: 'string' };
      const [next, keys] = (await client.scan(cursor, options)) as [unknown, unknown[]];
      // A client that JSON-parses replies may turn a key such as `123` into a number.
      return [String(next), keys.map((key) => (typeof key === 'string' ? key : JSON.stringify(key)))];
    },
    probe: () => client.ping(),
  };
}

/**
 * Whether an error says the server (or the Redis behind it) cannot be reached,
 * as opposed to a refused command: no answer, a timeout, a 5xx, or the
 * server's "Redis is unreachable".
 */
export function isTransportError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, status } = error as { code?: unknown; status?: unknown };
  if (error.name === 'RestashError') {
    if (code === 'network' || code === 'timeout') return true;
    if (code === 'http') return typeof status === 'number' && status >= 500;
    return code === 'redis' && error.message.startsWith('ERR Redis is unreachable');
  }
  if (error.name === 'UpstashError') {
    return /ERR Redis is unreachable|HTTP 5\d\d|ECONNREFUSED|ECONNRESET|fetch failed/.test(error.message);
  }
  // fetch's own failures (TypeError: fetch failed, AbortError, …) from other clients.
  return error.name === 'TypeError' || error.name === 'AbortError' || error.name === 'TimeoutError';
}
