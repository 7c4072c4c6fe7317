// The security code people compare to detect a meddler (DESIGN.md, "Trust"):
// derived from the MLS epoch authenticator (RFC 9420 §8.7), which every member
// of an epoch shares and nobody outside it can compute.
import type { CipherSuite } from '@canopy/shared/crypto';

/** The label of the derivation: ExpandWithLabel(epoch_authenticator, LABEL, "", 48). */
export const SECURITY_CODE_LABEL = 'canopy security code';

/** Groups of digits in a code, and digits per group. */
export const SECURITY_CODE_GROUPS = 12;
export const SECURITY_CODE_GROUP_DIGITS = 5;

/**
 * The security code of an epoch: 12 groups of 5 decimal digits separated by
 * spaces (about 199 bits), identical for every member of the epoch. Each group
 * is a 32-bit big-endian integer of the derived bytes modulo 100,000.
 */
export function securityCode(suite: CipherSuite, epochAuthenticator: Uint8Array): string {
  const bytes = suite.expandWithLabel(
    epochAuthenticator,
    SECURITY_CODE_LABEL,
    new Uint8Array(0),
    4 * SECURITY_CODE_GROUPS,
  );
  const groups: string[] = [];
  for (let i = 0; i < SECURITY_CODE_GROUPS; i++) {
    const o = 4 * i;
    const n = ((bytes[o] << 24) | (bytes[o + 1] << 16) | (bytes[o + 2] << 8) | bytes[o + 3]) >>> 0;
    groups.push(
      String(n % 10 ** SECURITY_CODE_GROUP_DIGITS).padStart(SECURITY_CODE_GROUP_DIGITS, '0'),
    );
  }
  return groups.join(' ');
}
