// The AEAD of a suite (RFC 9605 §4.4: AEAD.Encrypt / AEAD.Decrypt) on
// WebCrypto (`crypto.subtle`, in browsers, workers and Node): the engine's
// native AES, asynchronous. Keys are imported once per sframe_key as
// non-extractable CryptoKeys.
//
//   AES-GCM suites (4, 5):      one subtle AES-GCM call per frame.
//   AES-CTR + HMAC (1–3, 6–8):  subtle AES-CTR and HMAC, composed as §4.5.1
//                               (aes-ctr-hmac.ts); the tag is checked, in
//                               constant time, before anything is decrypted.
//
// Where there is no `crypto.subtle` (an insecure browser context), the same
// interface runs the synchronous @noble AEAD of aead.ts instead.
import { equalBytes } from '@noble/ciphers/utils.js';
import { type FrameAead, makeAead } from './aead.js';
import type { CipherSuite } from './cipher-suite.js';
import { putU64, TWO32 } from './util.js';

/**
 * An AEAD keyed with one sframe_key. Callers must not modify the inputs
 * until the returned promise settles.
 */
export interface AsyncFrameAead {
  /** AEAD.Encrypt: ciphertext || tag. */
  seal(nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): Promise<Uint8Array>;
  /** AEAD.Decrypt: the plaintext, or undefined if the tag does not verify. */
  open(nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array): Promise<Uint8Array | undefined>;
  /** Best-effort wipe (a CryptoKey cannot be wiped: it is only dropped). */
  destroy(): void;
}

// The part of SubtleCrypto used here (shared/ compiles without the DOM typings).
type Key = object;
interface Subtle {
  importKey(
    format: 'raw',
    keyData: Uint8Array,
    algorithm: string | { name: string; hash?: string },
    extractable: boolean,
    usages: string[],
  ): Promise<Key>;
  encrypt(algorithm: object, key: Key, data: Uint8Array): Promise<ArrayBuffer>;
  decrypt(algorithm: object, key: Key, data: Uint8Array): Promise<ArrayBuffer>;
  sign(algorithm: string, key: Key, data: Uint8Array): Promise<ArrayBuffer>;
}

function subtleCrypto(): Subtle | undefined {
  return (globalThis as { crypto?: { subtle?: Subtle } }).crypto?.subtle;
}

/** Which implementation the asynchronous path runs on here. */
export function asyncAeadBackend(): 'webcrypto' | 'noble' {
  return subtleCrypto() === undefined ? 'noble' : 'webcrypto';
}

class SubtleAesGcm implements AsyncFrameAead {
  constructor(
    private readonly subtle: Subtle,
    private readonly key: Key,
  ) {}

  async seal(nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): Promise<Uint8Array> {
    const alg = { name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: 128 };
    return new Uint8Array(await this.subtle.encrypt(alg, this.key, pt));
  }

  async open(nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array): Promise<Uint8Array | undefined> {
    const alg = { name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: 128 };
    try {
      return new Uint8Array(await this.subtle.decrypt(alg, this.key, ct));
    } catch {
      return undefined; // OperationError: the tag did not verify (or ct is shorter than it)
    }
  }

  destroy(): void {}
}

class SubtleAesCtrHmac implements AsyncFrameAead {
  constructor(
    private readonly subtle: Subtle,
    private readonly suite: CipherSuite,
    private readonly encKey: Key,
    private readonly macKey: Key,
  ) {}

  /** u64(len(aad)) || u64(len(ct)) || u64(Nt) || nonce || aad || ct: the HMAC input (a copy of ct). */
  private macInput(nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array): Uint8Array {
    const head = 24 + nonce.length + aad.length;
    const m = new Uint8Array(head + ct.length);
    putU64(m, 0, Math.floor(aad.length / TWO32), aad.length >>> 0);
    putU64(m, 8, Math.floor(ct.length / TWO32), ct.length >>> 0);
    putU64(m, 16, 0, this.suite.Nt);
    m.set(nonce, 24);
    m.set(aad, 24 + nonce.length);
    m.set(ct, head);
    return m;
  }

  /** AES-CTR from the block nonce || 0x00000000 (a frame never wraps the 32-bit block counter). */
  private async ctr(nonce: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
    const counter = new Uint8Array(16);
    counter.set(nonce);
    const alg = { name: 'AES-CTR', counter, length: 32 };
    return new Uint8Array(await this.subtle.encrypt(alg, this.encKey, data));
  }

  async seal(nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): Promise<Uint8Array> {
    const Nt = this.suite.Nt;
    const out = new Uint8Array(pt.length + Nt);
    const ct = await this.ctr(nonce, pt);
    out.set(ct);
    const mac = new Uint8Array(
      await this.subtle.sign('HMAC', this.macKey, this.macInput(nonce, aad, ct)),
    );
    out.set(mac.subarray(0, Nt), ct.length);
    return out;
  }

  async open(nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array): Promise<Uint8Array | undefined> {
    const Nt = this.suite.Nt;
    const n = ct.length - Nt;
    if (n < 0) return undefined;
    const input = this.macInput(nonce, aad, ct.subarray(0, n));
    const tag = ct.slice(n);
    const mac = new Uint8Array(await this.subtle.sign('HMAC', this.macKey, input));
    if (!equalBytes(mac.subarray(0, Nt), tag)) return undefined;
    return this.ctr(nonce, input.subarray(input.length - n));
  }

  destroy(): void {}
}

/** The synchronous @noble AEAD behind the asynchronous interface (no WebCrypto here). */
class NobleAead implements AsyncFrameAead {
  constructor(
    private readonly aead: FrameAead,
    private readonly Nt: number,
  ) {}

  private destroyed = false;

  async seal(nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): Promise<Uint8Array> {
    if (this.destroyed) throw new Error('NobleAead: used after destroy'); // internal misuse
    const out = new Uint8Array(pt.length + this.Nt);
    this.aead.seal(nonce, aad, EMPTY, pt, out, 0);
    return out;
  }

  async open(nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array): Promise<Uint8Array | undefined> {
    if (this.destroyed) throw new Error('NobleAead: used after destroy'); // internal misuse
    if (ct.length < this.Nt) return undefined;
    const out = new Uint8Array(ct.length - this.Nt);
    return this.aead.open(nonce, aad, EMPTY, ct, out, 0) ? out : undefined;
  }

  destroy(): void {
    this.destroyed = true;
    this.aead.destroy();
  }
}

const EMPTY = new Uint8Array(0);

const HMAC_HASH: Record<number, string> = { 32: 'SHA-256', 64: 'SHA-512' };

/**
 * The AEAD for a suite and an Nk-byte sframe_key (callers validate both).
 * With WebCrypto, a promise of the imported keys (the key bytes are copied
 * first, so the caller may wipe them at once); without, the @noble AEAD,
 * ready at once.
 */
export function prepareAead(
  suite: CipherSuite,
  key: Uint8Array,
): AsyncFrameAead | Promise<AsyncFrameAead> {
  const subtle = subtleCrypto();
  if (subtle === undefined) return new NobleAead(makeAead(suite, key), suite.Nt);
  return importSubtle(subtle, suite, key.slice());
}

async function importSubtle(
  subtle: Subtle,
  suite: CipherSuite,
  raw: Uint8Array,
): Promise<AsyncFrameAead> {
  try {
    if (suite.aead === 'aes-gcm') {
      const key = await subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
      return new SubtleAesGcm(subtle, key);
    }
    const [encKey, macKey] = await Promise.all([
      subtle.importKey('raw', raw.subarray(0, suite.Nka), 'AES-CTR', false, ['encrypt']),
      subtle.importKey(
        'raw',
        raw.subarray(suite.Nka),
        { name: 'HMAC', hash: HMAC_HASH[suite.Nh] },
        false,
        ['sign'],
      ),
    ]);
    return new SubtleAesCtrHmac(subtle, suite, encKey, macKey);
  } finally {
    raw.fill(0);
  }
}
