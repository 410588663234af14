import { type Apply, type CommandTable, cmd, int, type Kind, k, v } from '../command.js';
import type { Key, WireArg } from '../values.js';

/** Server, connection and pub/sub commands that make sense over REST. */
export interface ServerCommands<K extends Kind> {
  /** The number of keys in the database. @see https://redis.io/commands/dbsize */
  dbsize(): Apply<K, number>;
  /** Returns `message`. @see https://redis.io/commands/echo */
  echo(message: string): Apply<K, string>;
  /** Deletes every key of every database. @see https://redis.io/commands/flushall */
  flushall(options?: { async?: boolean }): Apply<K, 'OK'>;
  /** Deletes every key of the database. @see https://redis.io/commands/flushdb */
  flushdb(options?: { async?: boolean }): Apply<K, 'OK'>;
  /** The INFO text, optionally of some sections. @see https://redis.io/commands/info */
  info(...sections: string[]): Apply<K, string>;
  /** The Unix time of the last successful save. @see https://redis.io/commands/lastsave */
  lastsave(): Apply<K, number>;
  /** The bytes a key and its value use, or `null`. @see https://redis.io/commands/memory-usage */
  memoryUsage(key: Key, options?: { samples?: number }): Apply<K, number | null>;
  /** `PONG`, or `message`. @see https://redis.io/commands/ping */
  ping(message?: string): Apply<K, string>;
  /** Publishes a message (objects as JSON); returns how many subscribers got it. @see https://redis.io/commands/publish */
  publish(channel: string, message: unknown): Apply<K, number>;
  /** Channels with subscribers, optionally matching a pattern. @see https://redis.io/commands/pubsub-channels */
  pubsubChannels(pattern?: string): Apply<K, string[]>;
  /** The number of pattern subscriptions. @see https://redis.io/commands/pubsub-numpat */
  pubsubNumpat(): Apply<K, number>;
  /** Subscriber counts of channels. @see https://redis.io/commands/pubsub-numsub */
  pubsubNumsub(...channels: string[]): Apply<K, Record<string, number>>;
  /** The server time: `[seconds, microseconds]`. @see https://redis.io/commands/time */
  time(): Apply<K, [seconds: number, microseconds: number]>;
}

export const server: CommandTable<ServerCommands<Kind>> = {
  dbsize: () => cmd(['DBSIZE']),
  echo: (message) => cmd(['ECHO', message]),
  flushall: (options) => cmd(['FLUSHALL', ...(options?.async ? ['ASYNC'] : [])]),
  flushdb: (options) => cmd(['FLUSHDB', ...(options?.async ? ['ASYNC'] : [])]),
  info: (...sections) => cmd(['INFO', ...sections]),
  lastsave: () => cmd(['LASTSAVE']),
  memoryUsage: (key, options) => {
    const args: WireArg[] = ['MEMORY', 'USAGE', k(key)];
    if (options?.samples !== undefined) args.push('SAMPLES', int('samples', options.samples, 'MEMORY'));
    return cmd(args);
  },
  ping: (message) => cmd(message === undefined ? ['PING'] : ['PING', message]),
  publish: (channel, message) => cmd(['PUBLISH', channel, v(message, 'PUBLISH')]),
  pubsubChannels: (pattern) => cmd(['PUBSUB', 'CHANNELS', ...(pattern === undefined ? [] : [pattern])]),
  pubsubNumpat: () => cmd(['PUBSUB', 'NUMPAT']),
  pubsubNumsub: (...channels) =>
    cmd(['PUBSUB', 'NUMSUB', ...channels], (reply: unknown[]) => {
      const out: Record<string, number> = {};
      for (let i = 0; i < reply.length; i += 2) out[String(reply[i])] = Number(reply[i + 1]);
      return out;
    }),
  time: () => cmd(['TIME'], (reply: [string, string]) => [Number(reply[0]), Number(reply[1])]),
};
