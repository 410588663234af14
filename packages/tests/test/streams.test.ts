import type { PendingEntry, PendingSummary, Redis } from '@restash/core';
import { prefix, useStack } from '@restash/test-harness';
import { beforeAll, describe, expect, it } from 'vitest';

const stack = useStack();
const p = prefix();
let redis: Redis;
beforeAll(() => {
  redis = stack.client();
});

describe('streams', () => {
  it('appends entries and reads them as { id, fields }', async () => {
    const first = await redis.xadd(`${p}s`, '*', { temp: 20, where: 'lab' });
    expect(first).toMatch(/^\d+-\d+$/);
    const second = await redis.xadd(`${p}s`, '*', { temp: { c: 21 } });
    expect(await redis.xlen(`${p}s`)).toBe(2);
    expect(await redis.xrange(`${p}s`)).toEqual([
      { id: first, fields: { temp: 20, where: 'lab' } },
      { id: second, fields: { temp: { c: 21 } } },
    ]);
    expect((await redis.xrevrange(`${p}s`, '+', '-', 1)).map((e) => e.id)).toEqual([second]);
    expect(await redis.xread(`${p}s`, first!)).toEqual([
      { stream: `${p}s`, entries: [{ id: second, fields: { temp: { c: 21 } } }] },
    ]);
    expect(await redis.xread([`${p}s`], ['$'])).toBeNull();
    expect(await redis.xadd(`${p}none`, '*', { a: 1 }, { nomkStream: true })).toBeNull();
    expect(await redis.xdel(`${p}s`, first!)).toBe(1);
    for (let i = 0; i < 5; i++)
      await redis.xadd(`${p}t`, '*', { i }, { trim: { type: 'MAXLEN', threshold: 3 } });
    expect(await redis.xlen(`${p}t`)).toBe(3);
    expect(await redis.xtrim(`${p}t`, { type: 'MAXLEN', comparison: '=', threshold: 1 })).toBe(2);
    expect(await redis.xsetid(`${p}t`, '99999999999999-0')).toBe('OK');
    expect(
      ((await redis.xinfo(`${p}t`, { type: 'STREAM' })) as Record<string, unknown>)['last-generated-id'],
    ).toBe('99999999999999-0');
    const full = (await redis.xinfo(`${p}t`, { type: 'STREAM', full: { count: 1 } })) as Record<
      string,
      unknown
    >;
    expect(full.length).toBe(1);
    expect(full.entries as unknown[]).toHaveLength(1);
  });

  it('reads as a consumer group, acknowledges, claims and reports pending entries', async () => {
    expect(
      await redis.xgroup(`${p}g`, { type: 'CREATE', group: 'workers', id: '$', options: { MKSTREAM: true } }),
    ).toBe('OK');
    const id = await redis.xadd(`${p}g`, '*', { job: 1 });
    const read = await redis.xreadgroup('workers', 'alice', `${p}g`, '>', { count: 10 });
    expect(read).toEqual([{ stream: `${p}g`, entries: [{ id, fields: { job: 1 } }] }]);
    const summary = (await redis.xpending(`${p}g`, 'workers')) as PendingSummary;
    expect(summary).toEqual({ count: 1, minId: id, maxId: id, consumers: [{ name: 'alice', count: 1 }] });
    const pending = (await redis.xpending(`${p}g`, 'workers', {
      start: '-',
      end: '+',
      count: 10,
    })) as PendingEntry[];
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ id, consumer: 'alice', deliveries: 1 });
    expect(await redis.xclaim(`${p}g`, 'workers', 'bob', 0, [id!])).toEqual([{ id, fields: { job: 1 } }]);
    const auto = await redis.xautoclaim(`${p}g`, 'workers', 'carol', 0, '0-0', { count: 10 });
    expect(auto.next).toBe('0-0');
    expect(auto.entries.map((e) => e.id)).toEqual([id]);
    expect(auto.deleted).toEqual([]);
    expect(await redis.xack(`${p}g`, 'workers', id!)).toBe(1);
    expect(await redis.xgroup(`${p}g`, { type: 'CREATECONSUMER', group: 'workers', consumer: 'dave' })).toBe(
      1,
    );
    const consumers = (await redis.xinfo(`${p}g`, { type: 'CONSUMERS', group: 'workers' })) as Record<
      string,
      unknown
    >[];
    expect(consumers.map((c) => c.name).sort()).toEqual(['alice', 'bob', 'carol', 'dave']);
    const groups = (await redis.xinfo(`${p}g`, { type: 'GROUPS' })) as Record<string, unknown>[];
    expect(groups[0]).toMatchObject({ name: 'workers', pending: 0 });
    expect(await redis.xgroup(`${p}g`, { type: 'DELCONSUMER', group: 'workers', consumer: 'dave' })).toBe(0);
    expect(await redis.xgroup(`${p}g`, { type: 'SETID', group: 'workers', id: '0' })).toBe('OK');
    expect(await redis.xgroup(`${p}g`, { type: 'DESTROY', group: 'workers' })).toBe(1);
  });

  it('reports the server refusing blocking reads as a Redis-style error', async () => {
    await expect(redis.sendCommand(['XREAD', 'BLOCK', 10, 'STREAMS', `${p}s`, '$'])).rejects.toThrow(
      /^ERR Command is not available: 'XREAD BLOCK'/,
    );
  });
});
