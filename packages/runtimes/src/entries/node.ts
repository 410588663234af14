/**
 * The Node entry: `Redis.fromEnv()` reads `process.env`; the steps are served
 * with `node:http` on a free port (printed as `listening <port>`).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from '@restash/core';
import { steps } from '#steps';
import { createHandler } from '../conformance.js';

const handle = createHandler(steps, (options) => Redis.fromEnv(options));

const server = createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const response = await handle(
    new Request(`http://127.0.0.1${req.url}`, { method: req.method, body: Buffer.concat(chunks) }),
  );
  res.writeHead(response.status, { 'content-type': 'application/json' });
  res.end(await response.text());
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${(server.address() as AddressInfo).port}`));
