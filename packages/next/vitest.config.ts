import { restashVitest } from '../../vitest.shared.js';

// --expose-gc: a test checks that the 'use cache' handler lets go of Next's pending entries.
export default restashVitest({ execArgv: ['--expose-gc'] });
