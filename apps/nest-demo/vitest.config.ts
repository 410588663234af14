import { restashVitest } from '../../vitest.shared.js';

export default restashVitest();
