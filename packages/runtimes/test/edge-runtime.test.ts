import { startEdgeRuntime } from '../src/runtimes/edge-runtime.js';
import { runtimeMatrix } from './matrix.js';

runtimeMatrix("Vercel's edge-runtime", startEdgeRuntime);
