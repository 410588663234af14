import {
  type Apply,
  asRecord,
  type CommandTable,
  cmd,
  entries,
  int,
  type Kind,
  k,
  nonEmpty,
  opts,
  v,
} from '../command.js';
import { invalidArgument } from '../errors.js';
import type { Key, WireArg } from '../values.js';

/** One entry of SLOWLOG GET. */
export interface SlowlogEntry {
  id: number;
  /** Unix time in seconds when the command ran. */
  timestamp: number;
  /** How long it ran, in microseconds. */
  durationMicros: number;
  /** The command and its arguments (Redis shortens long ones). */
  args: string[];
  /** The client's address (`ip:port`). */
  client: string;
  /** The client's name, `''` if none. */
  clientName: string;
}

/** Server, connection and pub/sub commands that make sense over REST. */
export interface ServerCommands<K extends Kind> {
  /** Categories of commands, or the commands of one category. @see https://redis.io/commands/acl-cat */
  aclCat(category?: string): Apply<K, string[]>;
  /** Deletes ACL users; returns how many existed. @see https://redis.io/commands/acl-deluser */
  aclDeluser(...usernames: string[]): Apply<K, number>;
  /** Whether `username` may run a command: `OK`, or why not. @see https://redis.io/commands/acl-dryrun */
  aclDryrun(username: string, command: string, ...args: (string | number)[]): Apply<K, string>;
  /** A random password (`bits` of entropy, 256 by default) as hex. @see https://redis.io/commands/acl-genpass */
  aclGenpass(bits?: number): Apply<K, string>;
  /** The rules of an ACL user as an object, or `null` if there is none. @see https://redis.io/commands/acl-getuser */
  aclGetuser(username: string): Apply<K, Record<string, unknown> | null>;
  /** Every ACL user as a rule line. @see https://redis.io/commands/acl-list */
  aclList(): Apply<K, string[]>;
  /** Reloads the ACL users from the ACL file. @see https://redis.io/commands/acl-load */
  aclLoad(): Apply<K, 'OK'>;
  /** Recent ACL denials as objects (`{ reset: true }` clears them). @see https://redis.io/commands/acl-log */
  aclLog(options?: { count?: number }): Apply<K, Record<string, unknown>[]>;
  aclLog(options: { reset: true }): Apply<K, 'OK'>;
  aclLog(options?: { count?: number } | { reset: true }): Apply<K, Record<string, unknown>[] | 'OK'>;
  /**
   * A REST token for an ACL user: requests made with it run as that user.
   * An extension of Upstash and `@restash/server`, not a Redis command.
   * @see https://upstash.com/docs/redis/features/restapi
   */
  aclRestToken(username: string, password: string): Apply<K, string>;
  /** Saves the ACL users to the ACL file. @see https://redis.io/commands/acl-save */
  aclSave(): Apply<K, 'OK'>;
  /** Creates or changes an ACL user. @see https://redis.io/commands/acl-setuser */
  aclSetuser(username: string, ...rules: string[]): Apply<K, 'OK'>;
  /** The names of the ACL users. @see https://redis.io/commands/acl-users */
  aclUsers(): Apply<K, string[]>;
  /** The user this connection runs as. @see https://redis.io/commands/acl-whoami */
  aclWhoami(): Apply<K, string>;
  /** Starts an AOF rewrite in the background. @see https://redis.io/commands/bgrewriteaof */
  bgrewriteaof(): Apply<K, string>;
  /** Saves the dataset in the background (`schedule`: after a running AOF rewrite). @see https://redis.io/commands/bgsave */
  bgsave(options?: { schedule?: boolean }): Apply<K, string>;
  /** The number of commands Redis knows. @see https://redis.io/commands/command-count */
  commandCount(): Apply<K, number>;
  /** Documentation of commands (all without names), keyed by command name. @see https://redis.io/commands/command-docs */
  commandDocs(...names: string[]): Apply<K, Record<string, unknown>>;
  /** The keys a command would touch. @see https://redis.io/commands/command-getkeys */
  commandGetkeys(args: (string | number)[]): Apply<K, string[]>;
  /** The keys a command would touch, each with how it uses them (`RW`, `access`, `update`…). @see https://redis.io/commands/command-getkeysandflags */
  commandGetkeysandflags(args: (string | number)[]): Apply<K, { key: string; flags: string[] }[]>;
  /** Details of commands (all without names), as Redis returns them. @see https://redis.io/commands/command-info */
  commandInfo(...names: string[]): Apply<K, unknown[]>;
  /** The names of the commands, optionally filtered. @see https://redis.io/commands/command-list */
  commandList(
    filter?: { module: string } | { aclCategory: string } | { pattern: string },
  ): Apply<K, string[]>;
  /** Configuration parameters matching the patterns, as an object. @see https://redis.io/commands/config-get */
  configGet(...patterns: string[]): Apply<K, Record<string, string>>;
  /** Resets the statistics INFO reports. @see https://redis.io/commands/config-resetstat */
  configResetstat(): Apply<K, 'OK'>;
  /** Writes the running configuration to the config file. @see https://redis.io/commands/config-rewrite */
  configRewrite(): Apply<K, 'OK'>;
  /** Changes configuration parameters. @see https://redis.io/commands/config-set */
  configSet(parameters: Record<string, string | number>): Apply<K, 'OK'>;
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
  /** Redis's advice on its latency spikes. @see https://redis.io/commands/latency-doctor */
  latencyDoctor(): Apply<K, string>;
  /** An ASCII-art graph of one event's latency spikes. @see https://redis.io/commands/latency-graph */
  latencyGraph(event: string): Apply<K, string>;
  /** Latency histograms of commands (all without names), keyed by command. @see https://redis.io/commands/latency-histogram */
  latencyHistogram(...commands: string[]): Apply<K, Record<string, unknown>>;
  /** The latency spikes of one event: `[timestamp, milliseconds][]`. @see https://redis.io/commands/latency-history */
  latencyHistory(event: string): Apply<K, [timestamp: number, latency: number][]>;
  /** The latest spike of each event: `[event, timestamp, latest, max][]`. @see https://redis.io/commands/latency-latest */
  latencyLatest(): Apply<K, [event: string, timestamp: number, latest: number, max: number][]>;
  /** Clears the latency history (of `events`, or all); returns how many were reset. @see https://redis.io/commands/latency-reset */
  latencyReset(...events: string[]): Apply<K, number>;
  /** Computer art and the Redis version. @see https://redis.io/commands/lolwut */
  lolwut(options?: { version?: number }): Apply<K, string>;
  /** Redis's advice on its memory use. @see https://redis.io/commands/memory-doctor */
  memoryDoctor(): Apply<K, string>;
  /** The allocator's statistics. @see https://redis.io/commands/memory-malloc-stats */
  memoryMallocStats(): Apply<K, string>;
  /** Asks the allocator to release memory. @see https://redis.io/commands/memory-purge */
  memoryPurge(): Apply<K, 'OK'>;
  /** Memory statistics as an object. @see https://redis.io/commands/memory-stats */
  memoryStats(): Apply<K, Record<string, unknown>>;
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
  /** Shard channels with subscribers, optionally matching a pattern. @see https://redis.io/commands/pubsub-shardchannels */
  pubsubShardchannels(pattern?: string): Apply<K, string[]>;
  /** Subscriber counts of shard channels. @see https://redis.io/commands/pubsub-shardnumsub */
  pubsubShardnumsub(...channels: string[]): Apply<K, Record<string, number>>;
  /** The replication role: `['master', offset, replicas]`, `['slave', …]` or `['sentinel', …]`. @see https://redis.io/commands/role */
  role(): Apply<K, unknown[]>;
  /** Saves the dataset now, blocking Redis while it does. @see https://redis.io/commands/save */
  save(): Apply<K, 'OK'>;
  /** The slowest recent commands (`count` of them, 10 by default; -1 for all). @see https://redis.io/commands/slowlog-get */
  slowlogGet(count?: number): Apply<K, SlowlogEntry[]>;
  /** The number of entries in the slow log. @see https://redis.io/commands/slowlog-len */
  slowlogLen(): Apply<K, number>;
  /** Empties the slow log. @see https://redis.io/commands/slowlog-reset */
  slowlogReset(): Apply<K, 'OK'>;
  /** Publishes a message to a shard channel (objects as JSON); returns how many subscribers got it. @see https://redis.io/commands/spublish */
  spublish(channel: string, message: unknown): Apply<K, number>;
  /** Swaps two databases of the same Redis. @see https://redis.io/commands/swapdb */
  swapdb(index1: number, index2: number): Apply<K, 'OK'>;
  /** The server time: `[seconds, microseconds]`. @see https://redis.io/commands/time */
  time(): Apply<K, [seconds: number, microseconds: number]>;
}

/** `[name, count, name, count…]` as an object of counts. */
function counts(reply: unknown[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < reply.length; i += 2) out[String(reply[i])] = Number(reply[i + 1]);
  return out;
}

function slowlogEntry(raw: unknown): SlowlogEntry {
  const [id, timestamp, duration, args, client, clientName] = raw as unknown[];
  return {
    id: Number(id),
    timestamp: Number(timestamp),
    durationMicros: Number(duration),
    args: ((args as unknown[]) ?? []).map(String),
    client: String(client ?? ''),
    clientName: String(clientName ?? ''),
  };
}

export const server: CommandTable<ServerCommands<Kind>> = {
  aclCat: (category) => cmd(['ACL', 'CAT', ...(category === undefined ? [] : [category])]),
  aclDeluser: (...usernames) => cmd(['ACL', 'DELUSER', ...nonEmpty(usernames, 'ACL', 'usernames')]),
  aclDryrun: (username, command, ...args) => cmd(['ACL', 'DRYRUN', username, command, ...args]),
  aclGenpass: (bits) => cmd(['ACL', 'GENPASS', ...(bits === undefined ? [] : [int('bits', bits, 'ACL')])]),
  aclGetuser: (username) =>
    cmd(['ACL', 'GETUSER', username], (reply: unknown[] | null) => (reply === null ? null : asRecord(reply))),
  aclList: () => cmd(['ACL', 'LIST']),
  aclLoad: () => cmd(['ACL', 'LOAD']),
  aclLog: (options) => {
    opts(options, 'ACL');
    if (options && 'reset' in options && options.reset) return cmd(['ACL', 'LOG', 'RESET']);
    const count = options && 'count' in options ? options.count : undefined;
    return cmd(
      ['ACL', 'LOG', ...(count === undefined ? [] : [int('count', count, 'ACL')])],
      (reply: unknown[]) => reply.map(asRecord),
    );
  },
  aclRestToken: (username, password) => cmd(['ACL', 'RESTTOKEN', username, password]),
  aclSave: () => cmd(['ACL', 'SAVE']),
  aclSetuser: (username, ...rules) => cmd(['ACL', 'SETUSER', username, ...rules]),
  aclUsers: () => cmd(['ACL', 'USERS']),
  aclWhoami: () => cmd(['ACL', 'WHOAMI']),
  bgrewriteaof: () => cmd(['BGREWRITEAOF']),
  bgsave: (options) => cmd(['BGSAVE', ...(opts(options, 'BGSAVE')?.schedule ? ['SCHEDULE'] : [])]),
  commandCount: () => cmd(['COMMAND', 'COUNT']),
  commandDocs: (...names) => cmd(['COMMAND', 'DOCS', ...names], asRecord),
  commandGetkeys: (args) => cmd(['COMMAND', 'GETKEYS', ...nonEmpty(args, 'COMMAND', 'args')]),
  commandGetkeysandflags: (args) =>
    cmd(
      ['COMMAND', 'GETKEYSANDFLAGS', ...nonEmpty(args, 'COMMAND', 'args')],
      (reply: [unknown, unknown[]][]) =>
        reply.map(([key, flags]) => ({ key: String(key), flags: flags.map(String) })),
    ),
  commandInfo: (...names) => cmd(['COMMAND', 'INFO', ...names]),
  commandList: (filter) => {
    const args: WireArg[] = ['COMMAND', 'LIST'];
    if (opts(filter, 'COMMAND', 'filter') && filter) {
      if ('module' in filter) args.push('FILTERBY', 'MODULE', filter.module);
      else if ('aclCategory' in filter) args.push('FILTERBY', 'ACLCAT', filter.aclCategory);
      else if ('pattern' in filter) args.push('FILTERBY', 'PATTERN', filter.pattern);
      else throw invalidArgument('filter: pass { module }, { aclCategory } or { pattern }', 'COMMAND');
    }
    return cmd(args);
  },
  configGet: (...patterns) => cmd(['CONFIG', 'GET', ...nonEmpty(patterns, 'CONFIG', 'patterns')], asRecord),
  configResetstat: () => cmd(['CONFIG', 'RESETSTAT']),
  configRewrite: () => cmd(['CONFIG', 'REWRITE']),
  configSet: (parameters) => cmd(['CONFIG', 'SET', ...entries(parameters, 'CONFIG', 'parameters')]),
  dbsize: () => cmd(['DBSIZE']),
  echo: (message) => cmd(['ECHO', message]),
  flushall: (options) => cmd(['FLUSHALL', ...(opts(options, 'FLUSHALL')?.async ? ['ASYNC'] : [])]),
  flushdb: (options) => cmd(['FLUSHDB', ...(opts(options, 'FLUSHDB')?.async ? ['ASYNC'] : [])]),
  info: (...sections) => cmd(['INFO', ...sections]),
  lastsave: () => cmd(['LASTSAVE']),
  latencyDoctor: () => cmd(['LATENCY', 'DOCTOR']),
  latencyGraph: (event) => cmd(['LATENCY', 'GRAPH', event]),
  latencyHistogram: (...commands) => cmd(['LATENCY', 'HISTOGRAM', ...commands], asRecord),
  latencyHistory: (event) => cmd(['LATENCY', 'HISTORY', event]),
  latencyLatest: () => cmd(['LATENCY', 'LATEST']),
  latencyReset: (...events) => cmd(['LATENCY', 'RESET', ...events]),
  lolwut: (options) =>
    cmd([
      'LOLWUT',
      ...(opts(options, 'LOLWUT')?.version === undefined
        ? []
        : ['VERSION', int('version', options?.version, 'LOLWUT')]),
    ]),
  memoryDoctor: () => cmd(['MEMORY', 'DOCTOR']),
  memoryMallocStats: () => cmd(['MEMORY', 'MALLOC-STATS']),
  memoryPurge: () => cmd(['MEMORY', 'PURGE']),
  memoryStats: () => cmd(['MEMORY', 'STATS'], asRecord),
  memoryUsage: (key, options) => {
    const args: WireArg[] = ['MEMORY', 'USAGE', k(key)];
    opts(options, 'MEMORY');
    if (options?.samples !== undefined) args.push('SAMPLES', int('samples', options.samples, 'MEMORY'));
    return cmd(args);
  },
  ping: (message) => cmd(message === undefined ? ['PING'] : ['PING', message]),
  publish: (channel, message) => cmd(['PUBLISH', channel, v(message, 'PUBLISH')]),
  pubsubChannels: (pattern) => cmd(['PUBSUB', 'CHANNELS', ...(pattern === undefined ? [] : [pattern])]),
  pubsubNumpat: () => cmd(['PUBSUB', 'NUMPAT']),
  pubsubNumsub: (...channels) => cmd(['PUBSUB', 'NUMSUB', ...channels], counts),
  pubsubShardchannels: (pattern) =>
    cmd(['PUBSUB', 'SHARDCHANNELS', ...(pattern === undefined ? [] : [pattern])]),
  pubsubShardnumsub: (...channels) => cmd(['PUBSUB', 'SHARDNUMSUB', ...channels], counts),
  role: () => cmd(['ROLE']),
  save: () => cmd(['SAVE']),
  slowlogGet: (count) =>
    cmd(
      ['SLOWLOG', 'GET', ...(count === undefined ? [] : [int('count', count, 'SLOWLOG')])],
      (reply: unknown[]) => reply.map(slowlogEntry),
    ),
  slowlogLen: () => cmd(['SLOWLOG', 'LEN']),
  slowlogReset: () => cmd(['SLOWLOG', 'RESET']),
  spublish: (channel, message) => cmd(['SPUBLISH', channel, v(message, 'SPUBLISH')]),
  swapdb: (index1, index2) =>
    cmd(['SWAPDB', int('index1', index1, 'SWAPDB'), int('index2', index2, 'SWAPDB')]),
  time: () => cmd(['TIME'], (reply: [string, string]) => [Number(reply[0]), Number(reply[1])]),
};
