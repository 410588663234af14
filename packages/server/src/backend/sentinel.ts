import type { Logger } from '../log.js';
import { type Reply, ReplyError, textOf } from '../resp/resp.js';
import { BackendFailure } from './backend.js';
import { RedisConnection } from './connection.js';
import { describeEndpoint, type RedisEndpoint, type SentinelTarget } from './redis-url.js';
import { openStream, type RedisStream } from './stream.js';

export interface SentinelOptions {
  target: SentinelTarget;
  log: Logger;
  connectTimeout: number;
  commandTimeout: number;
  tlsCa?: string;
  /** Called when the master moved: connections to the old one should go. */
  onSwitch: (master: string) => void;
}

/** Fewest milliseconds between two questions to the Sentinels prompted by failures. */
const MIN_ASK_GAP_MS = 100;
/** Wait before listening again to a Sentinel whose `+switch-master` stream ended, in ms. */
const WATCH_RETRY_MS = 1000;

/**
 * The current master of a Sentinel-monitored Redis. Asks the Sentinels
 * (`SENTINEL get-master-addr-by-name`, each in turn until one knows) at start
 * and whenever a connection to the master fails, and listens to
 * `+switch-master` on one Sentinel to hear of a failover at once.
 * Connections check `ROLE` when they connect (see `masterCheck`), so a
 * Sentinel that lags behind cannot send writes to a replica.
 */
export class SentinelMaster {
  private address: { host: string; port: number } | undefined;
  private readonly connections: RedisConnection[];
  private asking: Promise<void> | null = null;
  private lastAsk = 0;
  private pending: NodeJS.Timeout | null = null;
  private watcher: RedisStream | null = null;
  private watchTimer: NodeJS.Timeout | null = null;
  private watchTurn = 0;
  private closed = false;
  private error: string;

  constructor(private readonly options: SentinelOptions) {
    this.error = `no Sentinel was asked for master "${options.target.name}" yet`;
    this.connections = options.target.sentinels.map(
      (endpoint) =>
        new RedisConnection({
          endpoint,
          log: options.log,
          name: 'restash-sentinel',
          connectTimeout: options.connectTimeout,
          commandTimeout: options.commandTimeout,
          tlsCa: options.tlsCa,
        }),
    );
  }

  /** The master to connect to, with the configured credentials, or why it is not known. */
  endpoint(): RedisEndpoint | string {
    if (!this.address) return this.error;
    return { ...this.options.target.master, ...this.address };
  }

  /** The master as `host:port`, for logs. */
  get label(): string {
    const { name, sentinels } = this.options.target;
    return `sentinel master "${name}" (${sentinels.map(describeEndpoint).join(' ')})`;
  }

  /** Finds the master for the first time and starts listening for failovers; rejects if no Sentinel knows it. */
  async start(): Promise<void> {
    this.watch();
    await this.ask();
    if (!this.address) throw new Error(this.error);
  }

  /** A connection to the master failed: ask the Sentinels again soon (a failover may be under way). */
  failed(): void {
    if (this.pending || this.closed) return;
    const wait = Math.max(0, this.lastAsk + MIN_ASK_GAP_MS - Date.now());
    this.pending = setTimeout(() => {
      this.pending = null;
      this.ask();
    }, wait);
    this.pending.unref();
  }

  close(): void {
    this.closed = true;
    if (this.pending) clearTimeout(this.pending);
    if (this.watchTimer) clearTimeout(this.watchTimer);
    this.watcher?.close();
    for (const connection of this.connections) connection.close();
  }

  /** Asks the Sentinels in turn; the first that names the master wins. One question at a time. */
  private ask(): Promise<void> {
    if (this.asking) return this.asking;
    this.asking = (async () => {
      const problems: string[] = [];
      for (const connection of this.connections) {
        if (this.closed) return;
        const answer = await this.askOne(connection);
        if (typeof answer === 'string') {
          problems.push(answer);
          continue;
        }
        this.moveTo(answer);
        return;
      }
      this.error = `no Sentinel named master "${this.options.target.name}": ${problems.join('; ')}`;
      this.options.log.warn('cannot find the master through Sentinel', { reason: this.error });
    })().finally(() => {
      this.asking = null;
      this.lastAsk = Date.now();
    });
    return this.asking;
  }

  private askOne(connection: RedisConnection): Promise<{ host: string; port: number } | string> {
    const { name, sentinels } = this.options.target;
    const where = describeEndpoint(sentinels[this.connections.indexOf(connection)]!);
    return new Promise((resolve) => {
      connection.send([['SENTINEL', 'get-master-addr-by-name', name]], (result) => {
        if (result instanceof BackendFailure) return resolve(`${where}: ${result.message}`);
        const reply = result[0]!;
        if (reply instanceof ReplyError) return resolve(`${where}: ${reply.message}`);
        const address = parseAddress(reply);
        resolve(address ?? `${where} does not know master "${name}"`);
      });
    });
  }

  private moveTo(address: { host: string; port: number }): void {
    const previous = this.address;
    this.address = address;
    if (previous && previous.host === address.host && previous.port === address.port) return;
    const text = `${address.host}:${address.port}`;
    this.options.log.info('redis master (from Sentinel)', {
      master: this.options.target.name,
      address: text,
    });
    if (previous) this.options.onSwitch(text);
  }

  /** Listens to `+switch-master` on one Sentinel, the next one whenever the stream ends. */
  private watch(): void {
    if (this.closed) return;
    const { sentinels, name } = this.options.target;
    const endpoint = sentinels[this.watchTurn++ % sentinels.length]!;
    const stream = openStream({
      endpoint,
      tlsCa: this.options.tlsCa,
      connectTimeout: this.options.connectTimeout,
      commandTimeout: this.options.commandTimeout,
      name: 'restash-sentinel-watch',
      commands: [['SUBSCRIBE', '+switch-master']],
      onReply: (reply) => {
        if (reply instanceof ReplyError) {
          // Refused (NOAUTH, NOPERM…): this Sentinel cannot tell us of failovers; try the next one.
          this.options.log.warn('cannot listen for failovers on a Sentinel', {
            sentinel: describeEndpoint(endpoint),
            reason: reply.message,
          });
          stream.close();
          return;
        }
        // message, +switch-master, "<name> <old-ip> <old-port> <new-ip> <new-port>"
        if (!Array.isArray(reply) || reply.length !== 3 || !(reply[2] instanceof Uint8Array)) return;
        const [master, , , host, port] = textOf(reply[2]).split(' ');
        if (master !== name || host === undefined || port === undefined) return;
        this.moveTo({ host, port: Number(port) });
      },
      onEnd: () => {
        if (this.watcher !== stream || this.closed) return;
        this.watcher = null;
        this.watchTimer = setTimeout(() => {
          this.watchTimer = null;
          this.watch();
        }, WATCH_RETRY_MS);
        this.watchTimer.unref();
      },
    });
    this.watcher = stream;
  }
}

/** `[host, port]` from `SENTINEL get-master-addr-by-name`, or undefined (nil: unknown master). */
function parseAddress(reply: Reply): { host: string; port: number } | undefined {
  if (!Array.isArray(reply) || reply.length !== 2) return undefined;
  const [host, port] = reply.map(textOf);
  if (!host || !/^\d+$/.test(port!)) return undefined;
  return { host, port: Number(port) };
}

/**
 * `onConnect` for connections to a Sentinel-found master: `ROLE` must say
 * master, else the connection is refused (and the Sentinels asked again).
 */
export function masterCheck(): { command: string[]; check: (reply: Reply) => void } {
  return {
    command: ['ROLE'],
    check: (reply) => {
      // A user without permission for ROLE cannot tell; the database's own connection has checked the same address.
      if (reply instanceof ReplyError) return;
      const role = Array.isArray(reply) ? reply[0] : undefined;
      const text = textOf(role);
      if (text !== 'master') {
        throw new Error(`this Redis is a ${text}, not the master; asking Sentinel again`);
      }
    },
  };
}
