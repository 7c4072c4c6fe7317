// X25519, X448 and ECDH (P-256/384/521) on node:crypto. Key validation rules,
// sizes and private-key checks are the noble group's, so both agree on what is valid.
import { diffieHellman } from 'node:crypto';
import { CryptoError, type DhGroup, nobleProvider } from '@canopy/shared/crypto';
import { type KeyStore, rawPublicKey, view } from './keys.js';

/** A node:crypto DH group; KeyObjects come from (and are cached in) `keys`. */
export function nodeDhGroup(name: DhGroup['name'], keys: KeyStore): DhGroup {
  const noble = nobleProvider.dh!(name)!;
  const { publicKeySize, privateKeySize, sharedSize } = noble;
  const ec = name.startsWith('P-');

  function checkPrivate(sk: Uint8Array): void {
    if (!(sk instanceof Uint8Array) || !noble.isValidPrivateKey(sk)) {
      throw new CryptoError('invalid-private-key', `${name}: invalid private key`);
    }
  }

  return {
    name,
    publicKeySize,
    privateKeySize,
    sharedSize,
    isValidPrivateKey: (sk) => noble.isValidPrivateKey(sk),
    // Random bytes (reduced into the scalar range for the NIST curves), not
    // generateKeyPairSync: on Node 20 a KeyGenJob finalized by GC during a
    // later JWK export deadlocks the process (seen at ~1,000-member groups).
    generatePrivateKey: () => noble.generatePrivateKey(),
    publicKey(sk) {
      checkPrivate(sk);
      return rawPublicKey(name, keys.private(name, sk));
    },
    dh(sk, pk) {
      checkPrivate(sk);
      if (!(pk instanceof Uint8Array) || pk.length !== publicKeySize || (ec && pk[0] !== 0x04)) {
        throw new CryptoError('invalid-public-key', `${name}: malformed public key`);
      }
      const privateKey = keys.private(name, sk);
      const publicKey = keys.public(name, pk);
      let shared: Uint8Array;
      try {
        // OpenSSL refuses an all-zero X25519/X448 result (small-order point).
        shared = view(diffieHellman({ privateKey, publicKey }));
      } catch {
        throw new CryptoError('invalid-public-key', `${name}: DH failed on the public key`);
      }
      if (shared.length !== sharedSize || shared.every((b) => b === 0)) {
        throw new CryptoError('invalid-public-key', `${name}: invalid DH output`);
      }
      return shared;
    },
  };
}
