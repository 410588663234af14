import { type Redis, RestashError, type SubscriptionMessage } from '@restash/core';
import { prefix, useStack } from '@restash/test-harness';
import { beforeAll, describe, expect, it } from 'vitest';

const stack = useStack();
const p = prefix();
let redis: Redis;
beforeAll(() => {
  redis = stack.client();
});

/** Publishes until `done` resolves: a subscription only sees messages published after the server subscribed. */
async function until<T>(done: Promise<T>, publish: () => Promise<unknown>): Promise<T> {
  let finished = false;
  void done.finally(() => {
    finished = true;
  });
  for (let i = 0; i < 100 && !finished; i++) {
    await publish();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return done;
}

describe('subscribe over server-sent events', () => {
  it('confirms the subscription and delivers deserialized messages to listeners', async () => {
    const sub = redis.subscribe<{ n: number }>(`${p}chat`);
    const confirmed: { name: string; count: number }[] = [];
    sub.on('subscribe', (event) => confirmed.push(event));
    await sub.ready;
    expect(confirmed).toEqual([{ name: `${p}chat`, count: 1 }]);
    const got = new Promise<SubscriptionMessage<{ n: number }>>((resolve) => sub.on('message', resolve));
    expect(await redis.publish(`${p}chat`, { n: 1 })).toBe(1);
    expect(await got).toEqual({ channel: `${p}chat`, message: { n: 1 } });
    await sub.unsubscribe();
    expect(sub.names).toEqual([]);
  });

  it('iterates messages of several channels with for await, payload commas and all', async () => {
    const sub = redis.subscribe([`${p}a`, `${p}b`]);
    await sub.ready;
    await redis.publish(`${p}a`, 'one, two');
    await redis.publish(`${p}b`, '2');
    const seen: SubscriptionMessage[] = [];
    for await (const message of sub) {
      seen.push(message);
      if (seen.length === 2) break;
    }
    expect(seen.sort((x, y) => x.channel.localeCompare(y.channel))).toEqual([
      { channel: `${p}a`, message: 'one, two' },
      { channel: `${p}b`, message: 2 },
    ]);
    expect(sub.names).toEqual([]);
  });

  it('receives pattern messages with psubscribe, raw in raw mode', async () => {
    const raw = stack.client({ automaticDeserialization: false });
    const sub = raw.psubscribe(`${p}news.*`);
    await sub.ready;
    const got = new Promise((resolve) => sub.on('pmessage', resolve));
    await raw.publish(`${p}news.tech`, '{"a":1}');
    expect(await got).toEqual({ pattern: `${p}news.*`, channel: `${p}news.tech`, message: '{"a":1}' });
    await sub.unsubscribe();
  });

  it('gives each subscriber its own stream and stops delivery on unsubscribe', async () => {
    const one = redis.subscribe(`${p}shared`);
    const two = redis.subscribe(`${p}shared`);
    const counts: number[] = [];
    one.on('subscribe', (e) => counts.push(e.count));
    two.on('subscribe', (e) => counts.push(e.count));
    await Promise.all([one.ready, two.ready]);
    expect(counts).toEqual([1, 1]);
    await two.unsubscribe();
    const got = new Promise((resolve) => one.on('message', resolve));
    const receivers = await until(got, () => redis.publish(`${p}shared`, 'x'));
    expect(receivers).toEqual({ channel: `${p}shared`, message: 'x' });
    let subscribers = 0;
    for (let i = 0; i < 100; i++) {
      subscribers = (await redis.pubsubNumsub(`${p}shared`))[`${p}shared`] ?? -1;
      if (subscribers === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(subscribers).toBe(1);
    await one.unsubscribe();
  });

  it('delivers payloads with line breaks exactly, deserialized or raw', async () => {
    const payloads = ['a\nb', 'x\r\ny', '{\n  "pretty": true\n}', '"quoted"', 'one, two'];
    for (const automaticDeserialization of [true, false]) {
      const client = stack.client({ automaticDeserialization });
      const channel = `${p}lines:${automaticDeserialization}`;
      const sub = client.subscribe(channel);
      const patterns = client.psubscribe(`${p}lines:${automaticDeserialization}*`);
      await Promise.all([sub.ready, patterns.ready]);
      const messages: unknown[] = [];
      const pmessages: unknown[] = [];
      const all = new Promise<void>((resolve) =>
        patterns.on('pmessage', ({ message }) => {
          pmessages.push(message);
          if (pmessages.length === payloads.length) resolve();
        }),
      );
      sub.on('message', ({ message }) => messages.push(message));
      for (const payload of payloads) await client.publish(channel, payload);
      await all;
      await new Promise((resolve) => setTimeout(resolve, 20));
      const expected = automaticDeserialization
        ? ['a\nb', 'x\r\ny', { pretty: true }, 'quoted', 'one, two']
        : payloads;
      expect(messages).toEqual(expected);
      expect(pmessages).toEqual(expected);
      await Promise.all([sub.unsubscribe(), patterns.unsubscribe()]);
    }
  });

  it('closes the HTTP stream on unsubscribe, also when the client has a timeout', async () => {
    const client = stack.client({ timeout: 5_000 });
    const channel = `${p}closing`;
    const sub = client.subscribe(channel);
    await sub.ready;
    expect(await client.pubsubNumsub(channel)).toEqual({ [channel]: 1 });
    await sub.unsubscribe();
    let subscribers = -1;
    for (let i = 0; i < 100; i++) {
      subscribers = (await client.pubsubNumsub(channel))[channel] ?? -1;
      if (subscribers === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(subscribers).toBe(0);
  });

  it('rejects ready and reports an error when the token is wrong', async () => {
    const wrong = new (redis.constructor as typeof Redis)({ url: stack.server.url, token: 'wrong' });
    const sub = wrong.subscribe(`${p}x`);
    const errors: RestashError[] = [];
    sub.on('error', (e) => errors.push(e));
    await expect(sub.ready).rejects.toMatchObject({ code: 'http', status: 401 });
    expect(errors).toHaveLength(1);
    await expect(sub[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(RestashError);
  });
});
