import { Ratelimit } from '@restash/ratelimit';
import { check, type Step, same, show } from '../conformance.js';

async function limitOnce(ratelimit: Ratelimit, id: string) {
  const result = await ratelimit.limit(id);
  await result.pending;
  if (result.reason === 'error' || result.reason === 'timeout') {
    const cause =
      result.error instanceof Error ? `${result.error.name}: ${result.error.message}` : show(result.error);
    throw new Error(`limit() answered by failMode (${result.reason}): ${cause}`);
  }
  return result;
}

/** `@restash/ratelimit`'s core API, `limit()`, with the client the runtime made from its environment. */
export const steps = {
  async 'Ratelimit.limit() (sliding window)'({ redis, prefix }) {
    const ratelimit = new Ratelimit({
      redis: redis(),
      limiter: Ratelimit.slidingWindow(2, '60 s'),
      prefix: `${prefix}rl`,
    });
    const first = await limitOnce(ratelimit, 'user');
    same(
      [first.success, first.limit, first.remaining],
      [true, 2, 1],
      'first call: success, limit, remaining',
    );
    const second = await limitOnce(ratelimit, 'user');
    same([second.success, second.remaining], [true, 0], 'second call: success, remaining');
    const third = await limitOnce(ratelimit, 'user');
    same(third.success, false, 'third call: success');
    check(third.reset > Date.now(), `third call: reset should be in the future, got ${third.reset}`);
  },

  async 'Ratelimit.limit() (token bucket)'({ redis, prefix }) {
    const ratelimit = new Ratelimit({
      redis: redis(),
      limiter: Ratelimit.tokenBucket(1, '60 s', 1),
      prefix: `${prefix}tb`,
    });
    same((await limitOnce(ratelimit, 'ip')).success, true, 'first call: success');
    same((await limitOnce(ratelimit, 'ip')).success, false, 'second call: success');
  },
} satisfies Record<string, Step>;
