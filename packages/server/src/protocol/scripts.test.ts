import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ScriptRewriter, stripFlags } from './scripts.js';

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

describe('stripFlags', () => {
  it('drops Upstash-only flags and keeps the others', () => {
    expect(stripFlags('#!lua flags=allow-key-locking\nreturn 1')).toBe('#!lua\nreturn 1');
    expect(stripFlags('#!lua flags=no-writes,allow-key-locking\nreturn 1')).toBe(
      '#!lua flags=no-writes\nreturn 1',
    );
    expect(stripFlags('#!lua name=x flags=allow-key-locking')).toBe('#!lua name=x');
  });

  it('leaves scripts without such flags untouched', () => {
    for (const script of [
      'return 1',
      '#!lua\nreturn 1',
      '#!lua flags=no-writes\nreturn 1',
      'return "flags=allow-key-locking"',
    ]) {
      expect(stripFlags(script)).toBe(script);
    }
  });
});

describe('ScriptRewriter', () => {
  it('maps EVALSHA of the original text to the SHA1 of the rewritten one', () => {
    const rewriter = new ScriptRewriter();
    const original = '#!lua flags=allow-key-locking\nreturn 1';
    const args = ['EVAL', original, '0'];
    expect(rewriter.rewrite('EVAL', args)).toEqual(['EVAL', '#!lua\nreturn 1', '0']);
    expect(args[1]).toBe(original);
    expect(rewriter.rewrite('EVALSHA', ['EVALSHA', sha1(original), '0'])).toEqual([
      'EVALSHA',
      sha1('#!lua\nreturn 1'),
      '0',
    ]);
    const untouched = ['EVALSHA', sha1('other'), '0'];
    expect(rewriter.rewrite('EVALSHA', untouched)).toBe(untouched);
  });

  it('rewrites SCRIPT LOAD too', () => {
    const rewriter = new ScriptRewriter();
    expect(rewriter.rewrite('SCRIPT', ['script', 'load', '#!lua flags=allow-key-locking\nreturn 2'])).toEqual(
      ['script', 'load', '#!lua\nreturn 2'],
    );
  });
});
