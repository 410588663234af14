import { type Redis, type RedisOptions, RestashError } from '@restash/core';

/**
 * Makes a client the way the runtime under test passes its environment to
 * `Redis.fromEnv()` (the Worker `env`, `Deno.env`, `process.env`, a page's
 * config), with extra client options.
 */
export type MakeClient = (options?: Omit<RedisOptions, 'url' | 'token' | 'requester'>) => Redis;

/** What every step gets: a client factory and a key prefix of its own. */
export interface StepContext {
  redis: MakeClient;
  /** Every key a step writes starts with this (a hash tag, e.g. `{t1k3j9x0a}:`). */
  prefix: string;
}

/** One conformance step: resolves with details when the runtime behaved, throws when it did not. */
export type Step = (context: StepContext) => Promise<unknown>;

/** The outcome of one step inside a runtime, as the runtime reports it (plain JSON). */
export type StepResult =
  | { ok: true; detail?: unknown }
  | { ok: false; error: { name: string; message: string; code?: string; stack?: string } };

/** A step took longer than this inside the runtime: it reports a failure instead of hanging. */
export const STEP_DEADLINE_MS = 15_000;

export class Mismatch extends Error {
  override readonly name = 'Mismatch';
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Mismatch(message);
}

export function show(value: unknown): string {
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})[${value.slice(0, 12).join(',')}…]`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false;
    return a.every((byte, i) => byte === b[i]);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!(Array.isArray(a) && Array.isArray(b)) || a.length !== b.length) return false;
    return a.every((item, i) => deepEqual(item, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

/** Throws a readable mismatch unless `actual` deep-equals `expected`. */
export function same(actual: unknown, expected: unknown, what: string): void {
  check(deepEqual(actual, expected), `${what}: expected ${show(expected)}, got ${show(actual)}`);
}

/** The rejection of `promise`, or a mismatch when it resolved. */
export async function rejection(promise: Promise<unknown>, what: string): Promise<unknown> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    return error;
  }
  throw new Mismatch(`${what}: expected a rejection, got ${show(value)}`);
}

/** Checks that `error` is a `RestashError` of `code` — the class from the bundle the runtime loaded. */
export function isRestashError(error: unknown, code: string, what: string): asserts error is RestashError {
  check(
    error instanceof RestashError,
    `${what}: expected a RestashError, got ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}`,
  );
  same(error.code, code, `${what}: code`);
}

function describeError(error: unknown): Extract<StepResult, { ok: false }>['error'] {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(error.stack ? { stack: error.stack } : {}),
    };
  }
  return { name: 'thrown', message: show(error) };
}

/** Runs one step and reports its outcome as JSON, never throwing and never outliving its deadline. */
export async function runStep(
  steps: Record<string, Step>,
  name: string,
  context: StepContext,
): Promise<StepResult> {
  const step = steps[name];
  if (!step) return { ok: false, error: { name: 'UnknownStep', message: `no step named ${show(name)}` } };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Mismatch(`the step did not finish within ${STEP_DEADLINE_MS / 1000} s`)),
      STEP_DEADLINE_MS,
    );
  });
  try {
    const detail = await Promise.race([step(context), deadline]);
    return detail === undefined ? { ok: true } : { ok: true, detail };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A `fetch` handler for runtimes that serve HTTP: `POST /steps/<name>` with
 * `{ "prefix": "…" }` runs that step and answers its {@link StepResult}.
 */
export function createHandler(
  steps: Record<string, Step>,
  redis: MakeClient,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    const match = /^\/steps\/(.+)$/.exec(url.pathname);
    if (request.method !== 'POST' || !match?.[1]) return new Response('not found', { status: 404 });
    const { prefix } = (await request.json()) as { prefix: string };
    const result = await runStep(steps, decodeURIComponent(match[1]), { redis, prefix });
    return new Response(JSON.stringify(result), { headers: { 'content-type': 'application/json' } });
  };
}
