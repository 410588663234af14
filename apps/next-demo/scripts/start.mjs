// Starts the built app with `next start` and says where once it answers.
//   PORT (default 3003), HOST (default 127.0.0.1), RESTASH_URL and RESTASH_TOKEN (required).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { RESTASH_URL, RESTASH_TOKEN, UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN } = process.env;
if (!(RESTASH_URL && RESTASH_TOKEN) && !(UPSTASH_REDIS_REST_URL && UPSTASH_REDIS_REST_TOKEN)) {
  console.error('next-demo: set RESTASH_URL and RESTASH_TOKEN to a running Restash server (see the README)');
  process.exit(1);
}
const port = process.env.PORT || '3003';
const host = process.env.HOST || '127.0.0.1';
const url = `http://${host}:${port}`;
const app = fileURLToPath(new URL('..', import.meta.url));

const next = spawn(
  process.execPath,
  [require.resolve('next/dist/bin/next'), 'start', '-p', port, '-H', host],
  {
    cwd: app,
    env: { ...process.env, PORT: port },
    stdio: ['ignore', 'inherit', 'inherit'],
  },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => next.kill(signal));
next.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

for (;;) {
  try {
    if ((await fetch(`${url}/health`)).ok) break;
  } catch {
    // not listening yet
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
}
console.log(`next-demo listening on ${url}`);
