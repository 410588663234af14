import { prefix, type StackOptions, useStack } from '@restash/test-harness';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { stepNames } from '../src/conformance.js';
import type { RuntimeUnderTest, Target } from '../src/runtimes/shared.js';

/** A documented failure of one step in one runtime. */
export interface KnownFailure {
  /** Why it fails and where the fix belongs. */
  reason: string;
  /** What the runtime's error message must match. */
  error: RegExp;
}

/** Options of {@link runtimeMatrix}. */
export interface MatrixOptions {
  /** Server options for this runtime's stack (e.g. a CORS origin). */
  stack?: StackOptions;
  /**
   * Steps known to fail in this runtime because of a bug outside this package,
   * with the reason (kept in the README) and the error it fails with. Such a
   * step passes when it fails with exactly that error, and also when it starts
   * passing (the test is then annotated: remove the entry); any other failure
   * fails it.
   */
  knownFailures?: Record<string, KnownFailure>;
}

/**
 * One test per conformance step for one runtime, against its own real
 * redis-server and Restash server. The runtime starts once, in `beforeAll`; a
 * failing test is named `<runtime> › <step>` and carries the error the
 * runtime reported.
 */
export function runtimeMatrix(
  runtime: string,
  start: (target: Target) => Promise<RuntimeUnderTest>,
  options: MatrixOptions = {},
): void {
  describe(runtime, () => {
    const stack = useStack(options.stack);
    let current: RuntimeUnderTest | undefined;

    beforeAll(async () => {
      current = await start({ url: stack.url, token: stack.token });
    });
    afterAll(async () => {
      await current?.stop();
    });

    for (const step of stepNames) {
      const known = options.knownFailures?.[step];
      it(known ? `${step} (known failure: ${known.reason})` : step, async ({ annotate }) => {
        if (!current) throw new Error(`${runtime} did not start`);
        const result = await current.run(step, prefix());
        if (result.ok) {
          if (known) await annotate(`the known failure is gone: remove it from the ${runtime} matrix`);
          return;
        }
        const { name, code, message, stack: trace } = result.error;
        if (known?.error.test(message)) {
          await annotate(`known failure: ${message.split('\n')[0]}`);
          return;
        }
        const error = new Error(
          `${current.version} failed "${step}": ${name}${code ? ` [${code}]` : ''}: ${message}`,
        );
        if (trace) error.stack = `${error.message}\n--- inside ${runtime} ---\n${trace}`;
        throw error;
      });
    }
  });
}
