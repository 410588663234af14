import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identities } from '../../database/identity.js';
import { createLogger } from '../../log.js';
import type { Answer } from '../../protocol/execute.js';
import { HttpHandler } from '../http.js';
import { SseStreams } from '../sse.js';
import { directIo } from './direct.js';
import { installFastEngine } from './engine.js';

const TOKEN = 'fast-engine-token';
/** Resolves 20 ms later, as an ACL token does after its round trip to Redis. */
const LATE_TOKEN = 'fast-engine-late-token';

/** Answers every command with its arguments, later when the first one is `SLOW`: no Redis needed. */
function fakeIdentities(): Identities {
  const answer = (args: unknown[], done: (answer: Answer) => void) => {
    const body = JSON.stringify({ result: args.map((arg) => (typeof arg === 'string' ? arg : String(arg))) });
    const reply = () => done({ status: 200, body, contentType: 'application/json' });
    if (args[0] === 'SLOW') setTimeout(reply, 30);
    else reply();
  };
  const identity = {
    database: { id: 'default', maxRequestSize: 64 * 1024 },
    access: 'standard',
    executor: {
      single: (args: unknown[], _access: unknown, _format: unknown, done: (answer: Answer) => void) =>
        answer(args, done),
      pipeline: (commands: unknown[][], _access: unknown, _format: unknown, done: (answer: Answer) => void) =>
        done({
          status: 200,
          body: JSON.stringify(commands.map((c) => ({ result: c }))),
          contentType: 'application/json',
        }),
      transaction: (
        commands: unknown[][],
        _access: unknown,
        _format: unknown,
        done: (answer: Answer) => void,
      ) =>
        done({
          status: 200,
          body: JSON.stringify(commands.map((c) => ({ result: c }))),
          contentType: 'application/json',
        }),
    },
  };
  return {
    known(token: string | undefined) {
      if (token === LATE_TOKEN) return undefined;
      return token === TOKEN ? identity : { kind: 'unauthorized', message: '' };
    },
    resolve(token: string | undefined, done: (result: unknown) => void) {
      if (token === TOKEN) done(identity);
      else if (token === LATE_TOKEN) setTimeout(() => done(identity), 20);
      else done({ kind: 'unauthorized', message: '' });
    },
  } as unknown as Identities;
}

function handler(): HttpHandler {
  return new HttpHandler({
    identities: fakeIdentities(),
    streams: new SseStreams({ heartbeatMs: 15_000, maxBuffer: 1024 * 1024 }),
    log: createLogger('silent'),
    corsOrigin: '*',
    ready: async () => undefined,
    version: '0.0.0-test',
    multi: false,
    maxPipelineCommands: 1000,
    maxBufferedResponses: 1024 * 1024,
    responseTimeout: 5000,
  });
}

function serve(engine: 'fast' | 'node'): Promise<http.Server> {
  const h = handler();
  const server = http.createServer({ keepAliveTimeout: 65_000, requireHostHeader: false }, h.handle);
  server.on('clientError', h.clientError);
  server.on('connect', h.connectMethod);
  server.on('checkExpectation', h.expectation);
  if (engine === 'fast') installFastEngine(server, h, false);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/**
 * Sends `chunks` (one TCP write each; a number is a pause of that many ms) and
 * collects what comes back until the server closes, or `ms` pass.
 */
function exchange(server: http.Server, chunks: (string | Buffer | number)[], ms = 400): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.setNoDelay(true);
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (typeof chunk === 'number') {
          await new Promise((r) => setTimeout(r, chunk));
          continue;
        }
        socket.write(chunk);
        await new Promise((r) => setTimeout(r, 2));
      }
    });
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

/** Status lines and bodies of every response in `text`, headers that differ between engines left out. */
function responses(text: string): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) {
      out.push(`partial: ${rest}`);
      break;
    }
    const head = rest.slice(0, end);
    const status = head.split('\r\n')[0]!;
    const length = /\r\ncontent-length: (\d+)/i.exec(head)?.[1];
    const bodyLength = length === undefined ? 0 : Number(length);
    const body = rest.slice(end + 4, end + 4 + bodyLength);
    out.push(`${status} ${body}`);
    rest = rest.slice(end + 4 + bodyLength);
  }
  return out;
}

let fast: http.Server;
let node: http.Server;
beforeAll(async () => {
  fast = await serve('fast');
  node = await serve('node');
});
afterAll(() => {
  fast.closeAllConnections();
  node.closeAllConnections();
  fast.close();
  node.close();
});

const auth = `Authorization: Bearer ${TOKEN}\r\n`;
const CASES: [string, string][] = [
  ['a path command', `GET /get/foo HTTP/1.1\r\nHost: x\r\n${auth}\r\n`],
  ['a command in a body', `POST / HTTP/1.1\r\n${auth}Content-Length: 19\r\n\r\n["SET","foo","bar"]`],
  ['no token', 'GET /get/foo HTTP/1.1\r\n\r\n'],
  ['a token in the query', `GET /get/foo?_token=${TOKEN} HTTP/1.1\r\n\r\n`],
  ['a HEAD', `HEAD /get/foo HTTP/1.1\r\n${auth}\r\n`],
  ['OPTIONS', 'OPTIONS /get/foo HTTP/1.1\r\nOrigin: https://a.example\r\n\r\n'],
  ['DELETE', `DELETE /get/foo HTTP/1.1\r\n${auth}\r\n`],
  ['HTTP/1.0', `GET /get/foo HTTP/1.0\r\n${auth}\r\n`],
  [
    'chunked',
    `POST / HTTP/1.1\r\n${auth}Transfer-Encoding: chunked\r\n\r\n5\r\n["GET\r\n9\r\n","foo"]\r\n0\r\n\r\n`,
  ],
  ['CL and TE', `POST / HTTP/1.1\r\n${auth}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
  ['two CL', `POST / HTTP/1.1\r\n${auth}Content-Length: 13\r\nContent-Length: 12\r\n\r\n["GET","foo"]`],
  ['a CL with a sign', `POST / HTTP/1.1\r\n${auth}Content-Length: +13\r\n\r\n["GET","foo"]`],
  ['bare LF', `GET /get/foo HTTP/1.1\n${auth}\n`],
  ['a NUL in a header', `GET /get/foo HTTP/1.1\r\nX-A: a\0b\r\n${auth}\r\n`],
  ['obs-fold', `GET /get/foo HTTP/1.1\r\nX-A: a\r\n b\r\n${auth}\r\n`],
  ['a space before the colon', `GET /get/foo HTTP/1.1\r\nX-A : a\r\n${auth}\r\n`],
  ['a body too large', `POST / HTTP/1.1\r\n${auth}Content-Length: 70000\r\n\r\n${'x'.repeat(70000)}`],
  ['Expect', `POST / HTTP/1.1\r\n${auth}Expect: 100-continue\r\nContent-Length: 13\r\n\r\n["GET","foo"]`],
  [
    'Connection: close',
    `GET /get/a HTTP/1.1\r\n${auth}Connection: close\r\n\r\nGET /get/b HTTP/1.1\r\n${auth}\r\n`,
  ],
  [
    'a bad Content-Encoding',
    `POST / HTTP/1.1\r\n${auth}Content-Encoding: gzip\r\nContent-Length: 13\r\n\r\n["GET","foo"]`,
  ],
  ['an operator path', 'GET /-/version HTTP/1.1\r\n\r\n'],
  ['a malformed body', `POST / HTTP/1.1\r\n${auth}Content-Length: 3\r\n\r\n[1,`],
  [
    'pipelined, a slow answer first',
    `POST / HTTP/1.1\r\n${auth}Content-Length: 8\r\n\r\n["SLOW"]GET /get/b HTTP/1.1\r\n${auth}\r\nGET /get/c HTTP/1.1\r\n${auth}\r\n`,
  ],
  [
    'pipelined, then one for node:http',
    `POST / HTTP/1.1\r\n${auth}Content-Length: 8\r\n\r\n["SLOW"]GET /get/b HTTP/1.1\r\n${auth}\r\nGET /get/c HTTP/1.0\r\n${auth}\r\n`,
  ],
  ['a stream path', `GET /subscribe HTTP/1.1\r\n\r\n`],
];

describe('the fast engine', () => {
  for (const [name, request] of CASES) {
    it(`answers ${name} with the status and body node:http gives`, async () => {
      const [a, b] = await Promise.all([exchange(fast, [request]), exchange(node, [request])]);
      expect(responses(a)).toEqual(responses(b));
    });
  }

  it('gives the same answers when a request comes one byte per TCP write', async () => {
    const request = `POST / HTTP/1.1\r\n${auth}Content-Length: 19\r\n\r\n["SET","foo","bar"]GET /get/x HTTP/1.1\r\n${auth}\r\n`;
    const bytes = [...Buffer.from(request)].map((byte) => Buffer.from([byte]));
    const [a, b] = await Promise.all([exchange(fast, bytes, 2000), exchange(node, bytes, 2000)]);
    expect(responses(a)).toEqual(responses(b));
    expect(responses(a)).toHaveLength(2);
  });
});

describe('which engine reads a request', () => {
  it('answers the API subset itself, and gives node:http the rest on the same connection, bytes untouched', async () => {
    let nodeRequests = 0;
    const count = () => nodeRequests++;
    fast.on('request', count);
    const text = await exchange(fast, [
      `GET /get/a HTTP/1.1\r\n${auth}\r\nPOST / HTTP/1.1\r\n${auth}Content-Length: 8\r\n\r\n["SLOW"]`,
      `POST / HTTP/1.1\r\n${auth}Transfer-Encoding: chunked\r\n\r\n9\r\n["GET","b\r\n2\r\n"]\r\n0\r\n\r\nGET /get/c HTTP/1.1\r\n${auth}\r\n`,
    ]);
    fast.off('request', count);
    expect(responses(text)).toEqual([
      'HTTP/1.1 200 OK {"result":["get","a"]}',
      'HTTP/1.1 200 OK {"result":["SLOW"]}',
      'HTTP/1.1 200 OK {"result":["GET","b"]}',
      'HTTP/1.1 200 OK {"result":["get","c"]}',
    ]);
    expect(nodeRequests).toBe(2);
  });
});

describe('keep-alive', () => {
  it('keeps a connection open after answering a request before its body came', async () => {
    const text = await exchange(
      fast,
      [
        'POST / HTTP/1.1\r\nContent-Length: 13\r\n\r\n["GET"',
        ',"foo"]',
        // The engine checks its connections' timers about twice a second.
        1200,
        `GET /get/after HTTP/1.1\r\n${auth}\r\n`,
      ],
      2500,
    );
    expect(responses(text)).toEqual([
      'HTTP/1.1 401 Unauthorized {"error":"WRONGPASS invalid or missing auth token"}',
      'HTTP/1.1 200 OK {"result":["get","after"]}',
    ]);
  });
});

describe('Connection: close', () => {
  it('reads the body that comes after the head of a request that closes the connection', async () => {
    const text = await exchange(fast, [
      `POST / HTTP/1.1\r\n${auth}Connection: close\r\nContent-Length: 13\r\n\r\n`,
      50,
      '["GET","foo"]',
    ]);
    expect(responses(text)).toEqual(['HTTP/1.1 200 OK {"result":["GET","foo"]}']);
  });
});

function connect(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect((fast.address() as AddressInfo).port, '127.0.0.1');
    socket.setNoDelay(true);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Reads from `socket` until `count` responses came; returns their bodies. */
function bodies(socket: net.Socket, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(text)}`)), 5000);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const found: string[] = [];
      let rest = text;
      for (;;) {
        const end = rest.indexOf('\r\n\r\n');
        if (end === -1) break;
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(rest.slice(0, end))?.[1] ?? 0);
        if (rest.length < end + 4 + length) break;
        found.push(rest.slice(end + 4, end + 4 + length));
        rest = rest.slice(end + 4 + length);
      }
      if (found.length >= count) {
        clearTimeout(timer);
        resolve(found);
      }
    });
  });
}

/** A request whose token resolves late: its body must outlive other connections' reads meanwhile. */
function post(body: string): string {
  return `POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${LATE_TOKEN}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('direct I/O (the fast engine on plain TCP)', () => {
  it('is what the fast engine uses on plain TCP sockets in this Node, and not on TLS ones', async () => {
    const accepted = new Promise<net.Socket>((resolve) => {
      const probe = net.createServer((socket) => {
        resolve(socket);
        probe.close();
      });
      probe.listen(0, '127.0.0.1', () => {
        net.connect((probe.address() as AddressInfo).port, '127.0.0.1').on('error', () => {});
      });
    });
    const socket = await accepted;
    const sink = { received: () => {}, drained: () => {} };
    expect(directIo(socket, sink)).toBeDefined();
    socket.destroy();
    // A TLS socket reads through its TLS layer: never direct.
    expect(directIo(Object.assign(new net.Socket(), { encrypted: true }), sink)).toBeUndefined();
  });

  it('keeps the bodies of requests waiting for their token while other connections read', async () => {
    const clients = await Promise.all(Array.from({ length: 8 }, connect));
    const answers = clients.map((socket) => bodies(socket, 3));
    // Each request is whole in its read; every other connection's reads land in the same buffer meanwhile.
    for (let round = 0; round < 3; round++) {
      clients.forEach((socket, i) => {
        socket.write(post(JSON.stringify(['SET', `key-${i}-${round}`, `v${i}`])));
      });
      await pause(5);
    }
    const got = await Promise.all(answers);
    got.forEach((list, i) => {
      expect(list).toEqual(
        [0, 1, 2].map((round) => JSON.stringify({ result: ['SET', `key-${i}-${round}`, `v${i}`] })),
      );
    });
    for (const socket of clients) socket.destroy();
  });

  it('keeps partial heads and bodies whole while other connections read between their pieces', async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, connect));
    const answers = clients.map((socket) => bodies(socket, 1));
    const requests = clients.map((_, i) => post(JSON.stringify(['SET', `piece-${i}`, 'x'.repeat(100 + i)])));
    // Every request in 7-byte pieces, the connections taking turns: no piece arrives with its neighbours.
    const longest = Math.max(...requests.map((r) => r.length));
    for (let at = 0; at < longest; at += 7) {
      clients.forEach((socket, i) => {
        if (at < requests[i]!.length) socket.write(requests[i]!.slice(at, at + 7));
      });
      await pause(1);
    }
    const got = await Promise.all(answers);
    got.forEach((list, i) => {
      expect(list).toEqual([JSON.stringify({ result: ['SET', `piece-${i}`, 'x'.repeat(100 + i)] })]);
    });
    for (const socket of clients) socket.destroy();
  });

  it('gives node:http a connection with the bytes it has not read, and its later reads, intact', async () => {
    const socket = await connect();
    const answers = bodies(socket, 2);
    // A chunked body is node:http's: the fast engine answers the first request, node:http the second.
    socket.write(post(JSON.stringify(['GET', 'first'])));
    await pause(5);
    const chunked = JSON.stringify(['GET', 'second-'.repeat(2000)]);
    const head = `POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${LATE_TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n`;
    socket.write(`${head}${chunked.length.toString(16)}\r\n${chunked.slice(0, 50)}`);
    await pause(20);
    // Read by node:http after the hand-over: copied out of the shared buffer as they come.
    socket.write(`${chunked.slice(50)}\r\n0\r\n\r\n`);
    expect(await answers).toEqual([
      JSON.stringify({ result: ['GET', 'first'] }),
      JSON.stringify({ result: ['GET', 'second-'.repeat(2000)] }),
    ]);
    socket.destroy();
  });
});
