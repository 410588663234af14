import type { ErrorKind } from '@restash/core/protocol';

/**
 * An error the server answers a request with: `code` is the kind of error of
 * the wire protocol, whose HTTP status is `statusOf[code]` in
 * `@restash/core/protocol` (the one place statuses are decided), and
 * `message` is the text of the JSON error. Any other error thrown while
 * handling a request is a bug: logged, and answered 500.
 *
 * @example
 * throw new ServerError('too-large', errors.maxRequestSize(limit)); // a 413
 */
export class ServerError extends Error {
  constructor(
    readonly code: ErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
