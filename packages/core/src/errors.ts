/**
 * What went wrong, as a stable string to branch on:
 * - `redis`: Redis (or the REST server on its behalf) refused or failed the command; the message is its text.
 * - `http`: the server answered a non-2xx status for the whole request (401, 413, 503, …).
 * - `network`: the request never got an answer (connection refused or reset, DNS), after any retries.
 * - `timeout`: the call took longer than its `timeout`.
 * - `aborted`: the caller's `AbortSignal` fired.
 * - `invalid-argument`: a bad value was passed to a method; nothing was sent.
 * - `invalid-response`: the server answered something that is not the REST protocol.
 * - `unsafe-integer`: Redis answered an integer beyond `Number.MAX_SAFE_INTEGER`, which a `number`
 *   cannot hold exactly; the command did run. Read such integers with `redis.with({ integers: 'bigint' })`.
 * - `config`: bad client options (URL, token, …).
 * - `unsupported`: the operation cannot work with this requester or in this context.
 */
export type RestashErrorCode =
  | 'redis'
  | 'http'
  | 'network'
  | 'timeout'
  | 'aborted'
  | 'invalid-argument'
  | 'invalid-response'
  | 'unsafe-integer'
  | 'config'
  | 'unsupported';

/** Options of {@link RestashError}. */
export interface RestashErrorOptions {
  /** The command name (upper-cased), e.g. `EVALSHA`, or `PIPELINE`/`MULTI-EXEC`. Never arguments. */
  command?: string;
  /** The HTTP status, when the server answered one. */
  status?: number;
  cause?: unknown;
}

const PREFIX = '[restash/core] ';

/**
 * The one error class of `@restash/core`. Redis errors keep Redis's own text as
 * the message (`NOSCRIPT No matching script…`, `WRONGTYPE …`), so code that
 * matches `/^NOSCRIPT/` keeps working; every other message starts with
 * `[restash/core]`. Messages and fields never contain argument values or tokens.
 *
 * @example
 * try {
 *   await redis.incr('not-a-number');
 * } catch (error) {
 *   if (error instanceof RestashError && error.code === 'redis') console.log(error.command, error.message);
 * }
 */
export class RestashError extends Error {
  override readonly name = 'RestashError';
  readonly code: RestashErrorCode;
  readonly command: string | undefined;
  readonly status: number | undefined;

  constructor(code: RestashErrorCode, message: string, options: RestashErrorOptions = {}) {
    super(
      code === 'redis' || message.startsWith(PREFIX) ? message : PREFIX + message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.command = options.command;
    this.status = options.status;
  }
}

/** Shorthand for an `invalid-argument` error thrown before anything is sent. */
export function invalidArgument(message: string, command?: string): RestashError {
  return new RestashError('invalid-argument', message, { command });
}
