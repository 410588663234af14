import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { HttpHandler } from '../http.js';
import { type ConnectionHost, FastConnection } from './connection.js';

/** Which engine serves HTTP: the fast one (with `node:http` behind it) or `node:http` alone. */
export type HttpEngine = 'fast' | 'node';

/** The fast engine installed on a server: what `close()` needs of it. */
export interface FastEngine {
  /** Connections the fast engine serves right now (handed-over ones are `node:http`'s). */
  readonly connections: number;
  /** Closes the connections that are neither reading nor answering a request. */
  closeIdleConnections(): void;
  /** Closes every connection the fast engine serves. */
  closeAllConnections(): void;
}

type NodeListener = (this: Server, socket: Socket) => void;

/**
 * Puts the fast engine in front of a `node:http` (or `node:https`) server:
 * its connections are read by the fast engine, which gives a connection to
 * the server's own connection listener — bytes untouched — at the first
 * request it does not serve. Call it before the server listens. The server
 * keeps listening, its `headersTimeout`, `requestTimeout` and
 * `keepAliveTimeout` apply to both engines, and its `request` event fires for
 * the requests `node:http` reads only.
 */
export function installFastEngine(server: Server, handler: HttpHandler, tls: boolean): FastEngine {
  // https.Server makes HTTP of each TLS socket on `secureConnection`, http.Server of each TCP socket on `connection`.
  const event = tls ? 'secureConnection' : 'connection';
  const nodeListener = (server.listeners(event) as NodeListener[]).find(
    (listener) => listener.name === 'connectionListener',
  );
  if (nodeListener === undefined) {
    throw new Error(
      `[restash/server] no node:http connection listener on '${event}' to put the fast engine in front of`,
    );
  }
  server.removeListener(event, nodeListener);
  const open = new Set<FastConnection>();
  let timer: NodeJS.Timeout | undefined;
  const check = () => {
    timer = undefined;
    const now = Date.now();
    for (const connection of open) connection.check(now);
    schedule();
  };
  const schedule = () => {
    if (timer !== undefined || open.size === 0) return;
    const shortest = Math.min(
      server.headersTimeout || 1000,
      server.keepAliveTimeout || 1000,
      handler.responseTimeout,
      1000,
    );
    timer = setTimeout(check, Math.max(10, shortest / 2));
    timer.unref();
  };
  const host: ConnectionHost = {
    handler,
    settings: server,
    handOver(connection, socket, bytes) {
      open.delete(connection);
      // node:http reads a fresh TCP handle straight from C++ ("consume"); this one has been read
      // from JavaScript, so it must take the stream path, where the bytes put back come first.
      const handle = (socket as unknown as { _handle?: { _consumed?: boolean } })._handle;
      if (handle) handle._consumed = true;
      nodeListener.call(server, socket);
      if (bytes.length > 0) socket.unshift(bytes);
      socket.resume();
    },
    forget(connection) {
      open.delete(connection);
    },
  };
  server.on(event, (socket: Socket) => {
    // Over the cap: answered 503 on accept already.
    if (handler.overCap(socket)) return;
    const connection = new FastConnection(host, socket);
    open.add(connection);
    schedule();
  });
  return {
    get connections() {
      return open.size;
    },
    closeIdleConnections() {
      for (const connection of open) connection.closeIfIdle();
    },
    closeAllConnections() {
      for (const connection of open) connection.destroy();
      open.clear();
    },
  };
}
