// MLS interop vectors for the cipher suites on the node:crypto provider, with
// and without the KeyObject cache.

import {
  describeCryptoBasics,
  describeExternalPub,
} from '../../../shared/test/crypto/vector-suites.js';
import { createNodeProvider, nodeProvider } from '../../src/crypto/index.js';

describeCryptoBasics(nodeProvider);
describeExternalPub(nodeProvider);
describeCryptoBasics(createNodeProvider({ cacheKeyObjects: false }));
