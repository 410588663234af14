import { HttpRequester, Redis } from '@restash/core';
import { clientSuite, requesterSuite } from '@restash/core/testing';
import { TOKEN, useStack } from '@restash/test-harness';
import { describe, it } from 'vitest';

const stack = useStack();

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
