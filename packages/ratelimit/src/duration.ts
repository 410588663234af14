import { RatelimitError } from './errors.js';

/** A duration: milliseconds, or a number and a unit such as `'250 ms'`, `'10 s'`, `'1 m'`, `'1.5 h'`, `'1 d'`. */
export type Duration = number | `${number} ${DurationUnit}` | `${number}${DurationUnit}`;

/** The units a {@link Duration} string may use. */
export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd' | 'w';

const UNITS: Record<DurationUnit, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/;

/**
 * Milliseconds in a {@link Duration}, a whole number of at least 1.
 * Throws a `RatelimitError` (a `TypeError`) for anything else.
 *
 * @example
 * toMilliseconds('10 s'); // 10000
 * toMilliseconds('250ms'); // 250
 * toMilliseconds(1500); // 1500
 */
export function toMilliseconds(duration: Duration, what = 'duration'): number {
  let ms: number;
  if (typeof duration === 'number') {
    ms = duration;
  } else if (typeof duration === 'string') {
    const match = PATTERN.exec(duration);
    if (!match) {
      throw new RatelimitError(
        'config',
        `${what}: cannot parse ${JSON.stringify(duration)}; write milliseconds or a number and a unit (ms, s, m, h, d, w), e.g. '10 s'`,
      );
    }
    ms = Math.round(Number(match[1]) * UNITS[match[2] as DurationUnit]);
  } else {
    throw new RatelimitError(
      'config',
      `${what}: expected milliseconds or a string such as '10 s', got ${typeof duration}`,
    );
  }
  if (!Number.isFinite(ms) || ms < 1 || !Number.isInteger(ms)) {
    throw new RatelimitError(
      'config',
      `${what}: must be a whole number of milliseconds of at least 1, got ${String(duration)}`,
    );
  }
  return ms;
}
