import { type Arg, CommandWriter, type Reply, ReplyError, ReplyParser } from '../resp/resp.js';
import type { RedisEndpoint } from './redis-url.js';
import { handshakeCommands, isNameRefusal, openSocket, readyEvent } from './socket.js';

export interface StreamOptions {
  endpoint: RedisEndpoint;
  tlsCa?: string;
  connectTimeout: number;
  /** How long Redis may take, once connected, to confirm the subscription (or MONITOR), in ms. */
  commandTimeout: number;
  /** Name shown by `CLIENT LIST`; none for ACL users who may not set one. */
  name: string | undefined;
  /** What to run once connected: SUBSCRIBE …, PSUBSCRIBE …, or MONITOR. */
  commands: Arg[][];
  /** Every reply after the handshake: subscribe confirmations, messages, MONITOR lines. */
  onReply: (reply: Reply) => void;
  /** Called once when the stream can go on no longer; `reason` is empty after `close()`. */
  onEnd: (reason: string) => void;
}

/** A connection of its own for one SSE stream. */
export interface RedisStream {
  close(): void;
}

/**
 * Opens a dedicated Redis connection that runs `commands` and then only
 * listens: pub/sub and MONITOR turn a connection into a one-way stream, so it
 * can never be shared. Closing it releases the Redis client at once.
 */
export function openStream(options: StreamOptions): RedisStream {
  const { endpoint, connectTimeout, commandTimeout } = options;
  const setup = handshakeCommands(endpoint, options.name);
  let handshakeLeft = setup.length;
  let confirmed = false;
  let ended = false;
  const end = (reason: string) => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    socket.destroy();
    options.onEnd(reason);
  };
  const parser = new ReplyParser((reply) => {
    if (ended) return;
    if (handshakeLeft > 0) {
      handshakeLeft--;
      if (reply instanceof ReplyError && !isNameRefusal(setup, setup.length - 1 - handshakeLeft, reply)) {
        end(reply.message);
      }
      return;
    }
    if (!confirmed) {
      confirmed = true;
      clearTimeout(timer);
    }
    options.onReply(reply);
  });
  const socket = openSocket(endpoint, options.tlsCa);
  let timer = setTimeout(() => end(`connect timeout after ${connectTimeout} ms`), connectTimeout);
  socket.once(readyEvent(endpoint), () => {
    clearTimeout(timer);
    // A Redis that takes the connection but never answers must not hold the request open forever.
    timer = setTimeout(
      () => end(`Redis did not answer the subscription within ${commandTimeout} ms`),
      commandTimeout,
    );
    const writer = new CommandWriter();
    for (const args of [...setup, ...options.commands]) writer.write(args);
    socket.cork();
    for (const chunk of writer.take()) socket.write(chunk);
    socket.uncork();
  });
  socket.on('data', (chunk: Buffer) => {
    try {
      parser.feed(chunk);
    } catch (error) {
      end((error as Error).message);
    }
  });
  socket.on('error', (error) => end(error.message));
  socket.on('close', () => end('the connection to Redis was closed'));
  return { close: () => end('') };
}
