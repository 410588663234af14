/**
 * What went wrong, as a stable string to branch on:
 * - `config`: bad module options (no connection, a bad TTL or lock setting);
 * - `invalid-argument`: a decorator's key or tags function returned something unusable.
 */
export type RestashNestErrorCode = 'config' | 'invalid-argument';

const PREFIX = '[restash/nestjs] ';

/**
 * The one error class of `@restash/nestjs`. Cache failures at run time never
 * surface as errors (a failed read is a miss, a failed write is logged); this
 * is thrown for mistakes in the code or the configuration.
 *
 * @example
 * if (error instanceof RestashNestError && error.code === 'config') process.exit(1);
 */
export class RestashNestError extends Error {
  override readonly name = 'RestashNestError';
  readonly code: RestashNestErrorCode;

  constructor(code: RestashNestErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(
      message.startsWith(PREFIX) ? message : PREFIX + message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
  }
}
