// RFC 9605 §4.4.3 (encryption) and §4.4.4 (decryption), asynchronous: the
// same bytes as encryption.ts, with the AEAD on WebCrypto (subtle-aead.ts).
//
// Everything that depends on the caller's state (header, nonce, AAD) is
// computed when a call is made, before its first await, so calls may
// overlap: each carries its own nonce and AAD.
import type { CipherSuite, SFrameSuiteId } from './cipher-suite.js';
import { checkKeys, decryptLayout, encryptLayout, writeNonce } from './encryption.js';
import { SFrameError } from './errors.js';
import { type HeaderFields, writeHeader } from './header.js';
import type { SFrameKeys } from './key-derivation.js';
import { type AsyncFrameAead, prepareAead } from './subtle-aead.js';
import { u64 } from './util.js';

function joinAad(header: Uint8Array, metadata: Uint8Array): Uint8Array {
  const aad = new Uint8Array(header.length + metadata.length);
  aad.set(header);
  aad.set(metadata, header.length);
  return aad;
}

/**
 * One (sframe_key, sframe_salt) on the asynchronous AEAD: the key is imported
 * once (as a non-extractable CryptoKey) when this is made, and frames sealed
 * or opened before the import completes wait for it.
 */
export class AsyncFrameKey {
  readonly suite: CipherSuite;
  private readonly salt: Uint8Array;
  private aead: AsyncFrameAead | undefined;
  private readonly pending: Promise<AsyncFrameAead> | undefined;
  private destroyed = false;

  constructor(suite: CipherSuite, keys: SFrameKeys) {
    checkKeys(suite, keys);
    this.suite = suite;
    this.salt = keys.salt.slice();
    const a = prepareAead(suite, keys.key);
    if (a instanceof Promise) {
      this.pending = a;
      a.then(
        (ready) => {
          this.aead = ready;
          if (this.destroyed) ready.destroy();
        },
        () => {}, // surfaced to whoever awaits `pending`
      );
    } else this.aead = a;
  }

  /** Runs `f` on the AEAD: at once if it is ready (no await in between), else once imported. */
  private withAead<T>(f: (aead: AsyncFrameAead) => Promise<T>): Promise<T> {
    const a = this.aead;
    return a !== undefined ? f(a) : (this.pending as Promise<AsyncFrameAead>).then(f);
  }

  /**
   * Writes the header at out[off..] now and, once the promise resolves,
   * ciphertext || tag after it (out must have room: headerSize + pt.length
   * + Nt). Resolves to the offset after the frame. `pt` and `metadata` must
   * not change until then.
   */
  async seal(
    kidHi: number,
    kidLo: number,
    ctrHi: number,
    ctrLo: number,
    metadata: Uint8Array,
    pt: Uint8Array,
    out: Uint8Array,
    off: number,
  ): Promise<number> {
    const ctOff = writeHeader(out, off, kidHi, kidLo, ctrHi, ctrLo);
    const nonce = new Uint8Array(this.suite.Nn);
    writeNonce(this.salt, ctrHi, ctrLo, nonce);
    const aad = joinAad(out.subarray(off, ctOff), metadata);
    const sealed = await this.withAead((a) => a.seal(nonce, aad, pt));
    out.set(sealed, ctOff);
    return ctOff + sealed.length;
  }

  /**
   * Opens the SFrame ciphertext data[start..end) whose header `h` was read at
   * `start`. Resolves to the plaintext, or undefined if authentication fails.
   * `h` is read at once; `data` and `metadata` must not change until the
   * promise settles.
   */
  async open(
    h: HeaderFields,
    data: Uint8Array,
    start: number,
    end: number,
    metadata: Uint8Array,
  ): Promise<Uint8Array | undefined> {
    const ctOff = start + h.length;
    const nonce = new Uint8Array(this.suite.Nn);
    writeNonce(this.salt, h.ctrHi, h.ctrLo, nonce);
    const aad = joinAad(data.subarray(start, ctOff), metadata);
    const ct = data.subarray(ctOff, end);
    return this.withAead((a) => a.open(nonce, aad, ct));
  }

  /** Best-effort wipe; frames already started finish with the key they started with. */
  destroy(): void {
    this.destroyed = true;
    this.salt.fill(0);
    this.aead?.destroy();
  }
}

/**
 * encrypt(CTR, KID, metadata, plaintext) of §4.4.3 with explicit keys, on
 * WebCrypto: resolves to header || ciphertext || tag, the same bytes as
 * `encrypt`. Bad arguments reject with SFrameError.
 */
export async function encryptAsync(
  suite: SFrameSuiteId,
  keys: { key: Uint8Array; salt: Uint8Array },
  kid: bigint,
  ctr: bigint,
  metadata: Uint8Array,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  const f = encryptLayout(suite, kid, ctr, metadata, plaintext);
  const fk = new AsyncFrameKey(f.s, keys);
  try {
    await fk.seal(f.kh, f.kl, f.ch, f.cl, metadata, plaintext, f.out, 0);
  } finally {
    fk.destroy();
  }
  return f.out;
}

/**
 * decrypt(metadata, sframe_ciphertext) of §4.4.4 with explicit keys, on
 * WebCrypto. Rejects with SFrameError: 'truncated', 'malformed-header' or
 * 'authentication-failed'.
 */
export async function decryptAsync(
  suite: SFrameSuiteId,
  keys: { key: Uint8Array; salt: Uint8Array },
  metadata: Uint8Array,
  sframeCiphertext: Uint8Array,
): Promise<{ kid: bigint; ctr: bigint; plaintext: Uint8Array }> {
  const { s, h } = decryptLayout(suite, keys, metadata, sframeCiphertext);
  const data = sframeCiphertext;
  const fk = new AsyncFrameKey(s, keys);
  let plaintext: Uint8Array | undefined;
  try {
    plaintext = await fk.open(h, data, 0, data.length, metadata);
  } finally {
    fk.destroy();
  }
  if (plaintext === undefined) {
    throw new SFrameError('authentication-failed', 'SFrame authentication failed');
  }
  return { kid: u64(h.kidHi, h.kidLo), ctr: u64(h.ctrHi, h.ctrLo), plaintext };
}
