import { restashVitest } from '../../vitest.shared.js';

// One file drives two `next start` processes and a browser: give its hooks room.
export default restashVitest({ hookTimeout: 240_000, testTimeout: 60_000 });
