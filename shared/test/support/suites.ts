// Cipher suites for vector tests: the ones we support run, the rest are
// counted and reported by VectorTally. Suite 1 must always be supported.

import { CryptoError } from '../../src/crypto/errors.js';
import { type CipherSuite, getCipherSuite } from '../../src/crypto/index.js';

/** The suite, or undefined when this implementation does not support it. */
export function suiteOrUndefined(id: number): CipherSuite | undefined {
  try {
    return getCipherSuite(id);
  } catch (e) {
    if (e instanceof CryptoError && e.code === 'unsupported-cipher-suite') {
      if (id === 1) throw new Error('suite 1 must always be supported');
      return undefined;
    }
    throw e;
  }
}
