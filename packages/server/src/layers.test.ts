import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('.', import.meta.url).pathname;

/**
 * The server's layers, top first. A module may import from its own layer or
 * any layer below it, never from one above: requests come in through the
 * transport and go down to Redis, and nothing down there knows who called it.
 *
 * - cli: flags, config files and `main` — it only calls `createServer`.
 * - server: the wiring (`createServer`, the public entries, the test helpers shipped as `/testing`).
 * - listener: the sockets — the HTTP(S) engine, connection caps, TLS reloads, the
 *   metrics listener, a graceful close — handing requests to the transport.
 * - transport: HTTP in, bytes out (routes, SSE, metrics).
 * - database: one fronted database put together — its backend, command table,
 *   executor, per-user ACL executors —, the set of them a server runs (apply,
 *   retire, reload), and the token → identity (database, access, executor)
 *   resolution that the transport asks for.
 * - config: the server's options, and the one place their rules are checked
 *   (each caller says how its errors name an option).
 * - protocol: parse a request into commands, check them, execute them, encode replies.
 * - auth: tokens, access levels, sealed `ACL RESTTOKEN` tokens.
 * - backend: connections to Redis (single, cluster, Sentinel), and the embedded redis-server process.
 * - leaf: RESP types and codec, the `ServerError` type, the logger, the version, a coarse clock — they import
 *   nothing of the server but each other.
 *
 * Unit tests (`*.test.ts`) are left out: a test may wire real pieces of several layers together.
 */
const LAYERS: { name: string; holds: string[] }[] = [
  { name: 'cli', holds: ['cli', 'cli.ts'] },
  { name: 'server', holds: ['server.ts', 'index.ts', 'testing'] },
  { name: 'listener', holds: ['listener'] },
  { name: 'transport', holds: ['transport'] },
  { name: 'database', holds: ['database'] },
  { name: 'config', holds: ['config'] },
  { name: 'protocol', holds: ['protocol'] },
  { name: 'auth', holds: ['auth'] },
  { name: 'backend', holds: ['backend', 'embedded'] },
  { name: 'leaf', holds: ['resp', 'clock.ts', 'errors.ts', 'log.ts', 'version.ts'] },
];

const IMPORT = /(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The folder (or, for a file directly in `src`, the file) a module belongs to. */
function unitOf(file: string): string {
  return relative(SRC, file).split('/')[0]!.replace(/\.js$/, '.ts');
}

function rankOf(unit: string): number {
  return LAYERS.findIndex((layer) => layer.holds.includes(unit));
}

/** Every relative import of every shipped module, as unit → unit edges. */
function imports(): { from: string; to: string; file: string; spec: string }[] {
  return sources(SRC).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((match) => {
      const spec = match[1]!;
      return {
        from: unitOf(file),
        to: unitOf(resolve(dirname(file), spec)),
        file: relative(SRC, file),
        spec,
      };
    }),
  );
}

describe('layering of the server', () => {
  it('places every folder and top-level file of src in a layer', () => {
    const units = new Set(sources(SRC).map(unitOf));
    expect(units.size).toBeGreaterThan(8);
    expect([...units].filter((unit) => rankOf(unit) === -1)).toEqual([]);
  });

  it('imports only from the same layer or a layer below', () => {
    const edges = imports();
    expect(edges.length).toBeGreaterThan(50);
    const upward = edges
      .filter(({ from, to }) => rankOf(to) < rankOf(from))
      .map(({ file, spec, to }) => `${file} imports ${spec} (${LAYERS[rankOf(to)]?.name ?? to})`);
    expect(upward).toEqual([]);
  });

  it('has no import cycle between folders', () => {
    const graph = new Map<string, Set<string>>();
    for (const { from, to } of imports()) {
      if (from === to) continue;
      if (!graph.has(from)) graph.set(from, new Set());
      graph.get(from)!.add(to);
    }
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (unit: string, path: string[]): void => {
      if (state.get(unit) === 'done') return;
      if (state.get(unit) === 'open') {
        cycles.push([...path.slice(path.indexOf(unit)), unit].join(' → '));
        return;
      }
      state.set(unit, 'open');
      for (const next of graph.get(unit) ?? []) visit(next, [...path, unit]);
      state.set(unit, 'done');
    };
    for (const unit of graph.keys()) visit(unit, []);
    expect(cycles).toEqual([]);
  });
});
