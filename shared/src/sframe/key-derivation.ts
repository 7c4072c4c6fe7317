// RFC 9605 §4.4.2: sframe_key and sframe_salt from a base_key and a KID.
//
//   sframe_secret = HKDF-Extract("", base_key)
//   sframe_key    = HKDF-Expand(sframe_secret, "SFrame 1.0 Secret key "  + KID + cipher_suite, Nk)
//   sframe_salt   = HKDF-Expand(sframe_secret, "SFrame 1.0 Secret salt " + KID + cipher_suite, Nn)
//
// KID is an 8-byte big-endian integer here (not the header's compact form) and
// cipher_suite a 2-byte one. The secret depends only on base_key, so callers
// that derive keys for many KIDs of one base key extract it once.
import { expand, extract } from '@noble/hashes/hkdf.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { type CipherSuite, cipherSuite, type SFrameSuiteId } from './cipher-suite.js';
import { checkBytes, checkU64, hi32, invalid, lo32, putU64 } from './util.js';

const KEY_LABEL = utf8ToBytes('SFrame 1.0 Secret key ');
const SALT_LABEL = utf8ToBytes('SFrame 1.0 Secret salt ');
const EMPTY = new Uint8Array(0);

/** Shortest base key accepted: 128 bits. */
export const MIN_BASE_KEY_SIZE = 16;

/** A derived key and salt (§4.4.2): key is Nk bytes, salt is Nn bytes. */
export interface SFrameKeys {
  readonly key: Uint8Array;
  readonly salt: Uint8Array;
}

function label(prefix: Uint8Array, suite: CipherSuite, kidHi: number, kidLo: number): Uint8Array {
  const out = new Uint8Array(prefix.length + 10);
  out.set(prefix);
  putU64(out, prefix.length, kidHi, kidLo);
  out[prefix.length + 8] = suite.id >>> 8;
  out[prefix.length + 9] = suite.id & 0xff;
  return out;
}

/** sframe_key_label for a KID given as uint32 halves. */
export function keyLabel(suite: CipherSuite, kidHi: number, kidLo: number): Uint8Array {
  return label(KEY_LABEL, suite, kidHi, kidLo);
}

/** sframe_salt_label for a KID given as uint32 halves. */
export function saltLabel(suite: CipherSuite, kidHi: number, kidLo: number): Uint8Array {
  return label(SALT_LABEL, suite, kidHi, kidLo);
}

/** sframe_secret = HKDF-Extract("", base_key), with the suite's hash. */
export function sframeSecret(suite: CipherSuite, baseKey: Uint8Array): Uint8Array {
  checkBytes(baseKey, 'base key');
  if (baseKey.length < MIN_BASE_KEY_SIZE) {
    throw invalid(`base key must be at least ${MIN_BASE_KEY_SIZE} bytes`);
  }
  return extract(suite.hash, baseKey, EMPTY);
}

/** The key and salt of one KID, from an sframe_secret. */
export function keysFromSecret(
  suite: CipherSuite,
  secret: Uint8Array,
  kidHi: number,
  kidLo: number,
): SFrameKeys {
  return {
    key: expand(suite.hash, secret, keyLabel(suite, kidHi, kidLo), suite.Nk),
    salt: expand(suite.hash, secret, saltLabel(suite, kidHi, kidLo), suite.Nn),
  };
}

/**
 * derive_key_salt(KID, base_key) of §4.4.2: the sframe_key (Nk bytes) and
 * sframe_salt (Nn bytes) for `kid` under `baseKey` (at least 16 bytes).
 */
export function deriveKeyAndSalt(
  suite: SFrameSuiteId,
  baseKey: Uint8Array,
  kid: bigint,
): { key: Uint8Array; salt: Uint8Array } {
  const s = cipherSuite(suite);
  checkU64(kid, 'KID');
  return keysFromSecret(s, sframeSecret(s, baseKey), hi32(kid), lo32(kid));
}
