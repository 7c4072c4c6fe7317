// MLS interop vectors for the cipher suites on the default (noble) provider.
import { nobleProvider } from '../../src/crypto/index.js';
import { describeCryptoBasics, describeExternalPub } from './vector-suites.js';

describeCryptoBasics(nobleProvider);
describeExternalPub(nobleProvider);
