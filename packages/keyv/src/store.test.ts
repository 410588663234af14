import { describe, expect, it } from 'vitest';
import { KeyvRestashError } from './errors.js';
import { KeyvRestash } from './store.js';

/** A client that records commands and never answers from a network. */
function recordingClient() {
  const sent: unknown[][] = [];
  return {
    sent,
    client: {
      sendCommand: async (args: readonly (string | number)[]) => {
        sent.push([...args]);
        return null;
      },
      pipeline: () => {
        const batch: unknown[][] = [];
        return {
          sendCommand(args: readonly (string | number)[]) {
            batch.push([...args]);
            return this;
          },
          exec: async () => {
            sent.push(...batch);
            return batch.map(() => 'OK');
          },
        };
      },
    },
  };
}

describe('KeyvRestash options', () => {
  it('refuses a missing client with a config error', () => {
    expect(() => new KeyvRestash(undefined as never)).toThrow(KeyvRestashError);
    expect(() => new KeyvRestash(null as never)).toThrow(/\[restash\/keyv\] new KeyvRestash/);
  });

  it('refuses a clearBatchSize that is not a positive integer', () => {
    const { client } = recordingClient();
    expect(() => new KeyvRestash(client, { clearBatchSize: 0 })).toThrow(/clearBatchSize/);
    expect(() => new KeyvRestash(client, { clearBatchSize: 1.5 })).toThrow(/clearBatchSize/);
  });

  it('refuses a namespace or separator that is not a string', () => {
    const { client } = recordingClient();
    expect(() => new KeyvRestash(client, { namespace: 3 as never })).toThrow(/namespace/);
    expect(() => new KeyvRestash(client, { keyPrefixSeparator: 3 as never })).toThrow(/keyPrefixSeparator/);
  });

  it('declares the redis dialect so Keyv enables its iterator', () => {
    const { client } = recordingClient();
    expect(new KeyvRestash(client).opts).toMatchObject({
      dialect: 'redis',
      keyPrefixSeparator: '::',
      clearBatchSize: 1000,
      useUnlink: true,
      noNamespaceAffectsAll: false,
      throwOnErrors: false,
    });
  });
});

describe('KeyvRestash commands', () => {
  it('prefixes keys with the namespace and the separator', async () => {
    const { client, sent } = recordingClient();
    const store = new KeyvRestash(client, { namespace: 'app', keyPrefixSeparator: ':' });
    await store.get('k');
    expect(sent).toEqual([['GET', 'app:k']]);
    expect(store.getKeyWithoutPrefix('app:k')).toBe('k');
    store.namespace = undefined;
    expect(store.createKeyPrefix('k')).toBe('k');
  });

  it('rounds fractional TTLs up to whole milliseconds and sends none for 0', async () => {
    const { client, sent } = recordingClient();
    const store = new KeyvRestash(client);
    await store.set('a', 'v', 1.2);
    await store.set('b', 'v', 0);
    await store.set('c', 'v');
    expect(sent).toEqual([
      ['SET', 'a', 'v', 'PX', 2],
      ['SET', 'b', 'v'],
      ['SET', 'c', 'v'],
    ]);
  });

  it('deletes with DEL when useUnlink is false', async () => {
    const { client, sent } = recordingClient();
    await new KeyvRestash(client, { useUnlink: false }).deleteMany(['a', 'b']);
    expect(sent).toEqual([['DEL', 'a', 'b']]);
  });

  it('flushes the database on clear without a namespace only with noNamespaceAffectsAll', async () => {
    const { client, sent } = recordingClient();
    await new KeyvRestash(client, { noNamespaceAffectsAll: true }).clear();
    expect(sent).toEqual([['FLUSHDB']]);
  });

  it('refuses to store undefined and reports it as an invalid argument', async () => {
    const { client, sent } = recordingClient();
    const store = new KeyvRestash(client, { throwOnErrors: true });
    await expect(store.set('k', undefined)).rejects.toMatchObject({ code: 'invalid-argument' });
    expect(sent).toEqual([]);
  });

  it('sends nothing for empty batches', async () => {
    const { client, sent } = recordingClient();
    const store = new KeyvRestash(client);
    expect(await store.getMany([])).toEqual([]);
    expect(await store.setMany([])).toEqual([]);
    expect(await store.hasMany([])).toEqual([]);
    expect(await store.deleteMany([])).toBe(false);
    expect(sent).toEqual([]);
  });
});
