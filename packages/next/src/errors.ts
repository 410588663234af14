/** What went wrong, for code that branches on it. */
export type RestashNextErrorCode =
  /** The Restash server could not be reached or answered with an error while tags were being updated. */
  | 'unavailable'
  /** The handler or the kit was configured wrongly (missing environment variables, bad options). */
  | 'config'
  /** `lock()` could not take the lock within its retries. */
  | 'locked'
  /** `idempotent()` found the same key still running and was told not to wait (or waited past its limit). */
  | 'in-flight'
  /** A value given to the kit could not be stored (not JSON-serializable). */
  | 'invalid-argument';

/**
 * The one error class of `@restash/next`. Messages start with `[restash/next] `;
 * the underlying error, when there is one, is kept as `cause`.
 *
 * @example
 * ```ts
 * try { await kit.lock('report', build) }
 * catch (error) { if (error instanceof RestashNextError && error.code === 'locked') return busy() }
 * ```
 */
export class RestashNextError extends Error {
  override readonly name = 'RestashNextError';
  /** What went wrong. */
  readonly code: RestashNextErrorCode;

  constructor(code: RestashNextErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(`[restash/next] ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** Throws a `config` error unless `value` is a finite number above zero. */
export function positive(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RestashNextError('config', `${name} must be a number above 0, got ${String(value)}`);
  }
  return value;
}
