// The provider behaviour battery on the default noble provider.
import { nobleProvider } from '../../src/crypto/index.js';
import { describeProviderBehaviour } from './provider-suites.js';

describeProviderBehaviour(nobleProvider);
