import { restashVitest } from '../../vitest.shared.js';

export default restashVitest({ globalSetup: ['./src/global-setup.ts'] });
