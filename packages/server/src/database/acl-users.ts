import { createHash } from 'node:crypto';
import { errors } from '@restash/core/protocol';
import { passwordMatches } from '../auth/acl-tokens.js';
import { type Backend, BackendFailure } from '../backend/backend.js';
import type { Logger } from '../log.js';
import type { CommandTable } from '../protocol/commands.js';
import { Executor } from '../protocol/execute.js';
import type { Reply } from '../resp/resp.js';

/** An ACL user's credentials, and whether the user may name its connections (`CLIENT SETNAME`). */
export interface UserCredentials {
  username: string;
  password: string;
  named: boolean;
}

/** The outcome of resolving ACL credentials. */
export type UserResolution =
  | { ok: true; executor: Executor; named: boolean }
  | { ok: false; kind: 'unauthorized' | 'unavailable'; message: string };

interface UserEntry {
  connection: Backend;
  executor: Executor;
  /** When Redis last confirmed the credentials. */
  checkedAt: number;
  /** Whether the user may run MULTI, as of the last check. */
  multi: boolean;
  /** Whether the user may run CLIENT SETNAME, when its connection was made. */
  named: boolean;
  lastUsed: number;
  /** Callers waiting for a check under way. */
  waiting: ((outcome: Check | BackendFailure) => void)[] | null;
}

/** What Redis says about a user's credentials. */
interface Check {
  valid: boolean;
  /** False when the user may not run MULTI. */
  multi: boolean;
  /** False when the user may not run CLIENT SETNAME: its connections then go unnamed. */
  named: boolean;
}

export interface AclUsersOptions {
  /** The database's own connection, used for `ACL GETUSER` checks. */
  admin: Backend;
  table: CommandTable;
  log: Logger;
  /** Makes a connection (or, on a cluster, connections) authenticated as the user. */
  connect: (credentials: UserCredentials) => Backend;
  /** How long a successful check is trusted, in ms. */
  recheckMs: number;
  /** Connections unused this long are closed, in ms. */
  idleMs: number;
  /** Whether one more connection fits in the database's budget. */
  hasRoom: () => boolean;
}

/**
 * Requests made with an `ACL RESTTOKEN` token run on a connection
 * authenticated as that Redis user, so Redis enforces the user's rules and its
 * `NOPERM` errors pass through. One auto-pipelined connection per user (and
 * password), closed when idle. Credentials are re-checked against
 * `ACL GETUSER` at most every `recheckMs`, so a password change, `off` or
 * `ACL DELUSER` revokes the user's tokens within that time, without a restart.
 */
export class AclUsers {
  private readonly users = new Map<string, UserEntry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: AclUsersOptions) {
    this.sweeper = setInterval(() => this.closeIdle(), Math.max(50, options.idleMs / 2));
    this.sweeper.unref();
  }

  /** Connections open for users: one each, or one per cluster node each. */
  get connections(): number {
    let count = 0;
    for (const entry of this.users.values()) count += entry.connection.connections;
    return count;
  }

  resolve(username: string, password: string, done: (result: UserResolution) => void): void {
    const key = keyOf(username, password);
    const now = Date.now();
    let entry = this.users.get(key);
    if (entry && now - entry.checkedAt < this.options.recheckMs) {
      entry.lastUsed = now;
      done({ ok: true, executor: entry.executor, named: entry.named });
      return;
    }
    this.check(username, password, entry, (outcome) => {
      if (outcome instanceof BackendFailure) {
        done({ ok: false, kind: 'unavailable', message: outcome.message });
        return;
      }
      if (!outcome.valid) {
        this.drop(key);
        done({ ok: false, kind: 'unauthorized', message: '' });
        return;
      }
      entry = this.users.get(key);
      if (!entry) {
        if (!this.options.hasRoom() && !this.evictIdle()) {
          done({
            ok: false,
            kind: 'unavailable',
            message: 'max connections reached for this database; retry later',
          });
          return;
        }
        const connection = this.options.connect({ username, password, named: outcome.named });
        const created: UserEntry = {
          connection,
          // A MULTI that Redis refuses would leave the rest of the batch to run one by one, outside any
          // transaction: refuse the whole /multi-exec before anything is sent.
          executor: new Executor({
            backend: connection,
            table: this.options.table,
            transactionDenial: () => (created.multi ? undefined : errors.noPermission('multi')),
          }),
          checkedAt: 0,
          multi: true,
          named: outcome.named,
          lastUsed: 0,
          waiting: null,
        };
        entry = created;
        this.users.set(key, entry);
      }
      entry.multi = outcome.multi;
      entry.checkedAt = Date.now();
      entry.lastUsed = entry.checkedAt;
      done({ ok: true, executor: entry.executor, named: entry.named });
    });
  }

  /**
   * Runs one `ACL GETUSER` (and `ACL DRYRUN … MULTI`) per user at a time;
   * concurrent callers share its answer.
   */
  private check(
    username: string,
    password: string,
    entry: UserEntry | undefined,
    done: (outcome: Check | BackendFailure) => void,
  ): void {
    if (entry?.waiting) {
      entry.waiting.push(done);
      return;
    }
    if (entry) entry.waiting = [done];
    const commands = [
      ['ACL', 'GETUSER', username],
      ['ACL', 'DRYRUN', username, 'MULTI'],
      // A user made as in Upstash's docs (`+get` only) may not name its connection: it must not need to.
      ['ACL', 'DRYRUN', username, 'CLIENT', 'SETNAME', 'restash-user'],
    ];
    this.options.admin.send(commands, (result) => {
      const outcome =
        result instanceof BackendFailure
          ? result
          : {
              valid: passwordMatches(result[0], password),
              multi: dryRunAllows(result[1]!),
              named: dryRunAllows(result[2]!),
            };
      if (entry) {
        const waiting = entry.waiting ?? [];
        entry.waiting = null;
        for (const waiter of waiting) waiter(outcome);
      } else {
        done(outcome);
      }
    });
  }

  /**
   * Asks Redis again, whatever the last check said: `done(false)` once the
   * credentials are revoked (password changed, user `off` or deleted). Open
   * streams call it, since Redis itself only closes their connections on
   * `ACL DELUSER`. A Redis that cannot answer tells nothing: `done(true)`.
   */
  verify(username: string, password: string, done: (valid: boolean) => void): void {
    const key = keyOf(username, password);
    this.check(username, password, this.users.get(key), (outcome) => {
      if (outcome instanceof BackendFailure) return done(true);
      if (!outcome.valid) this.drop(key);
      done(outcome.valid);
    });
  }

  private drop(key: string): void {
    const entry = this.users.get(key);
    if (!entry) return;
    this.users.delete(key);
    entry.connection.close();
  }

  /** Closes the least recently used idle user connection; false if none is idle. */
  private evictIdle(): boolean {
    let oldest: [string, UserEntry] | undefined;
    for (const item of this.users) {
      if (item[1].connection.busy) continue;
      if (!oldest || item[1].lastUsed < oldest[1].lastUsed) oldest = item;
    }
    if (!oldest) return false;
    this.drop(oldest[0]);
    return true;
  }

  private closeIdle(): void {
    const limit = Date.now() - this.options.idleMs;
    for (const [key, entry] of this.users) {
      if (entry.lastUsed < limit && !entry.connection.busy) this.drop(key);
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const key of [...this.users.keys()]) this.drop(key);
  }
}

function keyOf(username: string, password: string): string {
  return `${username}\0${createHash('sha256').update(password).digest('base64')}`;
}

/**
 * Reads an `ACL DRYRUN <user> …` reply: `OK` when allowed, a text saying why
 * not otherwise. An error (Redis before 7.0 has no DRYRUN) tells nothing: allowed.
 */
function dryRunAllows(reply: Reply): boolean {
  return !(reply instanceof Uint8Array);
}
