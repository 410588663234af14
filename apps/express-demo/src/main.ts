import { Redis } from '@restash/core';
import { createApp } from './app.js';
import { readConfig } from './config.js';

let config: ReturnType<typeof readConfig>;
try {
  config = readConfig(process.env);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

// Two quick retries: when the server is down, requests should degrade fast rather than hang.
const redis = new Redis({ url: config.url, token: config.token, retry: { retries: 2, backoff: () => 100 } });
const { app, store } = createApp({ redis, secret: config.secret });
store.on('disconnect', () =>
  console.warn('express-demo: the Restash server cannot be reached; serving without sessions'),
);
store.on('connect', () => console.warn('express-demo: the Restash server is back'));

const server = app.listen(config.port, config.host, () => {
  console.log(`express-demo listening on http://${config.host}:${config.port}`);
});
server.on('error', (error) => {
  console.error(`[express-demo] cannot listen on ${config.host}:${config.port}: ${error.message}`);
  process.exit(1);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
