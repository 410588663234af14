import { prefix, type StackOptions, useStack } from '@restash/test-harness';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { StepResult } from '../src/conformance.js';
import type { RuntimeUnderTest, Target } from '../src/runtimes/shared.js';
import { GROUPS, type Group } from '../src/steps/index.js';

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
  /** Only these groups of steps. @default every group */
  groups?: Group[];
  knownFailures?: Partial<Record<Group, Record<string, KnownFailure>>>;
}

/**
 * One test per conformance step for one runtime, against its own real
 * redis-server and Restash server (one per file). Each group of steps (the
 * client, then each package) loads in its own instance of the runtime, started
 * once in `beforeAll`, so a package that cannot load fails only its own steps.
 * A failing test is named `<runtime> › <group> › <step>` and carries the error
 * the runtime reported.
 */
export function runtimeMatrix(
  runtime: string,
  start: (target: Target, group: Group) => Promise<RuntimeUnderTest>,
  options: MatrixOptions = {},
): void {
  describe(runtime, () => {
    const stack = useStack(options.stack);

    for (const [group, steps] of Object.entries(GROUPS) as [Group, Record<string, unknown>][]) {
      if (options.groups && !options.groups.includes(group)) continue;
      describe(group, () => {
        let current: RuntimeUnderTest | undefined;
        let startError: unknown;

        beforeAll(async () => {
          try {
            current = await start({ url: stack.url, token: stack.token }, group);
          } catch (error) {
            startError = error;
          }
        });
        afterAll(async () => {
          await current?.stop();
        });

        for (const step of Object.keys(steps)) {
          const known = options.knownFailures?.[group]?.[step];
          it(known ? `${step} (known failure: ${known.reason})` : step, async ({ annotate }) => {
            const result: StepResult = current
              ? await current.run(step, prefix())
              : {
                  ok: false,
                  error: {
                    name: 'StartError',
                    message: `${runtime} could not load the ${group} entry: ${startError instanceof Error ? startError.message : String(startError)}`,
                  },
                };
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
              `${current?.version ?? runtime} failed "${group} › ${step}": ${name}${code ? ` [${code}]` : ''}: ${message}`,
            );
            if (trace) error.stack = `${error.message}\n--- inside ${runtime} ---\n${trace}`;
            throw error;
          });
        }
      });
    }
  });
}
