import { restashPackage } from '../../tsdown.shared.js';

export default restashPackage({
  index: 'src/index.ts',
  'express/index': 'src/express/index.ts',
  'express-rate-limit/index': 'src/express-rate-limit/index.ts',
});
