import { keys, useStack } from '@restash/test-harness';
import { expect, it } from 'vitest';
import { createCounter } from '../src/index.js';

const stack = useStack();

it('counts from one on a fresh key', async () => {
  const k = keys(stack.client());
  const counter = createCounter(stack.client(), k.key('visits'));
  expect(await counter.next()).toBe(1);
  expect(await counter.next()).toBe(2);
  await k.cleanup();
});
