import { afterAll, beforeAll, describe, it } from 'vitest';
import { HttpRequester, Redis } from '../src/index.js';
import { clientSuite, requesterSuite } from '../src/testing/index.js';
import { type Stack, startStack, TOKEN } from './helpers.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.stop());

requesterSuite(
  { describe, it },
  {
    name: 'HttpRequester, base64 replies',
    requester: () => new HttpRequester({ url: stack.server.url, token: TOKEN }),
  },
);
requesterSuite(
  { describe, it },
  {
    name: 'HttpRequester, JSON replies',
    requester: () => new HttpRequester({ url: stack.server.url, token: TOKEN, responseEncoding: false }),
  },
);
clientSuite(
  { describe, it },
  {
    name: 'Redis, raw mode',
    client: () => new Redis({ url: stack.server.url, token: TOKEN, automaticDeserialization: false }),
  },
);
clientSuite(
  { describe, it },
  {
    name: 'Redis, raw mode without auto-pipelining',
    client: () =>
      new Redis({
        url: stack.server.url,
        token: TOKEN,
        automaticDeserialization: false,
        enableAutoPipelining: false,
      }),
  },
);
