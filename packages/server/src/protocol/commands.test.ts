import { describe, expect, it } from 'vitest';
import { CommandTable, commandList } from './commands.js';

describe('CommandTable.administrative', () => {
  it('refuses server administration before the COMMAND reply is loaded, named as after', () => {
    const table = new CommandTable();
    expect(table.ready).toBe(false);
    expect(table.administrative('SHUTDOWN', ['SHUTDOWN', 'NOSAVE'])).toBe(
      "ERR Command is not available: 'SHUTDOWN'",
    );
    expect(table.administrative('CONFIG', ['CONFIG', 'set', 'maxmemory', '1'])).toBe(
      "ERR Command is not available: 'CONFIG SET'",
    );
    expect(table.administrative('MIGRATE', ['MIGRATE', 'h', '1', 'k', '0', '1'])).toBe(
      "ERR Command is not available: 'MIGRATE'",
    );
    expect(table.administrative('GET', ['GET', 'k'])).toBeUndefined();
    expect(table.administrative('ACL', ['ACL', 'SETUSER', 'u'])).toBeUndefined();
  });

  it('applies the operator allow and deny lists, deny first', () => {
    const table = new CommandTable();
    table.policy = {
      allow: commandList(['config|get', 'DEBUG'], true),
      deny: commandList(['debug', 'EVAL'], false),
    };
    expect(table.administrative('CONFIG', ['CONFIG', 'GET', 'x'])).toBeUndefined();
    expect(table.administrative('CONFIG', ['CONFIG', 'SET', 'x', 'y'])).toMatch(/'CONFIG SET'/);
    expect(table.administrative('DEBUG', ['DEBUG', 'SLEEP', '0'])).toBe(
      "ERR Command is not available: 'DEBUG'",
    );
    expect(table.administrative('EVAL', ['EVAL', 'return 1', '0'])).toBe(
      "ERR Command is not available: 'EVAL'",
    );
  });

  it('refuses to allow commands the REST API can never run, and names that are not commands', () => {
    expect(() => commandList(['SELECT'], true)).toThrow(/cannot be allowed/);
    expect(() => commandList(['a b'], false)).toThrow(/not a command name/);
    expect([...commandList([' flushall ', 'Object|Freq'], false)]).toEqual(['FLUSHALL', 'OBJECT|FREQ']);
  });
});
