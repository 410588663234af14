/**
 * The token boundaries tried by a generated matrix: every command and
 * subcommand Redis lists in `COMMAND`, on every route, in several spellings
 * and inside scripts, for the read-only token, an ACL user and the standard
 * token's administration refusals. Zero escapes allowed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  post,
  prefix,
  READ_ONLY_TOKEN,
  startRedis,
  startServer,
  type TestRedis,
  TOKEN,
} from './helpers.js';

interface Entry {
  /** Upper-cased command name, and subcommand if any. */
  name: string;
  sub?: string;
  flags: string[];
  categories: string[];
}

let redis: TestRedis;
let base: string;
let close: () => Promise<void>;
let entries: Entry[];
const k = prefix();

beforeAll(async () => {
  redis = await startRedis();
  const server = await startServer({ redisUrl: redis.url, secret: 'matrix-secret', aclRecheck: 60_000 });
  base = server.baseUrl;
  close = () => server.close();
  const reply = (await post(base, '/', ['COMMAND'])).body as { result: unknown[][] };
  entries = [];
  for (const command of reply.result) {
    const [name, , flags, , , , categories, , , subcommands] = command as [
      string,
      number,
      string[],
      number,
      number,
      number,
      string[],
      unknown,
      unknown,
      unknown[][],
    ];
    entries.push({ name: name.toUpperCase(), flags, categories });
    for (const sub of subcommands ?? []) {
      const [full, , subFlags, , , , subCategories] = sub as [
        string,
        number,
        string[],
        number,
        number,
        number,
        string[],
      ];
      const [, subName] = full.toUpperCase().split('|');
      entries.push({ name: name.toUpperCase(), sub: subName, flags: subFlags, categories: subCategories });
    }
  }
  await redis.cli('SET', `${k}canary`, 'alive');
});

afterAll(async () => {
  await close?.();
  await redis?.stop();
});

/** Arguments for one try: the name, the subcommand, then a key and two numbers (enough to pass most arity checks). */
function argsOf(entry: Entry): string[] {
  return [entry.name, ...(entry.sub ? [entry.sub] : []), `${k}key`, '0', '1'];
}

/** The spellings a client could use for a command name. */
function spellings(name: string): string[] {
  return [name, name.toLowerCase(), name[0]! + name.slice(1).toLowerCase()];
}

/** Refusals that mean the command did not run: the server's, Redis's ACL, or a check Redis makes before the ACL. */
const NOT_RUN =
  /^(NOPERM|ERR Command is not available|ERR Command ".*" is not allowed in REST|ERR wrong number of arguments|ERR unknown subcommand|ERR unknown command)/;

type Outcome = { route: string; spelling: string; error?: string; ran: boolean };

/** Tries one command on every route with `token`; returns what happened on each. */
async function tryEverywhere(entry: Entry, token: string): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const args = argsOf(entry);
  const judge = (route: string, spelling: string, status: number, body: unknown) => {
    const error =
      body && typeof body === 'object' && 'error' in body
        ? String((body as { error: unknown }).error)
        : undefined;
    outcomes.push({
      route,
      spelling,
      error,
      ran: status === 200 || (error !== undefined && !NOT_RUN.test(error)),
    });
  };
  for (const spelling of spellings(entry.name)) {
    const command = [spelling, ...args.slice(1)];
    const single = await post(base, '/', command, { token });
    judge('POST /', spelling, single.status, single.body);
    const pipe = await post(base, '/pipeline', [command], { token });
    const first = Array.isArray(pipe.body) ? pipe.body[0] : pipe.body;
    judge('/pipeline', spelling, first && 'error' in first ? 400 : pipe.status, first);
    const tx = await post(base, '/multi-exec', [command], { token });
    const entryOfTx = Array.isArray(tx.body) ? tx.body[0] : tx.body;
    judge('/multi-exec', spelling, entryOfTx && 'error' in entryOfTx ? 400 : tx.status, entryOfTx);
  }
  // In the path, the first letter percent-encoded: Redis reads the same name.
  const encoded = `%${entry.name.charCodeAt(0).toString(16)}${entry.name.slice(1)}`;
  const path = await call(
    base,
    `/${[encoded, ...args.slice(1)].map((a, i) => (i === 0 ? a : encodeURIComponent(a))).join('/')}`,
    {
      token,
    },
  );
  judge('path', encoded, path.status, path.body);
  return outcomes;
}

/** Runs `check` on every entry, a few at a time. */
async function forEveryEntry(
  select: (entry: Entry) => boolean,
  check: (entry: Entry) => Promise<void>,
): Promise<number> {
  const chosen = entries.filter(select);
  for (let i = 0; i < chosen.length; i += 16) await Promise.all(chosen.slice(i, i + 16).map(check));
  return chosen.length;
}

/** What the read-only token is documented to run: `@read` and `readonly`, not `@dangerous`, no KEYS/SCAN; PING, ECHO. */
function readOnlyAllowed(entry: Entry): boolean {
  if (entry.name === 'PING' || entry.name === 'ECHO') return true;
  if (['KEYS', 'SCAN', 'HSCAN', 'SSCAN', 'ZSCAN'].includes(entry.name)) return false;
  return (
    entry.flags.includes('readonly') &&
    entry.categories.includes('@read') &&
    !entry.categories.includes('@dangerous')
  );
}

/** Commands that have subcommands: tried through their subcommands only. */
function isContainer(entry: Entry): boolean {
  return (
    entry.sub === undefined && entries.some((other) => other.name === entry.name && other.sub !== undefined)
  );
}

describe('the read-only token', () => {
  it('runs nothing outside the documented read set, on any route, in any spelling', async () => {
    const escapes: string[] = [];
    const tried = await forEveryEntry(
      (entry) => !isContainer(entry),
      async (entry) => {
        const allowed = readOnlyAllowed(entry);
        for (const outcome of await tryEverywhere(entry, READ_ONLY_TOKEN)) {
          if (outcome.ran && !allowed) {
            escapes.push(
              `${entry.name} ${entry.sub ?? ''} via ${outcome.route} (${outcome.spelling}): ${outcome.error ?? 'ran'}`,
            );
          }
          if (allowed && outcome.error?.startsWith('NOPERM')) {
            escapes.push(`${entry.name} ${entry.sub ?? ''} refused although documented as allowed`);
          }
        }
      },
    );
    expect(tried).toBeGreaterThan(300);
    expect(escapes).toEqual([]);
    expect(await redis.cli('GET', `${k}canary`)).toBe('alive');
  });

  it('runs no command inside any script', async () => {
    const escapes: string[] = [];
    await forEveryEntry(
      (entry) => !isContainer(entry),
      async (entry) => {
        const call = `redis.call(${argsOf(entry)
          .map((arg) => `'${arg}'`)
          .join(', ')})`;
        for (const script of [
          ['EVAL_RO', `return ${call}`, '0'],
          ['EVAL', `return ${call}`, '0'],
          ['eval_ro', `return ${call}`, '0'],
        ]) {
          const res = await post(base, '/', script, { token: READ_ONLY_TOKEN });
          if (!String((res.body as { error?: string }).error).startsWith('NOPERM')) {
            escapes.push(`${script[0]} ${entry.name} ${entry.sub ?? ''}: ${res.text}`);
          }
        }
      },
    );
    for (const script of [
      ['FCALL_RO', 'f', '0'],
      ['EVALSHA_RO', 'a'.repeat(40), '0'],
      ['FUNCTION', 'LOAD', 'x'],
    ]) {
      const res = await post(base, '/', script, { token: READ_ONLY_TOKEN });
      expect((res.body as { error: string }).error, script[0]).toMatch(/^NOPERM/);
    }
    expect(escapes).toEqual([]);
  });
});

describe('the standard token', () => {
  it('is refused every server-administration command Redis lists, on every route and in every spelling', async () => {
    const escapes: string[] = [];
    const tried = await forEveryEntry(
      (entry) =>
        !isContainer(entry) &&
        entry.categories.includes('@admin') &&
        !['ACL', 'MONITOR'].includes(entry.name),
      async (entry) => {
        for (const outcome of await tryEverywhere(entry, TOKEN)) {
          if (
            !outcome.error?.startsWith('ERR Command is not available') &&
            !outcome.error?.includes('not allowed in REST')
          ) {
            escapes.push(
              `${entry.name} ${entry.sub ?? ''} via ${outcome.route} (${outcome.spelling}): ${outcome.error ?? 'ran'}`,
            );
          }
        }
      },
    );
    expect(tried).toBeGreaterThan(40);
    expect(escapes).toEqual([]);
    expect(await redis.cli('PING')).toBe('PONG');
    expect(await redis.cli('GET', `${k}canary`)).toBe('alive');
  });
});

describe('an ACL RESTTOKEN user', () => {
  it('runs nothing beyond its grant (+get +ping), whatever the command, route or spelling', async () => {
    const user = `matrix${Math.random().toString(36).slice(2, 8)}`;
    await redis.cli('ACL', 'SETUSER', user, 'reset', 'on', '>pw', '~*', '+get', '+ping');
    const token = ((await post(base, '/', ['ACL', 'RESTTOKEN', user, 'pw'])).body as { result: string })
      .result;
    expect(token).toMatch(/^rst1_/);
    const escapes: string[] = [];
    const tried = await forEveryEntry(
      (entry) => !isContainer(entry),
      async (entry) => {
        for (const outcome of await tryEverywhere(entry, token)) {
          if (outcome.ran && !['GET', 'PING'].includes(entry.name)) {
            escapes.push(
              `${entry.name} ${entry.sub ?? ''} via ${outcome.route} (${outcome.spelling}): ${outcome.error ?? 'ran'}`,
            );
          }
        }
      },
    );
    expect(tried).toBeGreaterThan(300);
    expect(escapes).toEqual([]);
    expect((await post(base, '/', ['GET', `${k}canary`], { token })).body).toEqual({ result: 'alive' });
    await redis.cli('ACL', 'DELUSER', user);
  });
});
