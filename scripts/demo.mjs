// The main demo: the Restash server with its embedded Redis, then every demo
// app in apps/ in front of it, each on its own port. Ctrl-C stops them all
// (apps first, then the server, which stops its Redis). Run by scripts/demo.sh
// after install and build.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const host = process.env.HOST ?? '127.0.0.1';
const serverPort = Number(process.env.RESTASH_PORT ?? 8079);
const dataDir = resolve(root, process.env.RESTASH_DATA_DIR ?? '.restash');
const serverUrl = `http://${host}:${serverPort}`;

/** The demo apps and their ports; an app missing from apps/ is skipped. */
const apps = [
  { dir: 'express-demo', port: 3001, what: 'express-session store + rate-limited login' },
  { dir: 'nest-demo', port: 3002, what: 'Nest cache module, caching decorators, tags' },
  { dir: 'next-demo', port: 3003, what: "Next.js 'use cache' handler + server actions" },
].filter((app) => existsSync(join(root, 'apps', app.dir, 'package.json')));

const children = new Set();
let stopping = false;

/** Runs a child with its output prefixed by `name`; resolves with the child. */
function start(name, command, args, env) {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.add(child);
  const relay = (stream, out) => {
    let rest = '';
    stream.on('data', (chunk) => {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop() ?? '';
      // Once stopping, pnpm's "command failed" for a child we ended is noise; the server's own lines still show.
      if (stopping && name !== 'server') return;
      for (const line of lines) out.write(`[${name}] ${line}\n`);
    });
  };
  relay(child.stdout, process.stdout);
  relay(child.stderr, process.stderr);
  child.once('exit', (code, signal) => {
    children.delete(child);
    if (!stopping) console.error(`[${name}] exited (${signal ?? `code ${code}`})`);
  });
  return child;
}

/** Polls `check` until true; a check that throws an Error with a message ends the wait at once. */
async function waitUntil(what, check, ms = 60_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await check().catch((error) => {
      if (error instanceof Error && error.message.includes('exited')) throw error;
      return false;
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not come up within ${ms / 1000} s`);
}

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  const server = [...children].find((c) => c.restashServer);
  for (const child of children) if (child !== server) kill(child);
  await new Promise((r) => setTimeout(r, 300));
  if (server) kill(server);
  const deadline = Date.now() + 10_000;
  while (children.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  process.exit(code);
}

function kill(child) {
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

const server = start(
  'server',
  process.execPath,
  [
    join(root, 'packages/server/dist/cli.js'),
    '--port',
    String(serverPort),
    '--host',
    host,
    '--data-dir',
    dataDir,
  ],
  {},
);
server.restashServer = true;
server.once('exit', () => {
  if (!stopping) stopAll(1);
});

const tokenFile = join(dataDir, 'token');
const token = process.env.RESTASH_TOKEN ?? (await waitForToken());

async function waitForToken() {
  await waitUntil(
    'the token file',
    async () => existsSync(tokenFile) && readFileSync(tokenFile, 'utf8').trim() !== '',
  );
  return readFileSync(tokenFile, 'utf8').trim();
}

try {
  await waitUntil('the Restash server', async () => {
    const res = await fetch(`${serverUrl}/ping`, { headers: { authorization: `Bearer ${token}` } });
    return res.ok;
  });
  for (const app of apps) {
    app.child = start(app.dir, 'pnpm', ['--filter', `@restash/${app.dir}`, '--silent', 'start'], {
      PORT: String(app.port),
      HOST: host,
      RESTASH_URL: serverUrl,
      RESTASH_TOKEN: token,
    });
  }
  await Promise.all(
    apps.map((app) =>
      waitUntil(
        app.dir,
        async () => {
          if (app.child.exitCode !== null) throw new Error(`${app.dir} exited before it was ready`);
          return (await fetch(`http://${host}:${app.port}/`)).status < 500;
        },
        120_000,
      ),
    ),
  );
} catch (error) {
  console.error(`demo: ${error.message}`);
  await stopAll(1);
}

console.log(
  [
    '',
    'Restash demo is running. Ctrl-C stops everything.',
    `  server   ${serverUrl}   (embedded Redis, data in ${dataDir})`,
    `  token    ${token}`,
    `  try      curl ${serverUrl}/set/hello/world -H "Authorization: Bearer ${token}"`,
    ...apps.map((app) => `  ${app.dir.padEnd(12)} http://${host}:${app.port}   ${app.what}`),
    '',
  ].join('\n'),
);
