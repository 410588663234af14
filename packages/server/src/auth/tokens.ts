import { createHash, timingSafeEqual } from 'node:crypto';

/** What a token may do. */
export type Access = 'standard' | 'read-only';

interface Entry {
  digest: Buffer;
  access: Access;
}

/**
 * Resolves bearer tokens to an access level. Tokens are compared as SHA-256
 * digests with `timingSafeEqual`, so neither the length nor any prefix of a
 * configured token leaks through response timing; every entry is checked,
 * match or not.
 */
export class TokenRegistry {
  private readonly entries: Entry[];

  constructor(tokens: { token: string; access: Access }[]) {
    this.entries = tokens.map(({ token, access }) => ({ digest: digest(token), access }));
  }

  /** The access level of `token`, or undefined if it is not a known token. */
  resolve(token: string | undefined): Access | undefined {
    if (token === undefined || token.length === 0) return undefined;
    const presented = digest(token);
    let found: Access | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, presented) && found === undefined) found = entry.access;
    }
    return found;
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
