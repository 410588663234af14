import { restashPackage } from '../../tsdown.shared.js';

export default restashPackage({
  index: 'src/index.ts',
  'cache-handler': 'src/cache-handler.ts',
  'incremental-cache': 'src/incremental-cache.ts',
  'safe-action': 'src/safe-action.ts',
});
