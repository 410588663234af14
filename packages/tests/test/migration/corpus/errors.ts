// Errors from Redis reach the caller with Redis's text.
import { Redis } from '@upstash/redis';

export const connect = (url: string, token: string) => new Redis({ url, token });

export async function main(redis: Redis, key: (name: string) => string) {
  await redis.set(key('text'), 'not a number');
  try {
    await redis.incr(key('text'));
    return 'no error';
  } catch (error) {
    return (error as Error).message.includes('ERR value is not an integer or out of range');
  }
}
