import { startWorkerd } from '../src/runtimes/workerd.js';
import { runtimeMatrix } from './matrix.js';

runtimeMatrix('workerd (Cloudflare Workers, miniflare)', startWorkerd);
