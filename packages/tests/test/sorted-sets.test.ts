import type { Redis } from '@restash/core';
import { prefix, useStack } from '@restash/test-harness';
import { beforeAll, describe, expect, it } from 'vitest';

const stack = useStack();
const p = prefix();
let redis: Redis;
beforeAll(() => {
  redis = stack.client();
});

describe('sorted sets', () => {
  it('adds members with options and reads ranges by rank, score and lex', async () => {
    expect(
      await redis.zadd(
        `${p}z`,
        { score: 1, member: 'a' },
        { score: 2, member: 'b' },
        { score: 3, member: 'c' },
      ),
    ).toBe(3);
    expect(await redis.zadd(`${p}z`, { nx: true }, { score: 10, member: 'a' })).toBe(0);
    expect(await redis.zadd(`${p}z`, { xx: true, ch: true }, { score: 1.5, member: 'a' })).toBe(1);
    expect(await redis.zadd(`${p}z`, { incr: true }, { score: 1, member: 'a' })).toBe(2.5);
    expect(await redis.zrange(`${p}z`, 0, -1)).toEqual(['b', 'a', 'c']);
    expect(await redis.zrange(`${p}z`, 0, -1, { rev: true, withScores: true })).toEqual([
      { member: 'c', score: 3 },
      { member: 'a', score: 2.5 },
      { member: 'b', score: 2 },
    ]);
    expect(await redis.zrange(`${p}z`, '(2', '+inf', { byScore: true, offset: 0, count: 1 })).toEqual(['a']);
    expect(await redis.zcount(`${p}z`, 2, '+inf')).toBe(3);
    expect(await redis.zscore(`${p}z`, 'a')).toBe(2.5);
    expect(await redis.zscore(`${p}z`, 'nope')).toBeNull();
    expect(await redis.zmscore(`${p}z`, ['a', 'nope'])).toEqual([2.5, null]);
    expect(await redis.zrank(`${p}z`, 'c')).toBe(2);
    expect(await redis.zrevrank(`${p}z`, 'c')).toBe(0);
    expect(await redis.zincrby(`${p}z`, 10, 'b')).toBe(12);
    expect(await redis.zcard(`${p}z`)).toBe(3);
    await redis.zadd(
      `${p}lex`,
      { score: 0, member: 'a' },
      { score: 0, member: 'b' },
      { score: 0, member: 'c' },
    );
    expect(await redis.zrange(`${p}lex`, '[b', '+', { byLex: true })).toEqual(['b', 'c']);
    expect(await redis.zlexcount(`${p}lex`, '-', '(c')).toBe(2);
    expect(await redis.zrangestore(`${p}copy`, `${p}z`, 0, 1)).toBe(2);
  });

  it('pops, removes and samples members with their scores', async () => {
    await redis.zadd(
      `${p}p`,
      { score: 1, member: 'a' },
      { score: 2, member: 'b' },
      { score: 3, member: 'c' },
      { score: 4, member: 'd' },
    );
    expect(await redis.zpopmin(`${p}p`)).toEqual([{ member: 'a', score: 1 }]);
    expect(await redis.zpopmax(`${p}p`, 1)).toEqual([{ member: 'd', score: 4 }]);
    expect(await redis.zmpop([`${p}p`], 'min', 1)).toEqual([`${p}p`, [{ member: 'b', score: 2 }]]);
    expect(await redis.zrandmember(`${p}p`)).toBe('c');
    expect(await redis.zrandmember(`${p}p`, 1, true)).toEqual([{ member: 'c', score: 3 }]);
    await redis.zadd(
      `${p}r`,
      { score: 1, member: 'a' },
      { score: 2, member: 'b' },
      { score: 3, member: 'c' },
    );
    expect(await redis.zrem(`${p}r`, 'a', 'x')).toBe(1);
    expect(await redis.zremrangebyscore(`${p}r`, 0, 2)).toBe(1);
    expect(await redis.zremrangebyrank(`${p}r`, 0, 0)).toBe(1);
    await redis.zadd(`${p}rl`, { score: 0, member: 'a' }, { score: 0, member: 'b' });
    expect(await redis.zremrangebylex(`${p}rl`, '[a', '[a')).toBe(1);
  });

  it('combines sorted sets with weights and aggregates', async () => {
    await redis.zadd(`${p}x`, { score: 1, member: 'a' }, { score: 2, member: 'b' });
    await redis.zadd(`${p}y`, { score: 10, member: 'b' }, { score: 20, member: 'c' });
    expect(await redis.zunion([`${p}x`, `${p}y`], { withScores: true, aggregate: 'max' })).toEqual([
      { member: 'a', score: 1 },
      { member: 'b', score: 10 },
      { member: 'c', score: 20 },
    ]);
    expect(await redis.zinter([`${p}x`, `${p}y`], { weights: [2, 1], withScores: true })).toEqual([
      { member: 'b', score: 14 },
    ]);
    expect(await redis.zdiff([`${p}x`, `${p}y`])).toEqual(['a']);
    expect(await redis.zintercard([`${p}x`, `${p}y`])).toBe(1);
    expect(await redis.zunionstore(`${p}u`, [`${p}x`, `${p}y`])).toBe(3);
    expect(await redis.zinterstore(`${p}i`, [`${p}x`, `${p}y`], { aggregate: 'min' })).toBe(1);
    expect(await redis.zdiffstore(`${p}d`, [`${p}x`, `${p}y`])).toBe(1);
  });

  it('walks members with zscanIterator', async () => {
    const members = Array.from({ length: 150 }, (_, i) => ({ score: i, member: `m${i}` }));
    await redis.zadd(`${p}big`, members[0]!, ...members.slice(1));
    const seen = [];
    for await (const entry of redis.zscanIterator(`${p}big`, { count: 20 })) seen.push(entry);
    expect(seen.sort((a, b) => a.score - b.score)).toEqual(members);
    const [, items] = await redis.zscan(`${p}big`, 0, { match: 'm1', count: 1000 });
    expect(items).toEqual(['m1', 1]);
  });
});

describe('geo', () => {
  it('adds positions and measures, hashes and searches them', async () => {
    expect(
      await redis.geoadd(
        `${p}g`,
        { longitude: 13.361389, latitude: 38.115556, member: 'Palermo' },
        { longitude: 15.087269, latitude: 37.502669, member: 'Catania' },
      ),
    ).toBe(2);
    expect(await redis.geoadd(`${p}g`, { nx: true }, { longitude: 0, latitude: 0, member: 'Palermo' })).toBe(
      0,
    );
    const km = await redis.geodist(`${p}g`, 'Palermo', 'Catania', 'km');
    expect(km).toBeCloseTo(166.27, 1);
    expect(await redis.geodist(`${p}g`, 'Palermo', 'Nowhere')).toBeNull();
    expect(await redis.geohash(`${p}g`, 'Palermo', 'Nowhere')).toEqual(['sqc8b49rny0', null]);
    const [pos, none] = await redis.geopos(`${p}g`, 'Palermo', 'Nowhere');
    expect(pos?.longitude).toBeCloseTo(13.361389, 4);
    expect(none).toBeNull();
    const found = await redis.geosearch(
      `${p}g`,
      { longitude: 15, latitude: 37 },
      { radius: 200, unit: 'km' },
      {
        order: 'ASC',
        withDist: true,
        withCoord: true,
        withHash: true,
      },
    );
    expect(found.map((r) => r.member)).toEqual(['Catania', 'Palermo']);
    expect(found[0]!.dist).toBeCloseTo(56.44, 1);
    expect(found[0]!.coord?.latitude).toBeCloseTo(37.502669, 4);
    expect(typeof found[0]!.hash).toBe('number');
    expect(
      await redis.geosearch(`${p}g`, { member: 'Palermo' }, { width: 10, height: 10, unit: 'km' }),
    ).toEqual([{ member: 'Palermo' }]);
    expect(
      await redis.geosearchstore(
        `${p}near`,
        `${p}g`,
        { member: 'Catania' },
        { radius: 500, unit: 'km' },
        { storeDist: true },
      ),
    ).toBe(2);
  });
});
