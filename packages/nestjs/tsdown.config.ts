import { packageEntries, restashPackage } from '../../tsdown.shared.js';

export default restashPackage(packageEntries(), { platform: 'node' });
