import { describe, expect, it } from 'vitest';
import { toMilliseconds } from './duration.js';
import { RatelimitError } from './errors.js';

describe('toMilliseconds', () => {
  it('reads milliseconds and every unit, with or without a space', () => {
    expect(toMilliseconds(1500)).toBe(1500);
    expect(toMilliseconds('250 ms')).toBe(250);
    expect(toMilliseconds('250ms')).toBe(250);
    expect(toMilliseconds('10 s')).toBe(10_000);
    expect(toMilliseconds('1 m')).toBe(60_000);
    expect(toMilliseconds('1.5 h')).toBe(5_400_000);
    expect(toMilliseconds('1 d')).toBe(86_400_000);
    expect(toMilliseconds('2 w')).toBe(1_209_600_000);
  });

  it('throws a TypeError naming the option for anything unparsable', () => {
    for (const bad of ['10', '10 parsecs', 's', '-1 s', '1 S', '', '1e3 ms']) {
      expect(() => toMilliseconds(bad as never, 'slidingWindow window')).toThrow(TypeError);
      expect(() => toMilliseconds(bad as never, 'slidingWindow window')).toThrow(
        /slidingWindow window: cannot parse/,
      );
    }
    expect(() => toMilliseconds(null as never)).toThrow(RatelimitError);
  });

  it('refuses zero, negative, fractional and non-finite windows', () => {
    for (const bad of [0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '0 s', '0.1 ms']) {
      expect(() => toMilliseconds(bad as never)).toThrow(/at least 1/);
    }
  });
});
