// Signature schemes of the MLS cipher suites (RFC 9420 §5.1.2) on @noble/curves:
// Ed25519 and Ed448 (RFC 8032, pure, empty context) and ECDSA over P-256/SHA-256,
// P-384/SHA-384, P-521/SHA-512 with DER-encoded signatures (as in TLS 1.3) and
// SEC1 uncompressed public keys. Verification is strict RFC 8032 (not ZIP-215)
// and accepts high-S ECDSA signatures, so it agrees with OpenSSL.

import { ed448 } from '@noble/curves/ed448.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { CryptoError } from './errors.js';
import type { SignatureScheme } from './primitives.js';

/** Raw key sizes; shared with native providers. */
export const SIGNATURE_PARAMS: Readonly<
  Record<SignatureScheme['name'], { privateKeySize: number; publicKeySize: number }>
> = {
  Ed25519: { privateKeySize: 32, publicKeySize: 32 },
  Ed448: { privateKeySize: 57, publicKeySize: 57 },
  'ECDSA-P256-SHA256': { privateKeySize: 32, publicKeySize: 65 },
  'ECDSA-P384-SHA384': { privateKeySize: 48, publicKeySize: 97 },
  'ECDSA-P521-SHA512': { privateKeySize: 66, publicKeySize: 133 },
};

/** Throws CryptoError('invalid-private-key') unless `sk` has the scheme's private key size. */
export function checkSigningKey(name: SignatureScheme['name'], sk: Uint8Array): void {
  if (!(sk instanceof Uint8Array) || sk.length !== SIGNATURE_PARAMS[name].privateKeySize) {
    throw new CryptoError('invalid-private-key', `${name}: malformed private key`);
  }
}

/** Whether `pk` has the scheme's public key size (and the SEC1 uncompressed tag for ECDSA). */
export function isWellFormedVerifyingKey(name: SignatureScheme['name'], pk: Uint8Array): boolean {
  return (
    pk instanceof Uint8Array &&
    pk.length === SIGNATURE_PARAMS[name].publicKeySize &&
    (name.startsWith('Ed') || pk[0] === 0x04)
  );
}

type Edwards = typeof ed25519;

function edwards(name: 'Ed25519' | 'Ed448', curve: Edwards): SignatureScheme {
  const sigSize = curve.lengths.signature!;
  return {
    name,
    generatePrivateKey: () => curve.utils.randomSecretKey(),
    publicKey(sk) {
      checkSigningKey(name, sk);
      return curve.getPublicKey(sk);
    },
    sign(sk, message) {
      checkSigningKey(name, sk);
      return curve.sign(message, sk);
    },
    verify(pk, message, signature) {
      if (!isWellFormedVerifyingKey(name, pk)) return false;
      if (!(signature instanceof Uint8Array) || signature.length !== sigSize) return false;
      try {
        return curve.verify(signature, message, pk, { zip215: false });
      } catch {
        return false;
      }
    },
  };
}

type Weierstrass = typeof p256;

function ecdsa(
  name: 'ECDSA-P256-SHA256' | 'ECDSA-P384-SHA384' | 'ECDSA-P521-SHA512',
  curve: Weierstrass,
): SignatureScheme {
  // Each noble NIST curve prehashes with its matching SHA-2 (the hash named by the scheme).
  return {
    name,
    generatePrivateKey: () => curve.utils.randomSecretKey(),
    publicKey(sk) {
      checkSigningKey(name, sk);
      if (!curve.utils.isValidSecretKey(sk)) {
        throw new CryptoError('invalid-private-key', `${name}: scalar out of range`);
      }
      return curve.getPublicKey(sk, false);
    },
    sign(sk, message) {
      checkSigningKey(name, sk);
      if (!curve.utils.isValidSecretKey(sk)) {
        throw new CryptoError('invalid-private-key', `${name}: scalar out of range`);
      }
      return curve.sign(message, sk, { format: 'der' });
    },
    verify(pk, message, signature) {
      if (!isWellFormedVerifyingKey(name, pk) || !(signature instanceof Uint8Array)) return false;
      try {
        return curve.verify(signature, message, pk, { format: 'der', lowS: false });
      } catch {
        return false;
      }
    },
  };
}

/** The noble signature schemes by name. */
export const nobleSignatures: Readonly<Record<SignatureScheme['name'], SignatureScheme>> = {
  Ed25519: edwards('Ed25519', ed25519),
  Ed448: edwards('Ed448', ed448),
  'ECDSA-P256-SHA256': ecdsa('ECDSA-P256-SHA256', p256),
  'ECDSA-P384-SHA384': ecdsa('ECDSA-P384-SHA384', p384),
  'ECDSA-P521-SHA512': ecdsa('ECDSA-P521-SHA512', p521),
};
