/** Entries past which the block map is swept of expired blocks on the next block. */
const SWEEP_AT = 10_000;

/**
 * The in-process cache: identifiers blocked until their reset, so a caller
 * that was just rejected is rejected again without a Redis call, and the
 * per-window counts of `cachedFixedWindow`.
 */
export class EphemeralCache {
  /** Counts of cachedFixedWindow, per window key; only the current window's keys are kept. */
  private readonly counts = new Map<string, number>();
  private countsWindow = -1;

  constructor(
    /** identifier → block end (ms epoch); may be shared between limiters. */
    readonly blocks: Map<string, number>,
  ) {}

  /** The block end of `key`, or 0 when it is not blocked (expired blocks are dropped). */
  blockedUntil(key: string, now: number): number {
    const until = this.blocks.get(key);
    if (until === undefined) return 0;
    if (until <= now) {
      this.blocks.delete(key);
      return 0;
    }
    return until;
  }

  block(key: string, until: number, now: number): void {
    if (this.blocks.size >= SWEEP_AT) {
      for (const [blocked, end] of this.blocks) if (end <= now) this.blocks.delete(blocked);
    }
    this.blocks.set(key, until);
  }

  unblock(key: string): void {
    this.blocks.delete(key);
  }

  /** The cached count of a window key, or undefined. `window` is the bucket number: older buckets are forgotten. */
  count(key: string, window: number): number | undefined {
    if (window !== this.countsWindow) return undefined;
    return this.counts.get(key);
  }

  setCount(key: string, window: number, value: number): void {
    if (window !== this.countsWindow) {
      // A new window: the counts of the previous one can never be read again.
      if (window > this.countsWindow) {
        this.counts.clear();
        this.countsWindow = window;
      } else {
        return;
      }
    }
    this.counts.set(key, value);
  }

  forgetCount(key: string): void {
    this.counts.delete(key);
  }
}
