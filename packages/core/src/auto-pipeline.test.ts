import { describe, expect, it } from 'vitest';
import { Redis } from './client.js';
import type { RestReply } from './protocol/index.js';
import type { Requester, RequesterRequest } from './requester.js';

/** A requester that records requests and answers each command with its first argument (no Redis). */
function echoRequester(fail?: (request: RequesterRequest) => Error | undefined) {
  const requests: RequesterRequest[] = [];
  const requester: Requester = {
    async request(request) {
      requests.push(request);
      const error = fail?.(request);
      if (error) throw error;
      return request.commands.map(
        (command): RestReply =>
          command.args[1] === 'bad' ? { error: 'ERR bad' } : { result: command.args[1] ?? null },
      );
    },
  };
  return { requester, requests };
}

describe('auto-pipelining', () => {
  it('sends commands issued together as one pipeline and gives each caller its own result or error', async () => {
    const { requester, requests } = echoRequester();
    const redis = new Redis({ requester });
    const results = await Promise.allSettled([redis.get('a'), redis.get('bad'), redis.get('c')]);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.kind).toBe('pipeline');
    expect(results[0]).toEqual({ status: 'fulfilled', value: 'a' });
    expect(results[1]).toMatchObject({
      status: 'rejected',
      reason: { code: 'redis', message: 'ERR bad', command: 'GET' },
    });
    expect(results[2]).toEqual({ status: 'fulfilled', value: 'c' });
  });

  it('sends a lone command as a single command and splits batches at maxPipelineSize', async () => {
    const { requester, requests } = echoRequester();
    const redis = new Redis({ requester, maxPipelineSize: 2 });
    await redis.get('x');
    expect(requests[0]!.kind).toBe('command');
    const values = await Promise.all(['1', '2', '3', '4', '5'].map((key) => redis.get(key)));
    expect(values).toEqual([1, 2, 3, 4, 5]);
    expect(requests.slice(1).map((r) => r.commands.length)).toEqual([2, 2, 1]);
  });

  it('sends a burst split by size or by a command that needs its own request in order, one after another', async () => {
    const requests: RequesterRequest[] = [];
    const answers: (() => void)[] = [];
    const requester: Requester = {
      request(request) {
        requests.push(request);
        return new Promise((resolve) => {
          answers.push(() =>
            resolve(request.commands.map((command) => ({ result: command.args[1] ?? null }))),
          );
        });
      },
    };
    const redis = new Redis({ requester, maxPipelineSize: 2, automaticDeserialization: false });
    const binary = new Uint8Array([0xff]);
    const results = Promise.all([
      redis.set('a', '1'),
      redis.set('b', '2'),
      redis.set('c', '3'),
      redis.set('d', binary),
      redis.get('e'),
    ]);
    const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
    const sent = () => requests.map((r) => r.commands.map((c) => c.args[1]));
    await settle();
    // Only the first request is in flight: the next waits for its answer.
    expect(sent()).toEqual([['a', 'b']]);
    answers.shift()!();
    await settle();
    expect(sent()).toEqual([['a', 'b'], ['c']]);
    answers.shift()!();
    await settle();
    expect(sent()).toEqual([['a', 'b'], ['c'], ['d']]);
    answers.shift()!();
    await settle();
    answers.shift()!();
    expect(await results).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(requests.map((r) => r.kind)).toEqual(['pipeline', 'command', 'command', 'command']);
  });

  it('rejects every caller of a failed batch and sends views with options on their own', async () => {
    const { requester, requests } = echoRequester((request) =>
      request.kind === 'pipeline' ? new Error('down') : undefined,
    );
    const redis = new Redis({ requester });
    const results = await Promise.allSettled([redis.get('a'), redis.get('b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const controller = new AbortController();
    const view = redis.with({ signal: controller.signal, timeout: 100 });
    expect(await Promise.all([view.get('a'), view.get('b')])).toEqual(['a', 'b']);
    expect(requests.slice(1).map((r) => [r.kind, r.timeout, r.signal])).toEqual([
      ['command', 100, controller.signal],
      ['command', 100, controller.signal],
    ]);
  });

  it('marks requests with commands that could apply twice as not retryable when asked', async () => {
    const { requester, requests } = echoRequester();
    const redis = new Redis({ requester, retry: { idempotentOnly: true }, enableAutoPipelining: false });
    await redis.get('a');
    await redis.incr('a');
    await redis.pipeline().get('a').lpush('l', 'x').exec();
    expect(requests.map((r) => r.retry)).toEqual([true, false, false]);
  });

  it('also treats SET … GET, ZADD … INCR, HGETDEL and ZREMRANGEBYRANK as not retryable, in any case', async () => {
    const { requester, requests } = echoRequester();
    const redis = new Redis({ requester, retry: { idempotentOnly: true }, enableAutoPipelining: false });
    await redis.set('k', 'v', { get: true });
    await redis.sendCommand(['set', 'k', 'v', 'get']);
    await redis.zadd('z', { incr: true }, { score: 1, member: 'm' });
    // The echo requester's reply is not a list; only the request matters here.
    await redis.hgetdel('h', 'f').catch(() => undefined);
    await redis.zremrangebyrank('z', 0, 0);
    await redis.set('k', 'v', { px: 10 });
    await redis.zadd('z', { score: 1, member: 'm' });
    expect(requests.map((r) => r.retry)).toEqual([false, false, false, false, false, true, true]);
  });

  it('sends the arguments sendCommand was given, even if the caller reuses its array before the batch goes out', async () => {
    const { requester, requests } = echoRequester();
    const redis = new Redis({ requester });
    const args = ['GET', 'first'];
    const pending = redis.sendCommand(args);
    args[1] = 'second';
    expect(await pending).toBe('first');
    expect(requests[0]!.commands[0]!.args).toEqual(['GET', 'first']);
  });

  it('turns bad arguments into a rejected promise without sending anything', async () => {
    const { requester, requests } = echoRequester();
    const redis = new Redis({ requester });
    await expect(redis.set('k', 'v', { ex: 1, px: 1 })).rejects.toMatchObject({
      code: 'invalid-argument',
      command: 'SET',
    });
    await expect(redis.sendCommand([])).rejects.toThrow(/command name first/);
    await expect(redis.sendCommand(['SET', 'k', null as unknown as string])).rejects.toThrow(
      /argument 2 is null/,
    );
    expect(() => redis.pipeline().set('k', undefined)).toThrow(/undefined cannot be sent/);
    await expect(redis.pipeline().exec()).rejects.toThrow('[restash/core] the pipeline is empty');
    expect(requests).toHaveLength(0);
  });
});
