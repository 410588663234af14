import type { Redis } from '@restash/core';
import { RatelimitError } from './errors.js';

/** Options of the deny list (`new Ratelimit({ denyList })`). */
export interface DenyListOptions {
  /**
   * Values denied in this process without asking Redis: identifiers, IP
   * addresses, user agents or country codes.
   * @default []
   */
  values?: Iterable<string>;
  /**
   * Also check the list shared in Redis at `${prefix}:denyList:all`, the set
   * `@upstash/ratelimit`'s `enableProtection` reads. The check rides in the
   * same round trip as the limit check.
   * @default true
   */
  shared?: boolean;
  /**
   * How long a value found in the shared list stays denied in this process
   * without asking Redis again, in milliseconds.
   * @default 60_000
   */
  cacheTtl?: number;
}

/** Most values remembered as denied; past that, expired ones are swept. */
const MAX_REMEMBERED = 10_000;

/** The deny list of one `Ratelimit`: a local set, a local cache of shared hits, and the shared set. */
export class DenyList {
  private readonly local: Set<string>;
  private readonly remembered = new Map<string, number>();
  readonly shared: boolean;
  private readonly cacheTtl: number;

  constructor(
    options: DenyListOptions,
    /** `${prefix}:denyList:all` */
    readonly key: string,
  ) {
    if (options.values !== undefined && typeof options.values[Symbol.iterator] !== 'function') {
      throw new RatelimitError('config', 'denyList.values: expected an iterable of strings');
    }
    this.local = new Set(options.values ?? []);
    this.shared = options.shared !== false;
    this.cacheTtl = options.cacheTtl ?? 60_000;
    if (!Number.isFinite(this.cacheTtl) || this.cacheTtl < 0) {
      throw new RatelimitError(
        'config',
        `denyList.cacheTtl: must be 0 or more milliseconds, got ${options.cacheTtl}`,
      );
    }
  }

  /** The first member denied in this process, if any. */
  deniedLocally(members: string[], now: number): string | undefined {
    for (const member of members) {
      if (this.local.has(member)) return member;
      const until = this.remembered.get(member);
      if (until !== undefined) {
        if (until > now) return member;
        this.remembered.delete(member);
      }
    }
    return undefined;
  }

  /** Asks the shared list; the first denied member, if any, which is then remembered for `cacheTtl`. */
  async deniedShared(redis: Pick<Redis, 'smismember'>, members: string[]): Promise<string | undefined> {
    const hits = await redis.smismember(this.key, members);
    let denied: string | undefined;
    for (let i = 0; i < members.length; i++) {
      if (Number(hits[i]) === 1) {
        denied ??= members[i];
        this.remember(members[i]!);
      }
    }
    return denied;
  }

  forget(values: string[]): void {
    for (const value of values) this.remembered.delete(value);
  }

  private remember(member: string): void {
    if (this.cacheTtl === 0) return;
    const now = Date.now();
    if (this.remembered.size >= MAX_REMEMBERED) {
      for (const [value, until] of this.remembered) if (until <= now) this.remembered.delete(value);
      if (this.remembered.size >= MAX_REMEMBERED) this.remembered.clear();
    }
    this.remembered.set(member, now + this.cacheTtl);
  }
}
