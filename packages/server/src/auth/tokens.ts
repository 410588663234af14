import { createHash, timingSafeEqual } from 'node:crypto';

/** What a token may do. */
export type Access = 'standard' | 'read-only';

interface Entry<TTarget> {
  digest: Buffer;
  access: Access;
  target: TTarget;
}

/**
 * Resolves bearer tokens to an access level and a target (the database they
 * open). Tokens are compared as SHA-256 digests with `timingSafeEqual`, so
 * neither the length nor any prefix of a configured token leaks through
 * response timing; every entry is checked, match or not.
 */
export class TokenRegistry<TTarget> {
  private readonly entries: Entry<TTarget>[];
  /**
   * Tokens that matched, so a client's next request skips the hashing (it was
   * 5% of a GET). Only configured tokens get in, so it cannot grow past them,
   * and a miss costs the same whatever the configured tokens are.
   */
  private readonly matched = new Map<string, { access: Access; target: TTarget }>();

  constructor(tokens: { token: string; access: Access; target: TTarget }[]) {
    this.entries = tokens.map(({ token, access, target }) => ({ digest: digest(token), access, target }));
  }

  /** The access level and target of `token`, or undefined if it is not a configured token. */
  resolve(token: string): { access: Access; target: TTarget } | undefined {
    const known = this.matched.get(token);
    if (known !== undefined) return known;
    const presented = digest(token);
    let found: Entry<TTarget> | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, presented) && found === undefined) found = entry;
    }
    if (found === undefined) return undefined;
    const result = { access: found.access, target: found.target };
    this.matched.set(token, result);
    return result;
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * Extracts the token from an `Authorization` header: `Bearer <token>`, scheme
 * case-insensitive, surrounding spaces ignored.
 */
export function tokenFromHeader(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  const space = value.indexOf(' ');
  if (space === -1 || value.slice(0, space).toLowerCase() !== 'bearer') return undefined;
  const token = value.slice(space + 1).trim();
  return token.length > 0 ? token : undefined;
}
