// Raw commands and a middleware.
import { Redis } from '@upstash/redis';

export const connect = (url: string, token: string) => new Redis({ url, token });

export async function main(redis: Redis, key: (name: string) => string) {
  let requests = 0;
  redis.use(async (req, next) => {
    requests++;
    return next(req);
  });
  await redis.exec(['SET', key('raw'), 'value']);
  const length = await redis.exec<number>(['STRLEN', key('raw')]);
  return { length, counted: requests > 0 };
}
