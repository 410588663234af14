export type { ErrorKind, RestCommand, RestFailure, RestReply, RestSuccess } from './protocol/index.js';
export {
  base64ToBytes,
  bytesToBase64,
  DEFAULT_MAX_REQUEST_SIZE,
  decodeBase64Result,
  errors,
  headers,
  paths,
  statusOf,
  TOKEN_QUERY_PARAM,
} from './protocol/index.js';
