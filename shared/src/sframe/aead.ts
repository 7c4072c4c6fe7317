// The AEAD of a suite (RFC 9605 §4.4: AEAD.Encrypt / AEAD.Decrypt), prepared
// once per sframe_key so per-frame work is only the cipher itself. This is the
// synchronous one, on @noble; subtle-aead.ts is the asynchronous one, on WebCrypto.
//
// The AAD is passed in two parts (SFrame header, then metadata) because a
// frame's header and clear metadata are not adjacent in memory; the AEAD
// authenticates their concatenation.
import { gcm } from '@noble/ciphers/aes.js';
import { AesCtrHmac } from './aes-ctr-hmac.js';
import type { CipherSuite } from './cipher-suite.js';

export interface FrameAead {
  /** Writes ciphertext || tag (pt.length + Nt bytes) at out[off..]. */
  seal(
    nonce: Uint8Array,
    aad1: Uint8Array,
    aad2: Uint8Array,
    pt: Uint8Array,
    out: Uint8Array,
    off: number,
  ): void;
  /**
   * Verifies ciphertext || tag and writes the plaintext (ct.length - Nt bytes)
   * at out[off..]. Returns false, writing nothing, if the tag does not verify.
   */
  open(
    nonce: Uint8Array,
    aad1: Uint8Array,
    aad2: Uint8Array,
    ct: Uint8Array,
    out: Uint8Array,
    off: number,
  ): boolean;
  /** Best-effort wipe of the key material it holds. */
  destroy(): void;
}

// Scratch for joining the two AAD parts (GCM takes one AAD). Used only within
// one synchronous call, so sharing it across keys is safe.
let aadScratch = new Uint8Array(64);

function joinAad(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const n = a.length + b.length;
  if (aadScratch.length < n) aadScratch = new Uint8Array(Math.max(n, 2 * aadScratch.length));
  aadScratch.set(a);
  aadScratch.set(b, a.length);
  return aadScratch.subarray(0, n);
}

/** AES-GCM with a 16-byte tag (suites 4 and 5), on @noble/ciphers. */
export class AesGcm implements FrameAead {
  private readonly key: Uint8Array;

  constructor(suite: CipherSuite, key: Uint8Array) {
    if (suite.aead !== 'aes-gcm' || key.length !== suite.Nk) {
      throw new Error('AesGcm: suite/key mismatch'); // internal misuse, callers validate first
    }
    this.key = key.slice();
  }

  seal(
    nonce: Uint8Array,
    aad1: Uint8Array,
    aad2: Uint8Array,
    pt: Uint8Array,
    out: Uint8Array,
    off: number,
  ): void {
    out.set(gcm(this.key, nonce, joinAad(aad1, aad2)).encrypt(pt), off);
  }

  open(
    nonce: Uint8Array,
    aad1: Uint8Array,
    aad2: Uint8Array,
    ct: Uint8Array,
    out: Uint8Array,
    off: number,
  ): boolean {
    let pt: Uint8Array;
    try {
      pt = gcm(this.key, nonce, joinAad(aad1, aad2)).decrypt(ct);
    } catch {
      return false; // noble throws on a tag mismatch
    }
    out.set(pt, off);
    return true;
  }

  destroy(): void {
    this.key.fill(0);
  }
}

/** The prepared AEAD for a suite and an Nk-byte sframe_key. */
export function makeAead(suite: CipherSuite, key: Uint8Array): FrameAead {
  return suite.aead === 'aes-gcm' ? new AesGcm(suite, key) : new AesCtrHmac(suite, key);
}
