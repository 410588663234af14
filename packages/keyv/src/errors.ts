/**
 * What went wrong, as a stable string to branch on:
 * - `config`: bad options given to `new KeyvRestash()` or `createKeyv()`;
 * - `invalid-argument`: a bad value passed to a store method (a negative TTL…); nothing was sent;
 * - `command`: the server or Redis failed a command; `cause` holds the `RestashError`.
 */
export type KeyvRestashErrorCode = 'config' | 'invalid-argument' | 'command';

const PREFIX = '[restash/keyv] ';

/**
 * The one error class of `@restash/keyv`. The store emits it as an `error`
 * event (Keyv re-emits it) and throws it only with `throwOnErrors: true`.
 *
 * @example
 * keyv.on('error', (error) => {
 *   if (error instanceof KeyvRestashError && error.code === 'command') console.warn(error.message);
 * });
 */
export class KeyvRestashError extends Error {
  override readonly name = 'KeyvRestashError';
  readonly code: KeyvRestashErrorCode;

  constructor(code: KeyvRestashErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(
      message.startsWith(PREFIX) ? message : PREFIX + message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
  }
}
