import { type Apply, type CommandTable, cmd, type Kind, k, keyList, nonEmpty, v } from '../command.js';
import type { Key } from '../values.js';

/** HyperLogLog commands. */
export interface HyperLogLogCommands<K extends Kind> {
  /** Adds elements; 1 if the estimate changed. @see https://redis.io/commands/pfadd */
  pfadd(key: Key, ...elements: unknown[]): Apply<K, number>;
  /** The estimated number of distinct elements (of the union of `keys`). @see https://redis.io/commands/pfcount */
  pfcount(key: Key, ...keys: Key[]): Apply<K, number>;
  /** Merges sources into `destination`. @see https://redis.io/commands/pfmerge */
  pfmerge(destination: Key, ...sources: Key[]): Apply<K, 'OK'>;
}

export const hyperloglog: CommandTable<HyperLogLogCommands<Kind>> = {
  pfadd: (key, ...elements) =>
    cmd(['PFADD', k(key), ...nonEmpty(elements, 'PFADD', 'elements').map((element) => v(element, 'PFADD'))]),
  pfcount: (key, ...keys) => cmd(['PFCOUNT', k(key), ...keys.map((x) => k(x, 'PFCOUNT'))]),
  pfmerge: (destination, ...sources) =>
    cmd(['PFMERGE', k(destination), ...keyList(sources, 'PFMERGE', 'sources')]),
};
