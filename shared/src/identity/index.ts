/**
 * Canopy identities: what the Authentication Service vouches for (meeting,
 * user id, display name, role), carried in a basic MLS credential and bound to
 * the member's MLS signature key, and the credential check every member and
 * the delivery service apply (RFC 9420 §5.3.1, including the successor rule).
 *
 * ```ts
 * const credential = issueIdentityCredential(suite, asPrivateKey, identity, signaturePublicKey); // the AS
 * const group = MlsGroup.create({ ..., validateCredential: identityCredentialValidator(suite, asPublicKey, meetingId) });
 * const who = verifyIdentityCredential(suite, asPublicKey, member.credential, member.signatureKey);
 * ```
 */
export { checkMemberCredential, identityCredentialValidator } from './credential-validator.js';
export {
  type CanopyIdentity,
  checkIdentity,
  IdentityError,
  type IdentityErrorCode,
  issueIdentityCredential,
  type Role,
  readIdentity,
  verifyIdentityCredential,
} from './identity-credential.js';
