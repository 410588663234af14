import { startNode } from '../src/runtimes/node.js';
import { runtimeMatrix } from './matrix.js';

runtimeMatrix('Node', startNode);
