/** What went wrong, for code that branches on it. */
export type RatelimitErrorCode =
  /** An argument of a call is wrong: an empty identifier, a rate that is not an integer… */
  | 'invalid-argument'
  /** An option of the constructor or of an algorithm is wrong: a non-positive limit, an unparsable duration… */
  | 'config';

/**
 * The one error class of `@restash/ratelimit`. It is a `TypeError`, because it
 * is only ever thrown for bad input, at construction or at the call, never for
 * a failure of Redis or of the network (those follow `failMode`).
 *
 * @example
 * try {
 *   Ratelimit.slidingWindow(10, '10 parsecs');
 * } catch (error) {
 *   if (error instanceof RatelimitError && error.code === 'config') console.error(error.message);
 * }
 */
export class RatelimitError extends TypeError {
  override readonly name = 'RatelimitError';
  readonly code: RatelimitErrorCode;

  constructor(code: RatelimitErrorCode, message: string, options?: { cause?: unknown }) {
    super(`[restash/ratelimit] ${message}`, options);
    this.code = code;
  }
}
