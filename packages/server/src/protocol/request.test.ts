import { describe, expect, it } from 'vitest';
import {
  BadRequest,
  parseCommandBody,
  parsePathCommand,
  parsePipelineBody,
  percentDecode,
  tokenFromQuery,
} from './request.js';

const text = (args: unknown[]) =>
  args.map((a) => (typeof a === 'string' ? a : Buffer.from(a as Uint8Array).toString('latin1')));

describe('parseCommandBody', () => {
  it('keeps number text exactly and turns booleans into text', () => {
    expect(parseCommandBody('[ "SET" , "k", 18446744073709551615, -1.50e+3, true,false ]')).toEqual([
      'SET',
      'k',
      '18446744073709551615',
      '-1.50e+3',
      'true',
      'false',
    ]);
  });

  it('decodes escapes like JSON.parse does', () => {
    const value = 'q"\\/\b\f\n\r\t\u0001\u00e9\ud83d\ude00';
    expect(parseCommandBody(JSON.stringify(['ECHO', value, 'plain']))).toEqual(['ECHO', value, 'plain']);
    expect(parseCommandBody('["a\\u0041","\\/"]')).toEqual(['aA', '/']);
  });

  it.each(['', '[', '["a",]', '["a" "b"]', '[01]', '[1.]', '[-]', '["a"]]', '"x"', '[nul]', '[tru]'])(
    'rejects %j with a BadRequest',
    (body) => {
      expect(() => parseCommandBody(body)).toThrow(BadRequest);
    },
  );
});

describe('parsePipelineBody', () => {
  it('parses rows', () => {
    expect(parsePipelineBody(' [ ["SET","a",1] , ["GET","a"], [] ] ')).toEqual([
      ['SET', 'a', '1'],
      ['GET', 'a'],
      [],
    ]);
    expect(parsePipelineBody('[]')).toEqual([]);
  });

  it('rejects rows that are not arrays', () => {
    expect(() => parsePipelineBody('["GET","a"]')).toThrow(/array of commands/);
    expect(() => parsePipelineBody('[["GET",null]]')).toThrow(/argument 1 is null of command 0/);
  });
});

describe('parsePathCommand', () => {
  it('splits segments, then appends the body, then query pairs in order', () => {
    const args = parsePathCommand('/set/a%2Fb/v', 'EX=10&_token=secret&NX&&k=a+b', Buffer.from('body'));
    expect(text(args)).toEqual(['set', 'a/b', 'v', 'body', 'EX', '10', 'NX', 'k', 'a b']);
  });

  it('does not turn + into a space in the path, and ignores an empty body', () => {
    expect(text(parsePathCommand('/echo/a+b/', '', Buffer.alloc(0)))).toEqual(['echo', 'a+b']);
  });
});

describe('parsePathCommand segments', () => {
  it("are path.split('/') without the first segment and one trailing empty one, for every path of up to 8 of '/', 'a', 'b'", () => {
    const expected = (path: string) => {
      const segments = path.split('/');
      const last =
        segments.length > 1 && segments[segments.length - 1] === '' ? segments.length - 1 : segments.length;
      return segments.slice(1, last);
    };
    let paths = [''];
    for (let length = 0; length <= 8; length++) {
      for (const path of paths)
        expect([path, parsePathCommand(path, '', null)]).toEqual([path, expected(path)]);
      paths = paths.flatMap((path) => [`${path}/`, `${path}a`, `${path}b`]);
    }
  });
});

describe('percentDecode and tokenFromQuery', () => {
  it('decodes to bytes', () => {
    expect(Buffer.from(percentDecode('%ff%41', false) as Uint8Array)).toEqual(Buffer.from([255, 65]));
    expect(() => percentDecode('%4', false)).toThrow(BadRequest);
  });

  it('finds the _token parameter', () => {
    expect(tokenFromQuery('a=1&_token=t%2Bx')).toBe('t+x');
    expect(tokenFromQuery('a=1')).toBeUndefined();
  });
});
