import { describe, expect, it } from 'vitest';
import { readConfig } from './config.js';

const good = { PORT: '3002', HOST: '127.0.0.1', RESTASH_URL: 'http://127.0.0.1:8079', RESTASH_TOKEN: 't' };

describe('readConfig', () => {
  it('reads the four variables the demo runner sets', () => {
    expect(readConfig(good)).toEqual({
      port: 3002,
      host: '127.0.0.1',
      restashUrl: 'http://127.0.0.1:8079',
      restashToken: 't',
    });
  });

  it('names every missing variable in one message', () => {
    expect(() => readConfig({})).toThrow(
      '[nest-demo] PORT is not set; HOST is not set; RESTASH_URL is not set; RESTASH_TOKEN is not set',
    );
  });

  it('refuses a port that is not a number and a URL that is not http', () => {
    expect(() => readConfig({ ...good, PORT: 'abc' })).toThrow(/PORT must be a port number, got abc/);
    expect(() => readConfig({ ...good, RESTASH_URL: 'redis://x' })).toThrow(
      /RESTASH_URL must start with http/,
    );
  });
});
