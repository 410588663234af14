// Tests of bench/lib.mjs's statistics (node --test; run by scripts/test.sh).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { median, medianInterval } from './lib.mjs';

const shuffled = (n) => Array.from({ length: n }, (_, i) => ((i * 7) % n) + 1);

test('medianInterval: the order statistics of the exact binomial coverage', () => {
  // 8 rounds: only the whole range covers 95 % (1 − 2/256); the next, x(2)…x(7), covers 1 − 2·9/256 ≈ 93 %.
  assert.deepEqual(medianInterval(shuffled(8)), { low: 1, high: 8, level: 1 - 2 / 256 });
  assert.deepEqual(medianInterval(shuffled(8), 0.9), { low: 2, high: 7, level: 1 - (2 * 9) / 256 });
  // 16: P(X ≤ 3) = (1 + 16 + 120 + 560) / 2^16.
  assert.deepEqual(medianInterval(shuffled(16)), { low: 4, high: 13, level: 1 - (2 * 697) / 65536 });
  // 24: P(X ≤ 6) = 190051 / 2^24.
  const i24 = medianInterval(shuffled(24));
  assert.equal(i24.low, 7);
  assert.equal(i24.high, 18);
  assert.ok(Math.abs(i24.level - (1 - (2 * 190051) / 2 ** 24)) < 1e-12);
});

test('medianInterval: too few values give null, too many a RangeError, and the input is left alone', () => {
  assert.equal(medianInterval([3, 1, 2, 5, 4]), null);
  assert.throws(() => medianInterval(shuffled(1001)), RangeError);
  const i1000 = medianInterval(shuffled(1000));
  assert.ok(i1000.low > 400 && i1000.high < 600 && i1000.level >= 0.95, JSON.stringify(i1000));
  assert.notEqual(medianInterval([3, 1, 2, 5, 4, 6]), null);
  const values = [0.9, 1.2, 0.8, 1.1, 1.0, 0.95, 1.05, 0.85];
  const copy = [...values];
  medianInterval(values);
  assert.deepEqual(values, copy);
});

test('medianInterval: ratios on both sides of 1 give an interval that holds 1', () => {
  const ratios = [
    0.54, 0.81, 0.93, 0.97, 1.02, 1.04, 1.12, 1.26, 0.88, 0.99, 1.01, 0.95, 1.08, 0.9, 1.15, 0.97,
  ];
  const { low, high } = medianInterval(ratios);
  assert.ok(low < 1 && high > 1, `${low}–${high}`);
  assert.ok(low <= median(ratios) && median(ratios) <= high);
});
