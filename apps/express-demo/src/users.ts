import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { Redis } from '@restash/core';

const derive = promisify(scrypt) as (password: string, salt: Buffer, length: number) => Promise<Buffer>;

/** Accounts in one Redis hash: user name → `scrypt$<salt>$<hash>` (base64). */
export class Users {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  /** Creates an account; false when the name is taken. */
  async create(name: string, password: string): Promise<boolean> {
    const salt = randomBytes(16);
    const hash = await derive(password, salt, 32);
    const created = await this.redis.hsetnx(
      this.key,
      name,
      `scrypt$${salt.toString('base64')}$${hash.toString('base64')}`,
    );
    return created === 1;
  }

  /** Whether the password is this user's (false for an unknown user, after the same work). */
  async verify(name: string, password: string): Promise<boolean> {
    const stored = await this.redis.hget<string>(this.key, name);
    const [, salt, hash] = typeof stored === 'string' ? stored.split('$') : [];
    const expected = Buffer.from(hash ?? '', 'base64');
    const actual = await derive(password, salt ? Buffer.from(salt, 'base64') : randomBytes(16), 32);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}

/** A user name: 3–32 letters, digits, `_`, `-` or `.`. */
export function validName(name: unknown): name is string {
  return typeof name === 'string' && /^[\w.-]{3,32}$/.test(name);
}

/** A password: 8–200 characters. */
export function validPassword(password: unknown): password is string {
  return typeof password === 'string' && password.length >= 8 && password.length <= 200;
}
