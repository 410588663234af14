import type { Kind } from '../command.js';
import { type BitmapCommands, bitmaps } from './bitmaps.js';
import { type GeoCommands, geo } from './geo.js';
import { type HashCommands, hashes } from './hashes.js';
import { type HyperLogLogCommands, hyperloglog } from './hyperloglog.js';
import { type JsonCommands, json } from './json.js';
import { type KeyCommands, keys } from './keys.js';
import { type ListCommands, lists } from './lists.js';
import { type FunctionsCommands, functions, type ScriptingCommands, scripting } from './scripting.js';
import { type ServerCommands, server } from './server.js';
import { type SetCommands, sets } from './sets.js';
import { type SortedSetCommands, sortedSets } from './sorted-sets.js';
import { type StreamCommands, streams } from './streams.js';
import { type StringCommands, strings } from './strings.js';

/** Every command method, for a {@link Kind} (promises on `Redis`, chaining on pipelines) and a default value type. */
export interface Commands<K extends Kind, V>
  extends StringCommands<K, V>,
    BitmapCommands<K>,
    HashCommands<K, V>,
    ListCommands<K, V>,
    SetCommands<K, V>,
    SortedSetCommands<K, V>,
    GeoCommands<K, V>,
    HyperLogLogCommands<K>,
    StreamCommands<K, V>,
    ScriptingCommands<K>,
    KeyCommands<K, V>,
    ServerCommands<K> {
  /** RedisJSON commands (Redis 8, or the RedisJSON module): `json.get`, `json.set`… */
  readonly json: JsonCommands<K>;
  /** Functions as `@upstash/redis` names them: `functions.load`, `functions.call`… */
  readonly functions: FunctionsCommands<K>;
}

/** The command namespaces (`redis.json.*`, `redis.functions.*`), by name. */
export const namespaceTables = { json, functions };

/** Every command builder, by method name. */
export const commandTable = {
  ...strings,
  ...bitmaps,
  ...hashes,
  ...lists,
  ...sets,
  ...sortedSets,
  ...geo,
  ...hyperloglog,
  ...streams,
  ...scripting,
  ...keys,
  ...server,
};
