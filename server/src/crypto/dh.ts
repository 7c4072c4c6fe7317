// X25519, X448 and ECDH (P-256/384/521) on node:crypto. Key validation rules,
// sizes and private-key checks are the noble group's, so both agree on what is valid.
import { diffieHellman, generateKeyPairSync } from 'node:crypto';
import { CryptoError, type DhGroup, nobleProvider } from '@canopy/shared/crypto';
import { type KeyStore, rawPrivateKey, rawPublicKey, view } from './keys.js';

function generate(name: DhGroup['name']) {
  switch (name) {
    case 'X25519':
      return generateKeyPairSync('x25519');
    case 'X448':
      return generateKeyPairSync('x448');
    default:
      return generateKeyPairSync('ec', { namedCurve: name });
  }
}

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
    generatePrivateKey() {
      const { privateKey } = generate(name);
      const sk = rawPrivateKey(privateKey, privateKeySize);
      keys.rememberPrivate(name, sk, privateKey);
      return sk;
    },
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
