import { describe, expect, it } from 'vitest';
import { coarseNow } from './clock.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('coarseNow', () => {
  it('is Date.now() at most a tick old while it is asked, and moves on', async () => {
    // Bounds with room for a busy test machine's late timers; a clock that stopped would be 100 ms behind.
    const first = coarseNow();
    expect(Math.abs(Date.now() - first)).toBeLessThanOrEqual(50);
    for (let i = 0; i < 10; i++) {
      await pause(10);
      expect(Date.now() - coarseNow()).toBeLessThanOrEqual(50);
    }
    expect(coarseNow() - first).toBeGreaterThanOrEqual(50);
  });

  it('is fresh again when asked after it stopped for want of askers', async () => {
    coarseNow();
    // Nobody asks for a while: the clock stops instead of ticking on, and is stale by now.
    await pause(150);
    expect(Date.now() - coarseNow()).toBeLessThanOrEqual(50);
  });
});
