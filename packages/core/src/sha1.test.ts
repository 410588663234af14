import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha1Hex } from './sha1.js';

describe('sha1Hex', () => {
  it('matches SHA-1 for empty, short, multi-block and non-ASCII text', () => {
    for (const text of [
      '',
      'return 1',
      'a'.repeat(55),
      'b'.repeat(56),
      'c'.repeat(64),
      'x'.repeat(1000),
      'héllo ✓ 🚀',
    ]) {
      expect(sha1Hex(text)).toBe(createHash('sha1').update(text, 'utf8').digest('hex'));
    }
    expect(sha1Hex('return 1')).toBe('e0e1f9fabfc9d4800c877a703b823ac0578ff8db');
  });
});
