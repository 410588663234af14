import type { Step } from '../conformance.js';
import { steps as core } from './core.js';
import { steps as keyv } from './keyv.js';
import { steps as next } from './next.js';
import { steps as ratelimit } from './ratelimit.js';

/**
 * The groups of conformance steps: the client itself, then each package that
 * claims to run at the edge. Each group is built and loaded on its own
 * (`#steps` is aliased to `src/steps/<group>.ts`), so a package that cannot
 * load in a runtime fails its own steps only.
 */
export const GROUPS = { core, ratelimit, keyv, next } satisfies Record<string, Record<string, Step>>;

/** A group of steps (`src/steps/<group>.ts`). */
export type Group = keyof typeof GROUPS;
