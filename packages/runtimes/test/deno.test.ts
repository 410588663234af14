import { startDeno } from '../src/runtimes/deno.js';
import { runtimeMatrix } from './matrix.js';

runtimeMatrix('Deno', startDeno);
