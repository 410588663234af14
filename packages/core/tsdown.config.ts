import { restashPackage } from '../../tsdown.shared.js';

export default restashPackage({
  index: 'src/index.ts',
  'protocol/index': 'src/protocol/index.ts',
  'testing/index': 'src/testing/index.ts',
});
