// AEADs on @noble/ciphers: AES-GCM (NIST SP 800-38D) and ChaCha20-Poly1305 (RFC 8439).
import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { checkLength } from './bytes.js';
import { CryptoError } from './errors.js';
import type { Aead } from './primitives.js';

type NobleAead = (
  key: Uint8Array,
  nonce: Uint8Array,
  aad?: Uint8Array,
) => { encrypt(p: Uint8Array): Uint8Array; decrypt(c: Uint8Array): Uint8Array };

/** Static parameters of an AEAD; shared with native providers. */
export const AEAD_PARAMS: Readonly<Record<Aead['name'], { id: number; keySize: number }>> = {
  'AES-128-GCM': { id: 0x0001, keySize: 16 },
  'AES-256-GCM': { id: 0x0002, keySize: 32 },
  'ChaCha20-Poly1305': { id: 0x0003, keySize: 32 },
};

/** Checks key and nonce lengths (every MLS AEAD has a 12-byte nonce and a 16-byte tag). */
export function checkAeadInput(name: Aead['name'], key: Uint8Array, nonce: Uint8Array): void {
  checkLength(key, AEAD_PARAMS[name].keySize, `${name} key`);
  checkLength(nonce, 12, `${name} nonce`);
}

function nobleAead(name: Aead['name'], cipher: NobleAead): Aead {
  return {
    name,
    id: AEAD_PARAMS[name].id,
    keySize: AEAD_PARAMS[name].keySize,
    nonceSize: 12,
    tagSize: 16,
    seal(key, nonce, aad, plaintext) {
      checkAeadInput(name, key, nonce);
      return cipher(key, nonce, aad).encrypt(plaintext);
    },
    open(key, nonce, aad, ciphertext) {
      checkAeadInput(name, key, nonce);
      if (ciphertext.length < 16)
        throw new CryptoError('aead-open', `${name}: ciphertext too short`);
      try {
        return cipher(key, nonce, aad).decrypt(ciphertext);
      } catch {
        throw new CryptoError('aead-open', `${name}: authentication failed`);
      }
    },
  };
}

/** The noble AEADs by name. */
export const nobleAeads: Readonly<Record<Aead['name'], Aead>> = {
  'AES-128-GCM': nobleAead('AES-128-GCM', gcm),
  'AES-256-GCM': nobleAead('AES-256-GCM', gcm),
  'ChaCha20-Poly1305': nobleAead('ChaCha20-Poly1305', chacha20poly1305),
};
