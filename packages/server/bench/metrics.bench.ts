// The cost of recording one request in the metrics, in isolation from HTTP and
// Redis: what --metrics-token / --metrics-port add per request on the hot path.
// Compare with the server's CPU time per request (bench/metrics-ab.sh prints it).
//
//   cd packages/server && npx vitest bench --run bench/metrics.bench.ts
import { bench, describe } from 'vitest';
import { Metrics, ROUTE_INDEX } from '../src/transport/metrics.js';

const metrics = new Metrics(() => ({ databases: [], streams: 0, multi: false }));
const pipeline = Array.from({ length: 100 }, (_, i) => ['SET', `k${i}`, 'v']);
let ms = 0;

describe('metrics per request', () => {
  bench('GET /get/foo: one request, one command', () => {
    ms = (ms + 0.37) % 20;
    metrics.command('get');
    metrics.request(ROUTE_INDEX.path, 200, ms);
  });
  bench('POST /pipeline of 100 commands', () => {
    ms = (ms + 0.37) % 20;
    for (let i = 0; i < pipeline.length; i++) metrics.command(pipeline[i]![0]);
    metrics.request(ROUTE_INDEX.pipeline, 200, ms);
  });
  bench('performance.now() twice (the request timer)', () => {
    ms = performance.now() - performance.now();
  });
});
