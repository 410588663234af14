import { startBun } from '../src/runtimes/bun.js';
import { runtimeMatrix } from './matrix.js';

runtimeMatrix('Bun', startBun);
