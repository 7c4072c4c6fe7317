// Diffie-Hellman groups under DHKEM (RFC 9180 §4.1, §7.1) on @noble/curves:
// X25519 and X448 (RFC 7748) and ECDH over P-256, P-384, P-521 (SEC1, x-coordinate output).

import { x448 } from '@noble/curves/ed448.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { isAllZero } from './bytes.js';
import { CryptoError } from './errors.js';
import type { DhGroup } from './primitives.js';

type Sizes = Pick<DhGroup, 'publicKeySize' | 'privateKeySize' | 'sharedSize'>;

/** Npk, Nsk, Ndh of RFC 9180 §7.1; shared with native providers. */
export const DH_PARAMS: Readonly<Record<DhGroup['name'], Sizes>> = {
  X25519: { publicKeySize: 32, privateKeySize: 32, sharedSize: 32 },
  X448: { publicKeySize: 56, privateKeySize: 56, sharedSize: 56 },
  'P-256': { publicKeySize: 65, privateKeySize: 32, sharedSize: 32 },
  'P-384': { publicKeySize: 97, privateKeySize: 48, sharedSize: 48 },
  'P-521': { publicKeySize: 133, privateKeySize: 66, sharedSize: 66 },
};

/** Throws CryptoError('invalid-public-key') unless `pk` has the serialized length (and SEC1 uncompressed form). */
export function checkDhPublicKey(name: DhGroup['name'], pk: Uint8Array): void {
  const { publicKeySize } = DH_PARAMS[name];
  const nist = name.startsWith('P-');
  if (!(pk instanceof Uint8Array) || pk.length !== publicKeySize || (nist && pk[0] !== 0x04)) {
    throw new CryptoError('invalid-public-key', `${name}: malformed public key`);
  }
}

/** Throws CryptoError('invalid-private-key') unless `group.isValidPrivateKey(sk)`. */
export function checkDhPrivateKey(group: DhGroup, sk: Uint8Array): void {
  if (!(sk instanceof Uint8Array) || !group.isValidPrivateKey(sk)) {
    throw new CryptoError('invalid-private-key', `${group.name}: invalid private key`);
  }
}

/** Throws CryptoError('invalid-public-key') on the all-zero output of a small-order X25519/X448 point. */
export function checkDhOutput(name: DhGroup['name'], shared: Uint8Array): Uint8Array {
  if (isAllZero(shared)) throw new CryptoError('invalid-public-key', `${name}: small-order point`);
  return shared;
}

type Montgomery = typeof x25519;

function montgomery(name: 'X25519' | 'X448', curve: Montgomery): DhGroup {
  const sizes = DH_PARAMS[name];
  const group: DhGroup = {
    name,
    ...sizes,
    generatePrivateKey: () => randomBytes(sizes.privateKeySize),
    // RFC 7748: every string of Nsk bytes is a private key (the DH function clamps it).
    isValidPrivateKey: (sk) => sk.length === sizes.privateKeySize,
    publicKey(sk) {
      checkDhPrivateKey(group, sk);
      return curve.getPublicKey(sk);
    },
    dh(sk, pk) {
      checkDhPrivateKey(group, sk);
      checkDhPublicKey(name, pk);
      let shared: Uint8Array;
      try {
        shared = curve.getSharedSecret(sk, pk);
      } catch {
        throw new CryptoError('invalid-public-key', `${name}: invalid public key`);
      }
      return checkDhOutput(name, shared);
    },
  };
  return group;
}

type Weierstrass = typeof p256;

function weierstrass(name: 'P-256' | 'P-384' | 'P-521', curve: Weierstrass): DhGroup {
  const sizes = DH_PARAMS[name];
  const group: DhGroup = {
    name,
    ...sizes,
    generatePrivateKey: () => curve.utils.randomSecretKey(),
    // A big-endian scalar in [1, n-1], exactly Nsk bytes.
    isValidPrivateKey: (sk) =>
      sk.length === sizes.privateKeySize && curve.utils.isValidSecretKey(sk),
    publicKey(sk) {
      checkDhPrivateKey(group, sk);
      return curve.getPublicKey(sk, false);
    },
    dh(sk, pk) {
      checkDhPrivateKey(group, sk);
      checkDhPublicKey(name, pk);
      try {
        // Compressed form is 0x02/0x03 || x; the DH output is x alone (RFC 9180 §7.1.1).
        return curve.getSharedSecret(sk, pk, true).subarray(1);
      } catch {
        throw new CryptoError('invalid-public-key', `${name}: point not on the curve`);
      }
    },
  };
  return group;
}

/** The noble DH groups by name. */
export const nobleDhGroups: Readonly<Record<DhGroup['name'], DhGroup>> = {
  X25519: montgomery('X25519', x25519),
  X448: montgomery('X448', x448),
  'P-256': weierstrass('P-256', p256),
  'P-384': weierstrass('P-384', p384),
  'P-521': weierstrass('P-521', p521),
};
