// The provider behaviour battery (round trips, bad input) on node:crypto.
import { describeProviderBehaviour } from '../../../shared/test/crypto/provider-suites.js';
import { createNodeProvider, nodeProvider } from '../../src/crypto/index.js';

describeProviderBehaviour(nodeProvider);
describeProviderBehaviour(createNodeProvider({ cacheKeyObjects: false }));
