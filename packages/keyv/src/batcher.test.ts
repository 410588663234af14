import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher.js';

type Args = readonly (string | number)[];

/** A client that records what it sends; a pipeline holding `FAIL` rejects as a whole. */
function recordingClient() {
  const requests: Args[][] = [];
  const reply = (args: Args) => {
    if (args[0] === 'FAIL') throw new Error('ERR failed');
    return `reply:${args.join(' ')}`;
  };
  return {
    requests,
    client: {
      sendCommand: async (args: Args) => {
        requests.push([args]);
        return reply(args);
      },
      pipeline: () => {
        const batch: Args[] = [];
        return {
          sendCommand(args: Args) {
            batch.push(args);
            return this;
          },
          exec: async () => {
            requests.push(batch);
            return batch.map(reply);
          },
        };
      },
    },
  };
}

describe('Batcher', () => {
  it('sends commands issued in separate ticks of one loop turn as one pipeline', async () => {
    const { client, requests } = recordingClient();
    const batcher = new Batcher(client);
    const results = await Promise.all([
      batcher.send(['GET', 'a']),
      Promise.resolve().then(() => batcher.send(['GET', 'b'])),
      new Promise((resolve) => process.nextTick(resolve)).then(() => batcher.send(['GET', 'c'])),
    ]);
    expect(results).toEqual(['reply:GET a', 'reply:GET b', 'reply:GET c']);
    expect(requests).toEqual([
      [
        ['GET', 'a'],
        ['GET', 'b'],
        ['GET', 'c'],
      ],
    ]);
  });

  it('sends a lone command on its own', async () => {
    const { client, requests } = recordingClient();
    expect(await new Batcher(client).send(['GET', 'a'])).toBe('reply:GET a');
    expect(requests).toEqual([[['GET', 'a']]]);
  });

  it('gives every caller its own answer when one command of the batch fails', async () => {
    const { client } = recordingClient();
    const batcher = new Batcher(client);
    const [ok, failed] = await Promise.allSettled([batcher.send(['GET', 'a']), batcher.send(['FAIL'])]);
    expect(ok).toEqual({ status: 'fulfilled', value: 'reply:GET a' });
    expect(failed.status).toBe('rejected');
  });

  it('flushes at once when the batch reaches its maximum size', async () => {
    const { client, requests } = recordingClient();
    const batcher = new Batcher(client, 2);
    await Promise.all([batcher.send(['GET', 'a']), batcher.send(['GET', 'b']), batcher.send(['GET', 'c'])]);
    expect(requests).toEqual([
      [
        ['GET', 'a'],
        ['GET', 'b'],
      ],
      [['GET', 'c']],
    ]);
  });
});

describe('Batcher under load', () => {
  it('holds commands while the most requests are in flight, then sends them together', async () => {
    const requests: number[] = [];
    const pending: (() => void)[] = [];
    const answer = (size: number) =>
      new Promise<unknown[]>((resolve) => {
        requests.push(size);
        pending.push(() => resolve(Array.from({ length: size }, () => 'OK')));
      });
    const client = {
      sendCommand: async () => (await answer(1))[0],
      pipeline: () => {
        let size = 0;
        return {
          sendCommand() {
            size++;
            return this;
          },
          exec: () => answer(size),
        };
      },
    };
    const batcher = new Batcher(client, 500, 1);
    const first = batcher.send(['GET', 'a']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(requests).toEqual([1]);
    const rest = [batcher.send(['GET', 'b']), batcher.send(['GET', 'c']), batcher.send(['GET', 'd'])];
    await new Promise((resolve) => setImmediate(resolve));
    expect(requests).toEqual([1]);
    pending.shift()?.();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(requests).toEqual([1, 3]);
    pending.shift()?.();
    expect(await Promise.all(rest)).toEqual(['OK', 'OK', 'OK']);
  });
});
