export {
  type Algorithm,
  type AlgorithmContext,
  type AlgorithmResult,
  cachedFixedWindow,
  fixedWindow,
  type RemainingResult,
  slidingWindow,
  tokenBucket,
} from './algorithms.js';
export type { DenyListOptions } from './deny-list.js';
export { type Duration, type DurationUnit, toMilliseconds } from './duration.js';
export { RatelimitError, type RatelimitErrorCode } from './errors.js';
export {
  DEFAULT_PREFIX,
  type LimitOptions,
  type LimitReason,
  type LimitResult,
  Ratelimit,
  type RatelimitOptions,
  type RatelimitRedis,
} from './ratelimit.js';
export type { LuaScript } from './scripts.js';
