/**
 * What went wrong:
 * - `config`: bad store options (a missing client, a negative `ttl`, …); thrown by the constructor.
 * - `invalid-ttl`: a `ttl` function returned something that is not a finite number of seconds.
 * - `invalid-session`: `set`/`touch` got something that is not a session object, or a session id that is not a non-empty string.
 */
export type RestashSessionErrorCode = 'config' | 'invalid-ttl' | 'invalid-session';

/**
 * The one error class of `@restash/express-session`. Errors of the Redis client
 * (a `RestashError` from `@restash/core`, an `UpstashError`) pass through as
 * they are.
 *
 * @example
 * try {
 *   new RestashStore({ client: undefined as never });
 * } catch (error) {
 *   if (error instanceof RestashSessionError && error.code === 'config') console.error(error.message);
 * }
 */
export class RestashSessionError extends Error {
  override readonly name = 'RestashSessionError';
  /** A stable string to branch on. */
  readonly code: RestashSessionErrorCode;

  constructor(code: RestashSessionErrorCode, message: string, options?: { cause?: unknown }) {
    super(`[restash/express-session] ${message}`, options);
    this.code = code;
  }
}
