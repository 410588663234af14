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

const TOKEN = 'direct-io-token';

/**
 * Tokens resolve 20 ms later, as ACL tokens do after their round trip to
 * Redis: a request's body must outlive the reads of other connections meanwhile.
 * Every command is answered with its arguments.
 */
function slowIdentities(): Identities {
  const echo = (args: unknown[], _access: unknown, _format: unknown, done: (answer: Answer) => void) =>
    done({
      status: 200,
      body: JSON.stringify({ result: args.map((arg) => (typeof arg === 'string' ? arg : String(arg))) }),
      contentType: 'application/json',
    });
  const identity = {
    database: { id: 'default', maxRequestSize: 1024 * 1024 },
    access: 'standard',
    executor: { single: echo },
  };
  return {
    resolve(token: string | undefined, done: (result: unknown) => void) {
      setTimeout(() => done(token === TOKEN ? identity : { kind: 'unauthorized', message: '' }), 20);
    },
  } as unknown as Identities;
}

let server: http.Server;
beforeAll(async () => {
  const handler = new HttpHandler({
    identities: slowIdentities(),
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
  server = http.createServer({ keepAliveTimeout: 65_000, requireHostHeader: false }, handler.handle);
  installFastEngine(server, handler, false);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

function connect(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
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

function post(body: string): string {
  return `POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
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
    const head = `POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n`;
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
