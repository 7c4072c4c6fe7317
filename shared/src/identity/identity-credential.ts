// Canopy's identity credential: a basic MLS credential (RFC 9420 §5.3) whose
// identity bytes carry an assertion signed by the Authentication Service.
//
//   struct {
//     uint16 version = 1;
//     opaque meeting_id<V>;
//     opaque user_id<V>;
//     opaque display_name<V>;      // UTF-8
//     uint8 role;                  // 1 = host, 2 = participant
//     opaque signature_key<V>;     // the member's MLS signature public key
//   } IdentityAssertion;
//
//   struct {
//     IdentityAssertion assertion;
//     opaque as_signature<V>;      // SignWithLabel(AS key, "Canopy AS Identity", assertion)
//   } IdentityCredential;
//
// Binding the MLS signature key inside the AS-signed assertion is what lets a
// member check that a leaf's credential was issued for that leaf's key: the
// delivery service cannot move a credential onto a key it controls.
import { DecodeError, Reader, Writer } from '../codec/index.js';
import type { CipherSuite } from '../crypto/index.js';
import { CanopyError } from '../errors.js';
import type { Credential } from '../mls/index.js';

export type Role = 'host' | 'participant';

/** Who a member is, as the Authentication Service vouches for it. */
export interface CanopyIdentity {
  readonly meetingId: string;
  readonly userId: string;
  readonly displayName: string;
  readonly role: Role;
}

export type IdentityErrorCode =
  | 'not-canopy-credential' // not a basic credential, or bytes that do not decode as one
  | 'invalid-identity' // a field out of its allowed range
  | 'bad-signature' // the AS signature does not verify
  | 'key-mismatch' // issued for another signature key
  | 'wrong-meeting' // issued for another meeting
  | 'not-successor'; // replaces a credential of another user

/** A credential that Canopy's identity rules reject. */
export class IdentityError extends CanopyError {
  constructor(
    override readonly code: IdentityErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

const VERSION = 1;
const LABEL = 'Canopy AS Identity';
const ROLE_CODES: Record<Role, number> = { host: 1, participant: 2 };
/** Meeting and user ids: URL-safe, 1–64 characters. */
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_DISPLAY_NAME = 64;
/** Longest signature public key any MLS suite uses (P-521: 133 bytes), with room. */
const MAX_KEY_BYTES = 256;
const MAX_SIGNATURE_BYTES = 256;

interface TextCodecs {
  TextEncoder: new () => { encode(s: string): Uint8Array };
  TextDecoder: new (
    label: string,
    options: { fatal: boolean },
  ) => { decode(b: Uint8Array): string };
}
const { TextEncoder, TextDecoder } = globalThis as unknown as TextCodecs;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Throws IdentityError('invalid-identity') unless every field is in range. */
export function checkIdentity(identity: CanopyIdentity): void {
  const bad = (what: string) => {
    throw new IdentityError('invalid-identity', what);
  };
  if (!ID_PATTERN.test(identity.meetingId)) bad('meeting id must be 1-64 URL-safe characters');
  if (!ID_PATTERN.test(identity.userId)) bad('user id must be 1-64 URL-safe characters');
  const name = identity.displayName;
  if (typeof name !== 'string' || name.length < 1 || name.length > MAX_DISPLAY_NAME)
    bad(`display name must be 1-${MAX_DISPLAY_NAME} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name) || name.trim() !== name)
    bad('display name has control characters or surrounding spaces');
  if (!Object.hasOwn(ROLE_CODES, identity.role)) bad('role must be host or participant');
}

function encodeAssertion(identity: CanopyIdentity, signatureKey: Uint8Array): Uint8Array {
  return new Writer()
    .u16(VERSION)
    .opaque(new TextEncoder().encode(identity.meetingId))
    .opaque(new TextEncoder().encode(identity.userId))
    .opaque(new TextEncoder().encode(identity.displayName))
    .u8(ROLE_CODES[identity.role])
    .opaque(signatureKey)
    .finish();
}

function text(r: Reader, max: number): string {
  try {
    return strictUtf8.decode(r.opaque(max));
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    throw new DecodeError('invalid-value', 'not UTF-8');
  }
}

interface DecodedCredential {
  identity: CanopyIdentity;
  signatureKey: Uint8Array;
  assertion: Uint8Array;
  signature: Uint8Array;
}

function decodeCredential(credential: Credential): DecodedCredential {
  if (credential.type !== 'basic')
    throw new IdentityError('not-canopy-credential', `a ${credential.type} credential`);
  const bytes = credential.identity;
  try {
    const r = new Reader(bytes);
    const version = r.u16();
    if (version !== VERSION) throw new DecodeError('invalid-value', `version ${version}`);
    const meetingId = text(r, 64);
    const userId = text(r, 64);
    const displayName = text(r, 4 * MAX_DISPLAY_NAME);
    const roleCode = r.u8();
    const role = (Object.keys(ROLE_CODES) as Role[]).find((k) => ROLE_CODES[k] === roleCode);
    if (!role) throw new DecodeError('invalid-value', `role ${roleCode}`);
    const signatureKey = r.opaque(MAX_KEY_BYTES);
    const assertion = bytes.subarray(0, r.offset);
    const signature = r.opaque(MAX_SIGNATURE_BYTES);
    r.done();
    const identity = { meetingId, userId, displayName, role };
    checkIdentity(identity);
    return { identity, signatureKey, assertion, signature };
  } catch (e) {
    if (e instanceof DecodeError)
      throw new IdentityError('not-canopy-credential', `identity credential: ${e.message}`);
    throw e;
  }
}

/** The Authentication Service's side: a credential for `identity` bound to `signatureKey`. */
export function issueIdentityCredential(
  suite: CipherSuite,
  asPrivateKey: Uint8Array,
  identity: CanopyIdentity,
  signatureKey: Uint8Array,
): Credential {
  checkIdentity(identity);
  if (signatureKey.length === 0 || signatureKey.length > MAX_KEY_BYTES)
    throw new IdentityError('invalid-identity', 'signature key length');
  const assertion = encodeAssertion(identity, signatureKey);
  const signature = suite.signWithLabel(asPrivateKey, LABEL, assertion);
  const identityBytes = new Writer().bytes(assertion).opaque(signature).finish();
  return { type: 'basic', identity: identityBytes };
}

/**
 * Verifies that `credential` was issued by the AS (`asPublicKey`) for the
 * MLS signature key `signatureKey`, and returns the identity it vouches for.
 * Throws IdentityError.
 */
export function verifyIdentityCredential(
  suite: CipherSuite,
  asPublicKey: Uint8Array,
  credential: Credential,
  signatureKey: Uint8Array,
): CanopyIdentity {
  const decoded = decodeCredential(credential);
  if (!suite.verifyWithLabel(asPublicKey, LABEL, decoded.assertion, decoded.signature))
    throw new IdentityError(
      'bad-signature',
      'the Authentication Service did not sign this credential',
    );
  if (!bytesEqual(decoded.signatureKey, signatureKey))
    throw new IdentityError('key-mismatch', 'credential issued for another signature key');
  return decoded.identity;
}

/** The identity a credential claims, unverified (for display next to a verified roster only). */
export function readIdentity(credential: Credential): CanopyIdentity | undefined {
  try {
    return decodeCredential(credential).identity;
  } catch {
    return undefined;
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
