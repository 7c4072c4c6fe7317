// Content authentication (RFC 9420 §6.1) and PublicMessage protection (§6.2):
// signatures over FramedContentTBS and the membership tag over AuthenticatedContentTBM.
import { Writer } from '../codec/index.js';
import type { CipherSuite } from '../crypto/cipher-suite.js';
import { constantTimeEqual } from './bytes.js';
import { MlsError } from './errors.js';
import {
  encodeAuthData,
  type FramedContent,
  type FramedContentAuthData,
  framedContentTbs,
  type PublicMessage,
  type WireFormatName,
} from './framing.js';

/** SignWithLabel(., "FramedContentTBS", FramedContentTBS). */
export function signFramedContent(
  suite: CipherSuite,
  signaturePrivateKey: Uint8Array,
  wireFormat: WireFormatName,
  content: FramedContent,
  groupContext?: Uint8Array,
): Uint8Array {
  const tbs = framedContentTbs(wireFormat, content, groupContext);
  return suite.signWithLabel(signaturePrivateKey, 'FramedContentTBS', tbs);
}

/** VerifyWithLabel over FramedContentTBS; false on any mismatch. */
export function verifyFramedContent(
  suite: CipherSuite,
  signaturePublicKey: Uint8Array,
  wireFormat: WireFormatName,
  content: FramedContent,
  signature: Uint8Array,
  groupContext?: Uint8Array,
): boolean {
  const tbs = framedContentTbs(wireFormat, content, groupContext);
  return suite.verifyWithLabel(signaturePublicKey, 'FramedContentTBS', tbs, signature);
}

/** membership_tag = MAC(membership_key, AuthenticatedContentTBM) (§6.2). */
export function membershipTag(
  suite: CipherSuite,
  membershipKey: Uint8Array,
  content: FramedContent,
  auth: FramedContentAuthData,
  groupContext: Uint8Array,
): Uint8Array {
  const w = new Writer(1024);
  w.bytes(framedContentTbs('public_message', content, groupContext));
  encodeAuthData(w, auth, content.contentType);
  return suite.hash.mac(membershipKey, w.finish());
}

/**
 * Frames signed content as a PublicMessage. Member senders get a membership
 * tag; application data is never sent in a PublicMessage (§6.2).
 */
export function createPublicMessage(
  suite: CipherSuite,
  content: FramedContent,
  auth: FramedContentAuthData,
  membershipKey: Uint8Array | undefined,
  groupContext: Uint8Array | undefined,
): PublicMessage {
  if (content.contentType === 'application') {
    throw new MlsError('invalid-value', 'application data must be sent as a PrivateMessage');
  }
  if (content.sender.type !== 'member') return { content, auth };
  if (!membershipKey || !groupContext) {
    throw new MlsError(
      'invalid-value',
      'a member PublicMessage needs the membership key and group context',
    );
  }
  return {
    content,
    auth,
    membershipTag: membershipTag(suite, membershipKey, content, auth, groupContext),
  };
}

/** Checks a member PublicMessage's membership tag in constant time. */
export function verifyMembershipTag(
  suite: CipherSuite,
  membershipKey: Uint8Array,
  message: PublicMessage,
  groupContext: Uint8Array,
): boolean {
  if (message.content.sender.type !== 'member') return true;
  if (!message.membershipTag) return false;
  const expected = membershipTag(suite, membershipKey, message.content, message.auth, groupContext);
  return constantTimeEqual(expected, message.membershipTag);
}
