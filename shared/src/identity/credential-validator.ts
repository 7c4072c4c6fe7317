// The Authentication Service hook Canopy members and the delivery service give
// the MLS library (RFC 9420 §5.3.1): every credential a member meets — in Adds,
// in a Welcome's tree, in updates — must be an AS-issued identity credential
// for that leaf's signature key and this meeting, and a replacement must keep
// the same user (the successor rule).
import type { CipherSuite } from '../crypto/index.js';
import type { Credential, CredentialValidator } from '../mls/index.js';
import { IdentityError, verifyIdentityCredential } from './identity-credential.js';

/**
 * Checks a leaf's credential, and when it replaces another (`previous`), that
 * it is that member's successor. Throws IdentityError.
 */
export function checkMemberCredential(
  suite: CipherSuite,
  asPublicKey: Uint8Array,
  meetingId: string,
  credential: Credential,
  signatureKey: Uint8Array,
  previous?: { readonly credential: Credential; readonly signatureKey: Uint8Array },
): void {
  const identity = verifyIdentityCredential(suite, asPublicKey, credential, signatureKey);
  if (identity.meetingId !== meetingId)
    throw new IdentityError('wrong-meeting', `credential is for meeting ${identity.meetingId}`);
  if (previous) {
    const before = verifyIdentityCredential(
      suite,
      asPublicKey,
      previous.credential,
      previous.signatureKey,
    );
    if (before.userId !== identity.userId || before.meetingId !== identity.meetingId)
      throw new IdentityError(
        'not-successor',
        `user ${identity.userId} cannot replace ${before.userId}`,
      );
  }
}

/** `checkMemberCredential` as the MLS library's CredentialValidator (true = accept). */
export function identityCredentialValidator(
  suite: CipherSuite,
  asPublicKey: Uint8Array,
  meetingId: string,
): CredentialValidator {
  return (
    credential: Credential,
    signatureKey: Uint8Array,
    previous?: { readonly credential: Credential; readonly signatureKey: Uint8Array },
  ) => {
    try {
      checkMemberCredential(suite, asPublicKey, meetingId, credential, signatureKey, previous);
      return true;
    } catch (e) {
      if (e instanceof IdentityError) return false;
      throw e;
    }
  };
}
