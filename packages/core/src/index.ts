export type { CallOptions, Env, Middleware, RedisOptions, RedisView } from './client.js';
export { Redis } from './client.js';
export type { Apply, CommandSpec, Kind, PromiseKind, Widen, WidePromiseKind } from './command.js';
export type { BitfieldOperation, BitfieldType, BitmapCommands } from './commands/bitmaps.js';
export type {
  GeoBy,
  GeoCommands,
  GeoFrom,
  GeoMember,
  GeoSearchOptions,
  GeoSearchResult,
  GeoUnit,
} from './commands/geo.js';
export type { FieldExpiryCondition, HashCommands, HGetExOptions, HSetExOptions } from './commands/hashes.js';
export type { HyperLogLogCommands } from './commands/hyperloglog.js';
export type { Commands } from './commands/index.js';
export type { JsonCommands, JsonGetOptions, JsonValue } from './commands/json.js';
export type { ExpireCondition, KeyCommands, RestoreOptions, SortOptions } from './commands/keys.js';
export type { ListCommands, ListSide, LPosOptions } from './commands/lists.js';
export type { ScanOptions } from './commands/scan.js';
export type { FunctionLibrary, FunctionsCommands, ScriptingCommands } from './commands/scripting.js';
export type { ServerCommands, SlowlogEntry } from './commands/server.js';
export type { SetCommands } from './commands/sets.js';
export type {
  RangeBound,
  ScoreMember,
  SortedSetCommands,
  ZAddOptions,
  ZCombineOptions,
  ZRangeOptions,
} from './commands/sorted-sets.js';
export type {
  PendingEntry,
  PendingSummary,
  StreamCommands,
  StreamEntry,
  StreamRead,
  StreamTrim,
  XAddOptions,
  XGroupOptions,
} from './commands/streams.js';
export type { GetExOptions, LcsIndex, SetOptions, StringCommands } from './commands/strings.js';
export { RestashError, type RestashErrorCode, type RestashErrorOptions } from './errors.js';
export { HttpRequester, type HttpRequesterOptions, type RetryOptions } from './http.js';
export { type IntegerMode, Pipeline, type PipelineEntry, type PipelineKind } from './pipeline.js';
export type {
  ErrorKind,
  PubSubEvent,
  RestCommand,
  RestFailure,
  RestReply,
  RestSuccess,
} from './protocol/index.js';
export {
  base64ToBytes,
  base64ToText,
  bytesToBase64,
  DEFAULT_MAX_REQUEST_SIZE,
  decodeBase64Result,
  decodeBase64ResultToText,
  errors,
  formatPubSubEvent,
  headers,
  parsePubSubEvent,
  paths,
  SSE_DATA_PREFIX,
  statusOf,
  TOKEN_QUERY_PARAM,
} from './protocol/index.js';
export type { Requester, RequesterCommand, RequesterRequest, StreamRequest } from './requester.js';
export { Script, type ScriptOptions } from './script.js';
export { Subscription, type SubscriptionEvents, type SubscriptionMessage } from './subscription.js';
export type { Key, WireArg } from './values.js';
