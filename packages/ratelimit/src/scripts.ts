/**
 * The Lua the algorithms run, one script per check. Every key a script touches
 * is declared in KEYS, and the keys and stored values are the ones
 * `@upstash/ratelimit` reads and writes, so both libraries share limits.
 *
 * The optional dynamic-limit key comes last in KEYS and is left out when
 * dynamic limits are off (an empty key would make Upstash's key locking
 * serialise unrelated identifiers).
 */

/** A named Lua script body, without its shebang line. */
export interface LuaScript {
  readonly name: string;
  readonly body: string;
}

/** The first line that lets Upstash lock only the keys a script declares. Open-source Redis refuses it. */
export const KEY_LOCKING_SHEBANG = '#!lua flags=allow-key-locking\n';

/** Reads the effective limit: the dynamic one when its key is declared and set, else ARGV[1]. */
const effectiveLimit = (dynamicKeyIndex: number) => `
local limit = tonumber(ARGV[1])
local dynamicKey = KEYS[${dynamicKeyIndex}]
if dynamicKey then
  local dynamic = tonumber(redis.call('GET', dynamicKey) or '')
  if dynamic then limit = dynamic end
end`;

/**
 * After INCRBY of `rate`, for a refund or a zero rate: a counter never goes
 * below zero, and one that a refund created gets a TTL. (Consuming calls set
 * the TTL when they create the counter: `used == rate`.)
 */
const settleRefund = (key: string, ttl: string) => `
  if used < 0 then
    redis.call('SET', ${key}, 0, 'KEEPTTL')
    used = 0
  end
  if redis.call('PTTL', ${key}) == -1 then redis.call('PEXPIRE', ${key}, ${ttl}) end`;

/**
 * Fixed window. KEYS: counter, [dynamic]. ARGV: limit, window ms, rate.
 * Returns {allowed 0|1, remaining, limit}. A rejected request adds nothing
 * (its INCRBY is taken back in the same script, so no one sees it).
 */
export const fixedWindowLimit: LuaScript = {
  name: 'fixedWindow.limit',
  body: `${effectiveLimit(2)}
local key = KEYS[1]
local rate = tonumber(ARGV[3])
local used = redis.call('INCRBY', key, rate)
if rate > 0 then
  if used == rate then redis.call('PEXPIRE', key, ARGV[2]) end
  if used > limit then
    redis.call('DECRBY', key, rate)
    return {0, limit - used + rate, limit}
  end
else${settleRefund('key', 'ARGV[2]')}
end
return {1, limit - used, limit}
`,
};

/** Fixed window (and cached fixed window), no consumption. KEYS: counter, [dynamic]. ARGV: limit. Returns {remaining, limit}. */
export const fixedWindowRemaining: LuaScript = {
  name: 'fixedWindow.remaining',
  body: `${effectiveLimit(2)}
return {limit - tonumber(redis.call('GET', KEYS[1]) or '0'), limit}
`,
};

/**
 * Sliding window: the previous window's count weighted by how much of it still
 * overlaps, in integer arithmetic (Upstash's `(1 - elapsed/window) * count`
 * can land just under a whole number and drop one request from the count).
 * KEYS: current, previous, [dynamic]. ARGV: limit, now ms, window ms, rate.
 * Returns {allowed 0|1, remaining, limit}. A rejected request adds nothing.
 */
export const slidingWindowLimit: LuaScript = {
  name: 'slidingWindow.limit',
  body: `${effectiveLimit(3)}
local now = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local rate = tonumber(ARGV[4])
local previous = math.floor((window - now % window) * tonumber(redis.call('GET', KEYS[2]) or '0') / window)
local used = redis.call('INCRBY', KEYS[1], rate)
if rate > 0 then
  if used == rate then redis.call('PEXPIRE', KEYS[1], window * 2 + 1000) end
  if previous + used > limit then
    redis.call('DECRBY', KEYS[1], rate)
    return {0, limit - previous - used + rate, limit}
  end
else${settleRefund('KEYS[1]', 'window * 2 + 1000')}
end
return {1, limit - previous - used, limit}
`,
};

/** Sliding window, no consumption. KEYS: current, previous, [dynamic]. ARGV: limit, now, window. Returns {remaining, limit}. */
export const slidingWindowRemaining: LuaScript = {
  name: 'slidingWindow.remaining',
  body: `${effectiveLimit(3)}
local now = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = math.floor((window - now % window) * tonumber(redis.call('GET', KEYS[2]) or '0') / window)
return {limit - previous - current, limit}
`,
};

/** Refills the bucket read from KEYS[1] up to `now`: sets `at` and `tokens`. */
const refill = `
local interval = tonumber(ARGV[2])
local refillRate = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local bucket = redis.call('HMGET', KEYS[1], 'refilledAt', 'tokens')
local at = now
local tokens = limit
if bucket[1] then
  at = tonumber(bucket[1]) or now
  tokens = tonumber(bucket[2]) or limit
  if now >= at + interval then
    local refills = math.floor((now - at) / interval)
    tokens = tokens + refills * refillRate
    at = at + refills * interval
  end
  tokens = math.min(limit, tokens)
end`;

/**
 * Token bucket: a hash {refilledAt, tokens}. KEYS: bucket, [dynamic]. ARGV:
 * max tokens, interval ms, refill rate, now ms, rate. Returns {allowed 0|1,
 * remaining, next refill ms, limit}. A full bucket is deleted: it reads the
 * same as no bucket.
 */
export const tokenBucketLimit: LuaScript = {
  name: 'tokenBucket.limit',
  body: `${effectiveLimit(2)}${refill}
local rate = tonumber(ARGV[5])
if rate > 0 and tokens < rate then return {0, tokens, at + interval, limit} end
local left = math.min(limit, tokens - rate)
if left >= limit then
  redis.call('DEL', KEYS[1])
else
  redis.call('HSET', KEYS[1], 'refilledAt', at, 'tokens', left)
  redis.call('PEXPIRE', KEYS[1], math.ceil((limit - left) / refillRate) * interval)
end
return {1, left, at + interval, limit}
`,
};

/** Token bucket, no consumption. KEYS: bucket, [dynamic]. ARGV: max tokens, interval, refill rate, now. Returns {remaining, next refill, limit}. */
export const tokenBucketRemaining: LuaScript = {
  name: 'tokenBucket.remaining',
  body: `${effectiveLimit(2)}${refill}
return {tokens, at + interval, limit}
`,
};

/** Cached fixed window: counts unconditionally (the decision is made in process). KEYS: counter. ARGV: window ms, rate. Returns the count. */
export const cachedFixedWindowLimit: LuaScript = {
  name: 'cachedFixedWindow.limit',
  body: `
local rate = tonumber(ARGV[2])
local used = redis.call('INCRBY', KEYS[1], rate)
if rate > 0 then
  if used == rate then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
else${settleRefund('KEYS[1]', 'ARGV[1]')}
end
return used
`,
};
