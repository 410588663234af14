export { createUseCacheHandler, type UseCacheClient, type UseCacheHandlerOptions } from './cache-handler.js';
export { RestashNextError, type RestashNextErrorCode } from './errors.js';
