// AES-GCM and ChaCha20-Poly1305 on node:crypto (OpenSSL), 16-byte tags, 12-byte nonces.
import { type CipherGCMTypes, createCipheriv, createDecipheriv } from 'node:crypto';
import { type Aead, CryptoError, nobleProvider } from '@canopy/shared/crypto';
import { view } from './keys.js';

const NODE_NAMES: Record<Aead['name'], string> = {
  'AES-128-GCM': 'aes-128-gcm',
  'AES-256-GCM': 'aes-256-gcm',
  'ChaCha20-Poly1305': 'chacha20-poly1305',
};

/** A node:crypto AEAD with the same parameters and errors as noble's. */
export function nodeAead(name: Aead['name']): Aead {
  const params = nobleProvider.aead!(name)!;
  // The GCM and ChaCha20-Poly1305 overloads of createCipheriv return the same
  // shape (setAAD, getAuthTag / setAuthTag); the GCM type stands for both.
  const alg = NODE_NAMES[name] as CipherGCMTypes;
  const { keySize, nonceSize, tagSize } = params;

  function checkInput(key: Uint8Array, nonce: Uint8Array): void {
    if (key.length !== keySize || nonce.length !== nonceSize) {
      throw new CryptoError('invalid-length', `${name}: bad key or nonce length`);
    }
  }

  return {
    name,
    id: params.id,
    keySize,
    nonceSize,
    tagSize,
    seal(key, nonce, aad, plaintext) {
      checkInput(key, nonce);
      const c = createCipheriv(alg, key, nonce, { authTagLength: tagSize });
      c.setAAD(aad, { plaintextLength: plaintext.length });
      return view(Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]));
    },
    open(key, nonce, aad, ciphertext) {
      checkInput(key, nonce);
      if (ciphertext.length < tagSize) {
        throw new CryptoError('aead-open', `${name}: ciphertext too short`);
      }
      const body = ciphertext.subarray(0, ciphertext.length - tagSize);
      try {
        const d = createDecipheriv(alg, key, nonce, { authTagLength: tagSize });
        d.setAuthTag(ciphertext.subarray(body.length));
        d.setAAD(aad, { plaintextLength: body.length });
        return view(Buffer.concat([d.update(body), d.final()]));
      } catch {
        throw new CryptoError('aead-open', `${name}: authentication failed`);
      }
    },
  };
}
