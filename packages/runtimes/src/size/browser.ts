// A page reading one key with a read-only token.
import { Redis } from '@restash/core';

const redis = new Redis({ url: 'https://restash.example.com', token: 'read-only-token' });
redis.get<string>('greeting').then((greeting) => {
  document.body.textContent = greeting ?? '';
});
