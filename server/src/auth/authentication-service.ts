/**
 * The Authentication Service (AS): vouches for who a participant is by issuing
 * an identity credential that binds meeting, user id, display name and role to
 * the participant's MLS signature key. Members verify every credential against
 * the AS public key, which they get with the meeting link, never from the
 * delivery service. The AS key is separate from the delivery service's
 * external-sender key; the embedded default runs the AS in-process.
 */
import type { CipherSuite } from '@canopy/shared/crypto';
import {
  type CanopyIdentity,
  IdentityError,
  issueIdentityCredential,
} from '@canopy/shared/identity';
import type { Credential } from '@canopy/shared/mls';

export class AuthenticationService {
  readonly #suite: CipherSuite;
  readonly #privateKey: Uint8Array;
  /** The key members verify credentials with. */
  readonly publicKey: Uint8Array;

  /** An AS with a fresh signing key (the embedded default: one per process). */
  static generate(suite: CipherSuite): AuthenticationService {
    return new AuthenticationService(suite, suite.signature.generatePrivateKey());
  }

  /** An AS with a configured signing key (the suite's signature private key). */
  constructor(suite: CipherSuite, signingPrivateKey: Uint8Array) {
    this.#suite = suite;
    try {
      this.publicKey = suite.signature.publicKey(signingPrivateKey);
    } catch {
      throw new IdentityError('invalid-identity', 'the AS signing key is not a valid private key');
    }
    this.#privateKey = signingPrivateKey.slice();
  }

  /** A credential for `identity` bound to the MLS signature public key `signatureKey`. Throws IdentityError. */
  issueCredential(identity: CanopyIdentity, signatureKey: Uint8Array): Credential {
    return issueIdentityCredential(this.#suite, this.#privateKey, identity, signatureKey);
  }
}
