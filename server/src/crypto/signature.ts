// Ed25519, Ed448 and ECDSA (DER signatures, SEC1 uncompressed keys) on node:crypto.
// Like the noble schemes, verify accepts high-S ECDSA and is strict RFC 8032 for EdDSA.
import { sign, verify } from 'node:crypto';
import { CryptoError, nobleProvider, type SignatureScheme } from '@canopy/shared/crypto';
import { type Curve, type KeyStore, rawPublicKey, view } from './keys.js';

const SCHEMES: Record<
  SignatureScheme['name'],
  { curve: Curve; hash: string | null; privateKeySize: number; publicKeySize: number }
> = {
  Ed25519: { curve: 'Ed25519', hash: null, privateKeySize: 32, publicKeySize: 32 },
  Ed448: { curve: 'Ed448', hash: null, privateKeySize: 57, publicKeySize: 57 },
  'ECDSA-P256-SHA256': { curve: 'P-256', hash: 'sha256', privateKeySize: 32, publicKeySize: 65 },
  'ECDSA-P384-SHA384': { curve: 'P-384', hash: 'sha384', privateKeySize: 48, publicKeySize: 97 },
  'ECDSA-P521-SHA512': { curve: 'P-521', hash: 'sha512', privateKeySize: 66, publicKeySize: 133 },
};

/** A node:crypto signature scheme; KeyObjects come from (and are cached in) `keys`. */
export function nodeSignature(name: SignatureScheme['name'], keys: KeyStore): SignatureScheme {
  const { curve, hash, privateKeySize, publicKeySize } = SCHEMES[name];
  const ecdsa = hash !== null;
  // The ECDSA scalar range is the curve's, which the noble DH group checks.
  const scalarOk = ecdsa
    ? (sk: Uint8Array) => nobleProvider.dh!(curve as 'P-256')!.isValidPrivateKey(sk)
    : () => true;

  function signingKey(sk: Uint8Array) {
    if (!(sk instanceof Uint8Array) || sk.length !== privateKeySize || !scalarOk(sk)) {
      throw new CryptoError('invalid-private-key', `${name}: malformed private key`);
    }
    return keys.private(curve, sk);
  }

  return {
    name,
    // Random bytes via noble, not generateKeyPairSync (see dh.ts: a Node 20 GC deadlock).
    generatePrivateKey: () => nobleProvider.signature!(name)!.generatePrivateKey(),
    publicKey: (sk) => rawPublicKey(curve, signingKey(sk)),
    sign(sk, message) {
      const key = signingKey(sk);
      return view(
        ecdsa ? sign(hash, message, { key, dsaEncoding: 'der' }) : sign(null, message, key),
      );
    },
    verify(pk, message, signature) {
      if (!(pk instanceof Uint8Array) || pk.length !== publicKeySize) return false;
      if (ecdsa && pk[0] !== 0x04) return false;
      if (!(signature instanceof Uint8Array)) return false;
      try {
        const key = keys.public(curve, pk);
        return ecdsa
          ? verify(hash, message, { key, dsaEncoding: 'der' }, signature)
          : verify(null, message, key, signature);
      } catch {
        return false;
      }
    },
  };
}
