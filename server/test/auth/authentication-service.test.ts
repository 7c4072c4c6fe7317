// The in-process Authentication Service issues credentials members accept, and
// only for the key it was asked about.
import { getCipherSuite } from '@canopy/shared/crypto';
import { IdentityError, verifyIdentityCredential } from '@canopy/shared/identity';
import { describe, expect, test } from 'vitest';
import { AuthenticationService } from '../../src/auth/authentication-service.js';
import { nodeProvider } from '../../src/crypto/index.js';

const suite = getCipherSuite(1, nodeProvider);
const identity = {
  meetingId: 'meeting',
  userId: 'u1',
  displayName: 'Bo',
  role: 'participant' as const,
};

describe('AuthenticationService', () => {
  test('issues credentials that verify against its public key (noble and node crypto alike)', () => {
    const as = AuthenticationService.generate(suite);
    const key = suite.signature.publicKey(suite.signature.generatePrivateKey());
    const credential = as.issueCredential(identity, key);
    expect(verifyIdentityCredential(suite, as.publicKey, credential, key)).toEqual(identity);
    expect(verifyIdentityCredential(getCipherSuite(1), as.publicKey, credential, key)).toEqual(
      identity,
    );
    const other = AuthenticationService.generate(suite);
    expect(() => verifyIdentityCredential(suite, other.publicKey, credential, key)).toThrow(
      IdentityError,
    );
  });

  test('a configured key gives a stable public key; a bad key is a typed error', () => {
    const secret = suite.signature.generatePrivateKey();
    expect(new AuthenticationService(suite, secret).publicKey).toEqual(
      new AuthenticationService(suite, secret).publicKey,
    );
    expect(() => new AuthenticationService(suite, new Uint8Array(3))).toThrow(IdentityError);
  });

  test('refuses an identity out of range', () => {
    const as = AuthenticationService.generate(suite);
    const key = suite.signature.publicKey(suite.signature.generatePrivateKey());
    expect(() => as.issueCredential({ ...identity, userId: '../etc' }, key)).toThrow(IdentityError);
  });
});
