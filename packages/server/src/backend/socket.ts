import net from 'node:net';
import tls from 'node:tls';
import type { Arg, ReplyError } from '../resp/resp.js';
import type { RedisEndpoint } from './redis-url.js';

/**
 * Opens a socket to Redis: TCP, TLS (certificate and host name checked, plus
 * `tlsCa` if given) or a unix socket. Resolve on `readyEvent(endpoint)`.
 */
export function openSocket(endpoint: RedisEndpoint, tlsCa: string | undefined): net.Socket {
  const socket = endpoint.path
    ? net.createConnection({ path: endpoint.path })
    : endpoint.tls
      ? tls.connect({
          host: endpoint.host,
          port: endpoint.port,
          servername: net.isIP(endpoint.host!) ? undefined : endpoint.host,
          ca: tlsCa ? [...tls.rootCertificates, tlsCa] : undefined,
        })
      : net.createConnection({ host: endpoint.host, port: endpoint.port! });
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 10_000);
  return socket;
}

/** The event that says a socket from `openSocket` can be written to. */
export function readyEvent(endpoint: RedisEndpoint): 'secureConnect' | 'connect' {
  return endpoint.tls ? 'secureConnect' : 'connect';
}

/**
 * AUTH, SELECT and, with a name, CLIENT SETNAME (always last) for a new
 * connection. The name is a label only: an error to it must not fail the connection.
 */
export function handshakeCommands(endpoint: RedisEndpoint, name: string | undefined): Arg[][] {
  const setup: Arg[][] = [];
  if (endpoint.password !== undefined) {
    setup.push(
      endpoint.username ? ['AUTH', endpoint.username, endpoint.password] : ['AUTH', endpoint.password],
    );
  }
  if (endpoint.db !== 0) setup.push(['SELECT', String(endpoint.db)]);
  if (name !== undefined) setup.push(['CLIENT', 'SETNAME', name]);
  return setup;
}

/**
 * True for a refusal of `handshakeCommands`' CLIENT SETNAME by ACL (NOPERM),
 * which is ignored; any other error (NOAUTH…) fails the connection as before.
 */
export function isNameRefusal(setup: Arg[][], index: number, reply: ReplyError): boolean {
  return index === setup.length - 1 && setup[index]![0] === 'CLIENT' && reply.message.startsWith('NOPERM');
}
