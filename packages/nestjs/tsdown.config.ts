import { restashPackage } from '../../tsdown.shared.js';

export default restashPackage({ index: 'src/index.ts' }, { platform: 'node' });
