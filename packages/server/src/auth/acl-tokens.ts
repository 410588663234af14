import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { textOf } from '../resp/resp.js';

/** What an `ACL RESTTOKEN` token carries: the database and the Redis ACL user's credentials. */
export interface AclClaims {
  /** Database id. */
  database: string;
  username: string;
  password: string;
}

/** Every sealed token starts with this, so it is never compared against the configured tokens' list. */
export const ACL_TOKEN_PREFIX = 'rst1_';

/**
 * Seals ACL credentials into REST tokens with AES-256-GCM under a key derived
 * from the server secret. Any instance with the same secret can open them, so
 * they survive restarts and work across horizontally scaled servers without
 * shared state; changing the secret revokes them all.
 */
export class TokenSealer {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHash('sha256').update(`restash acl token key\0${secret}`).digest();
  }

  seal(claims: AclClaims): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([
      cipher.update(JSON.stringify([claims.database, claims.username, claims.password]), 'utf8'),
      cipher.final(),
    ]);
    return ACL_TOKEN_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** The claims of a token sealed with this secret, or undefined for anything else. */
  unseal(token: string): AclClaims | undefined {
    if (!token.startsWith(ACL_TOKEN_PREFIX)) return undefined;
    const raw = Buffer.from(token.slice(ACL_TOKEN_PREFIX.length), 'base64url');
    if (raw.length < 29) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      const [database, username, password] = JSON.parse(text) as unknown[];
      if (typeof database !== 'string' || typeof username !== 'string' || typeof password !== 'string') {
        return undefined;
      }
      return { database, username, password };
    } catch {
      return undefined;
    }
  }
}

/**
 * Checks a password against an `ACL GETUSER` reply (RESP2 flat map): the user
 * must exist, be `on`, and either be `nopass` or have the password's SHA-256
 * among its password hashes. This is how Redis itself stores passwords.
 */
export function passwordMatches(reply: unknown, password: string): boolean {
  if (!Array.isArray(reply)) return false;
  let flags: string[] = [];
  let hashes: string[] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const key = textOf(reply[i]);
    const value = reply[i + 1];
    if (key === 'flags' && Array.isArray(value)) flags = value.map(textOf);
    if (key === 'passwords' && Array.isArray(value)) hashes = value.map(textOf);
  }
  if (!flags.includes('on')) return false;
  if (flags.includes('nopass')) return true;
  const hash = createHash('sha256').update(password).digest('hex');
  return hashes.includes(hash);
}
