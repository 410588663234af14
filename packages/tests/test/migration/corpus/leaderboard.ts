// A game leaderboard in sorted sets.
import { Redis } from '@upstash/redis';

export const connect = (url: string, token: string) => new Redis({ url, token });

export async function main(redis: Redis, key: (name: string) => string) {
  const board = key('board');
  await redis.zadd(
    board,
    { score: 10, member: 'ada' },
    { score: 7, member: 'bob' },
    { score: 3, member: 'cy' },
  );
  await redis.zadd(board, { gt: true }, { score: 12, member: 'bob' });
  await redis.zincrby(board, 5, 'cy');
  const top = await redis.zrange<string[]>(board, 0, 1, { rev: true });
  const byScore = await redis.zrange<string[]>(board, 5, 100, { byScore: true });
  await redis.zadd(key('weekly'), { score: 1, member: 'ada' });
  const merged = await redis.zunionstore(key('all'), 2, [board, key('weekly')]);
  return {
    top,
    byScore,
    merged,
    adaScore: await redis.zscore(board, 'ada'),
    bobRank: await redis.zrevrank(board, 'bob'),
    cyRank: await redis.zrank(board, 'cy'),
    size: await redis.zcard(board),
    count: await redis.zcount(board, 8, '+inf'),
    removed: await redis.zrem(board, 'cy', 'nobody'),
  };
}
