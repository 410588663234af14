import type { Redis } from '@restash/core';
import { rearmWarnings } from './env.js';
import { RestashNextError } from './errors.js';

/** The slice of the client the tag store uses. */
export type TagClient = Pick<Redis, 'pipeline' | 'multi' | 'zrange'>;

interface TagState {
  /** When the tag went stale (served once more, then refreshed), ms since the epoch. */
  stale?: number;
  /** When entries with the tag stop being served, ms since the epoch. */
  expired?: number;
}

/**
 * Changes logged within this many ms of the newest change seen are read again
 * on the next refresh, so a change written a little late (clock skew between
 * instances, a slow request) is never skipped.
 */
const OVERLAP_MS = 10_000;

/**
 * The tags manifest shared by every instance: two hashes (`stale`, `expired`:
 * tag → ms) hold the truth, and a sorted set logs which tag changed when, so an
 * instance refreshes its local copy by reading only what changed since its last
 * look. Both cache handlers of a prefix share it, so one `revalidateTag`
 * reaches `'use cache'` entries and ISR entries alike.
 */
export class TagStore {
  readonly #redis: TagClient;
  /** The keys of the manifest: `stale` and `expired` hashes (tag → ms), `log` sorted set. */
  readonly keys: { stale: string; expired: string; log: string };
  readonly #manifest = new Map<string, TagState>();
  #loaded = false;
  #healthy = true;
  #cursor = Number.NEGATIVE_INFINITY;
  #refreshing: Promise<void> | undefined;

  constructor(redis: TagClient, prefix: string) {
    this.#redis = redis;
    this.keys = { stale: `${prefix}tags:stale`, expired: `${prefix}tags:expired`, log: `${prefix}tags:log` };
  }

  /** Whether the last refresh reached the server (if not, nothing local can be trusted). */
  get healthy(): boolean {
    return this.#loaded && this.#healthy;
  }

  /** Brings the local manifest up to date; never throws (a failure marks the store unhealthy). */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  /** Refreshes once if this process has never loaded the manifest. */
  async ensureLoaded(): Promise<void> {
    if (!this.#loaded || !this.#healthy) await this.refresh();
  }

  async #refresh(): Promise<void> {
    try {
      if (!this.#loaded) await this.#loadAll();
      else await this.#loadChanges();
      this.#loaded = true;
      this.#healthy = true;
      rearmWarnings();
    } catch {
      this.#healthy = false;
    }
  }

  async #loadAll(): Promise<void> {
    const [stale, expired, newest] = await this.#redis
      .pipeline()
      .hgetall<Record<string, string>>(this.keys.stale)
      .hgetall<Record<string, string>>(this.keys.expired)
      .zrange<string, { byScore: true; rev: true; withScores: true; limit: { offset: 0; count: 1 } }>(
        this.keys.log,
        '+inf',
        '-inf',
        { byScore: true, rev: true, withScores: true, limit: { offset: 0, count: 1 } },
      )
      .exec();
    this.#manifest.clear();
    for (const [tag, at] of Object.entries(stale ?? {})) this.#state(tag).stale = Number(at);
    for (const [tag, at] of Object.entries(expired ?? {})) this.#state(tag).expired = Number(at);
    this.#cursor = newest[0]?.score ?? Number.NEGATIVE_INFINITY;
  }

  async #loadChanges(): Promise<void> {
    const from = Number.isFinite(this.#cursor) ? this.#cursor - OVERLAP_MS : '-inf';
    // A plain command, not a pipeline: concurrent requests' refreshes share one auto-pipelined round trip.
    const changed = await this.#redis.zrange<string, { byScore: true; withScores: true }>(
      this.keys.log,
      from,
      '+inf',
      { byScore: true, withScores: true },
    );
    if (changed.length === 0) return;
    const tags = changed.map((row) => row.member);
    const [stale, expired] = await this.#redis
      .pipeline()
      .hmget<Record<string, string | null>>(this.keys.stale, ...tags)
      .hmget<Record<string, string | null>>(this.keys.expired, ...tags)
      .exec();
    for (const tag of tags) {
      const state = this.#state(tag);
      const s = stale?.[tag];
      const e = expired?.[tag];
      if (s != null) state.stale = Number(s);
      if (e != null) state.expired = Number(e);
    }
    this.#cursor = Math.max(this.#cursor, ...changed.map((row) => row.score));
  }

  #state(tag: string): TagState {
    let state = this.#manifest.get(tag);
    if (!state) {
      state = {};
      this.#manifest.set(tag, state);
    }
    return state;
  }

  /**
   * Marks tags as changed, here at once and on the server for every instance.
   * Without `durations` the tags expire now; with them they go stale now and
   * expire `durations.expire` seconds later (Next's own rules).
   * @throws RestashNextError `unavailable` when the server did not take the change.
   */
  async update(tags: readonly string[], durations?: { expire?: number }): Promise<void> {
    if (tags.length === 0) return;
    const now = Date.now();
    const stale: Record<string, number> = {};
    const expired: Record<string, number> = {};
    for (const tag of tags) {
      const state = this.#state(tag);
      if (durations) {
        state.stale = stale[tag] = now;
        if (durations.expire !== undefined) state.expired = expired[tag] = now + durations.expire * 1000;
      } else {
        state.expired = expired[tag] = now;
      }
    }
    const tx = this.#redis.multi();
    if (Object.keys(stale).length > 0) tx.hset(this.keys.stale, stale);
    if (Object.keys(expired).length > 0) tx.hset(this.keys.expired, expired);
    const [first, ...rest] = tags.map((member) => ({ score: now, member }));
    tx.zadd(this.keys.log, first!, ...rest);
    try {
      await tx.exec();
    } catch (error) {
      throw new RestashNextError(
        'unavailable',
        `could not update the tags ${tags.join(', ')} on the server; other instances still serve entries with them`,
        { cause: error },
      );
    }
  }

  /** The newest expiry among `tags` (0 when none ever changed), as Next's `getExpiration` wants it. */
  expiration(tags: readonly string[]): number {
    let newest = 0;
    for (const tag of tags) newest = Math.max(newest, this.#manifest.get(tag)?.expired ?? 0);
    return newest;
  }

  /** Whether one of `tags` expired after `timestamp` (and the expiry has come). */
  isExpired(tags: readonly string[], timestamp: number, now = Date.now()): boolean {
    for (const tag of tags) {
      const at = this.#manifest.get(tag)?.expired;
      if (at !== undefined && at <= now && at > timestamp) return true;
    }
    return false;
  }

  /** Whether one of `tags` went stale after `timestamp`. */
  isStale(tags: readonly string[], timestamp: number): boolean {
    for (const tag of tags) {
      const at = this.#manifest.get(tag)?.stale;
      if (at !== undefined && at > timestamp) return true;
    }
    return false;
  }
}
