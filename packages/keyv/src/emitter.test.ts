import { describe, expect, it } from 'vitest';
import { Emitter } from './emitter.js';

describe('Emitter', () => {
  it('calls listeners in order and once-listeners only once', () => {
    const emitter = new Emitter();
    const calls: string[] = [];
    emitter.on('e', (x) => calls.push(`a${x}`));
    emitter.once('e', (x) => calls.push(`b${x}`));
    emitter.emit('e', 1);
    emitter.emit('e', 2);
    expect(calls).toEqual(['a1', 'b1', 'a2']);
    expect(emitter.listenerCount('e')).toBe(1);
  });

  it('drops an error event nobody listens to instead of throwing', () => {
    expect(new Emitter().emit('error', new Error('x'))).toBe(false);
  });

  it('removes a listener with off', () => {
    const emitter = new Emitter();
    const listener = () => {
      throw new Error('removed listener was called');
    };
    emitter.on('e', listener).off('e', listener);
    expect(emitter.emit('e')).toBe(false);
  });
});
