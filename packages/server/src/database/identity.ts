import { ACL_TOKEN_PREFIX, type TokenSealer } from '../auth/acl-tokens.js';
import { type Access, TokenRegistry } from '../auth/tokens.js';
import type { Executor } from '../protocol/execute.js';
import type { UserCredentials } from './acl-users.js';
import type { Database } from './database.js';

/** Who is making a request: which database, with which rights, through which executor. */
export interface Identity {
  database: Database;
  access: Access;
  executor: Executor;
  /** Set for `ACL RESTTOKEN` tokens: streams open as this Redis user. */
  credentials?: UserCredentials;
}

/** Why a token was not accepted. */
export interface Rejection {
  kind: 'unauthorized' | 'unavailable';
  message: string;
}

/** The databases a server fronts, keyed by id, with their configured tokens. */
export interface TokenTable {
  databases: ReadonlyMap<string, Database>;
  tokens: { token: string; access: Access; database: Database }[];
}

/**
 * Turns a bearer token into an identity. Configured tokens resolve at once
 * (constant-time comparison); `ACL RESTTOKEN` tokens are opened with the
 * server secret and their user is checked against Redis.
 */
export class Identities {
  /** Configured tokens, each with its identity, made once: a request reuses it. */
  private registry: TokenRegistry<Identity>;
  private databases: ReadonlyMap<string, Database>;

  constructor(
    table: TokenTable,
    private readonly sealer: TokenSealer,
  ) {
    this.registry = registryOf(table);
    this.databases = table.databases;
  }

  /** Swaps in a new set of databases and tokens (config reload); requests already resolved keep theirs. */
  replace(table: TokenTable): void {
    this.registry = registryOf(table);
    this.databases = table.databases;
  }

  /** Every database, for health checks and shutdown. */
  all(): Database[] {
    return [...this.databases.values()];
  }

  /**
   * The identity of `token` when no round trip is needed: a configured token,
   * an unknown one or none. `undefined` for an `ACL RESTTOKEN` token: ask
   * {@link resolve}.
   */
  known(token: string | undefined): Identity | Rejection | undefined {
    if (token === undefined) return UNAUTHORIZED;
    if (token.startsWith(ACL_TOKEN_PREFIX)) return undefined;
    return this.registry.resolve(token)?.target ?? UNAUTHORIZED;
  }

  /** Calls `done` with the identity of `token` — synchronously for configured tokens. */
  resolve(token: string | undefined, done: (result: Identity | Rejection) => void): void {
    const known = this.known(token);
    if (known !== undefined || token === undefined) return done(known ?? UNAUTHORIZED);
    const claims = this.sealer.unseal(token);
    const database = claims && this.databases.get(claims.database);
    if (!claims || !database) return done(UNAUTHORIZED);
    database.resolveUser(claims.username, claims.password, (result) => {
      const credentials = {
        username: claims.username,
        password: claims.password,
        named: result.ok && result.named,
      };
      if (result.ok) done({ database, access: 'standard', executor: result.executor, credentials });
      else
        done(
          result.kind === 'unauthorized' ? UNAUTHORIZED : { kind: 'unavailable', message: result.message },
        );
    });
  }
}

function registryOf(table: TokenTable): TokenRegistry<Identity> {
  return new TokenRegistry(
    table.tokens.map(({ token, access, database }) => ({
      token,
      access,
      target: { database, access, executor: database.executor },
    })),
  );
}

const UNAUTHORIZED: Rejection = { kind: 'unauthorized', message: '' };
