// Lua scripts: createScript with the EVALSHA fallback, and EVAL.
import { Redis } from '@upstash/redis';

export const connect = (url: string, token: string) => new Redis({ url, token });

export async function main(redis: Redis, key: (name: string) => string) {
  const incrTo = redis.createScript<number>(`return redis.call('INCRBY', KEYS[1], ARGV[1]) -- ${key('')}`);
  const first = await incrTo.exec([key('n')], ['5']);
  const second = await incrTo.exec([key('n')], ['2']);
  const echoed = await redis.eval<string[], string>('return ARGV[1]', [], ['hi']);
  return { first, second, echoed };
}
