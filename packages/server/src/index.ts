export type { Access } from './auth/tokens.js';
export { parseRedisUrl, type RedisEndpoint } from './backend/redis-url.js';
export type { AppendFsync } from './embedded/redis-process.js';
export { createLogger, type LogFields, type Logger, type LogLevel } from './log.js';
export { ConfigError, createServer, type RestashServer, type ServerOptions } from './server.js';
