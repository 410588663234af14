import { describe, expect, it } from 'vitest';
import type { Backend, BatchCallback } from '../backend/backend.js';
import type { Reply } from '../resp/resp.js';
import { CommandTable } from './commands.js';
import { type Answer, Executor } from './execute.js';

/** A reply that cannot become a string, as a reply beyond V8's string limit (~512 MiB) cannot. */
function unencodable(): Reply[] {
  const reply: Reply[] = ['x'];
  Object.defineProperty(reply, 0, {
    get() {
      throw new RangeError('Invalid string length');
    },
  });
  return reply;
}

/** A backend that answers every batch with `reply` for each command (and QUEUED/EXEC shapes for transactions). */
function backend(reply: () => Reply): Backend {
  return {
    send(commands: Reply[][], done: BatchCallback) {
      done(commands.map(reply));
    },
    atomic(commands: Reply[][], done: BatchCallback) {
      const inner = commands.slice(1, -1).map(reply);
      done(['OK', ...inner.map(() => 'QUEUED'), inner]);
    },
  } as unknown as Backend;
}

function run(call: (executor: Executor, done: (answer: Answer) => void) => void): Answer[] {
  const answers: Answer[] = [];
  call(new Executor({ backend: backend(unencodable), table: new CommandTable() }), (answer) =>
    answers.push(answer),
  );
  return answers;
}

const JSON_FORMAT = { base64: false, resp2: false };

describe('Executor', () => {
  it('answers a reply too big to encode with one 413, on every route, instead of throwing', () => {
    const single = run((executor, done) =>
      executor.single(['LRANGE', 'k', '0', '-1'], 'standard', JSON_FORMAT, done),
    );
    const pipeline = run((executor, done) =>
      executor.pipeline([['LRANGE', 'k', '0', '-1']], 'standard', { base64: true, resp2: false }, done),
    );
    const transaction = run((executor, done) =>
      executor.transaction([['LRANGE', 'k', '0', '-1']], 'standard', JSON_FORMAT, done),
    );
    for (const answers of [single, pipeline, transaction]) {
      expect(answers).toHaveLength(1);
      expect(answers[0]!.status).toBe(413);
      expect(JSON.parse(answers[0]!.body as string).error).toMatch(/^ERR max request size exceeded/);
    }
  });

  it('refuses a whole transaction up front when the identity may not run MULTI', () => {
    const sent: Reply[][][] = [];
    const connection = {
      send(commands: Reply[][]) {
        sent.push(commands);
      },
      atomic(commands: Reply[][]) {
        sent.push(commands);
      },
    } as unknown as Backend;
    const answers: Answer[] = [];
    new Executor({
      backend: connection,
      table: new CommandTable(),
      transactionDenial: () => 'NOPERM no multi',
    }).transaction([['SET', 'k', 'v']], 'standard', JSON_FORMAT, (answer) => answers.push(answer));
    expect(sent).toEqual([]);
    expect(answers).toEqual([
      { status: 400, body: '{"error":"NOPERM no multi"}', contentType: 'application/json' },
    ]);
  });
});
