// HKDF (RFC 5869) over any Hash's HMAC, so a native HMAC speeds it up too.
import { concat } from './bytes.js';
import { CryptoError } from './errors.js';
import type { Hash } from './primitives.js';

/** HKDF-Extract(salt, IKM); an empty salt means Nh zero bytes. */
export function hkdfExtract(hash: Hash, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return hash.mac(salt.length === 0 ? new Uint8Array(hash.size) : salt, ikm);
}

/** HKDF-Expand(PRK, info, L); L <= 255 * Nh. */
export function hkdfExpand(
  hash: Hash,
  prk: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > 255 * hash.size) {
    throw new CryptoError('invalid-length', `HKDF-Expand: length ${length} out of range`);
  }
  const out = new Uint8Array(length);
  let t: Uint8Array = new Uint8Array(0);
  for (let i = 1, off = 0; off < length; i++) {
    t = hash.mac(prk, concat(t, info, Uint8Array.of(i)));
    out.set(t.subarray(0, Math.min(t.length, length - off)), off);
    off += t.length;
  }
  return out;
}

const HPKE_V1 = Uint8Array.of(0x48, 0x50, 0x4b, 0x45, 0x2d, 0x76, 0x31); // "HPKE-v1"

/** LabeledExtract(salt, label, ikm) of RFC 9180 §4 under `suiteId`. */
export function labeledExtract(
  hash: Hash,
  suiteId: Uint8Array,
  salt: Uint8Array,
  label: Uint8Array,
  ikm: Uint8Array,
): Uint8Array {
  return hkdfExtract(hash, salt, concat(HPKE_V1, suiteId, label, ikm));
}

/** LabeledExpand(prk, label, info, L) of RFC 9180 §4 under `suiteId`. */
export function labeledExpand(
  hash: Hash,
  suiteId: Uint8Array,
  prk: Uint8Array,
  label: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > 0xffff) {
    throw new CryptoError('invalid-length', `LabeledExpand: length ${length} out of range`);
  }
  const labeledInfo = concat(
    Uint8Array.of(length >>> 8, length & 0xff),
    HPKE_V1,
    suiteId,
    label,
    info,
  );
  return hkdfExpand(hash, prk, labeledInfo, length);
}
