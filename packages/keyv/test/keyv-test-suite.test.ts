import keyvTestSuite, { keyvIteratorTests } from '@keyv/test-suite';
import { useStack } from '@restash/test-harness';
import Keyv from 'keyv';
import * as vitest from 'vitest';
import { KeyvRestash } from '../src/index.js';

// @keyv/test-suite 2.x takes the vitest namespace (it calls test.it, test.beforeEach…).
const suite = vitest as never;
const stack = useStack();

vitest.describe('@keyv/test-suite with a raw-mode client', () => {
  const store = () => new KeyvRestash(stack.client({ automaticDeserialization: false }));
  keyvTestSuite(suite, Keyv, store);
  keyvIteratorTests(suite, Keyv, store);
});

vitest.describe('@keyv/test-suite with a default (deserializing) client', () => {
  const store = () => new KeyvRestash(stack.client());
  keyvTestSuite(suite, Keyv, store);
  keyvIteratorTests(suite, Keyv, store);
});
