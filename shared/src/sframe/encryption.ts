// RFC 9605 §4.4.3 (encryption) and §4.4.4 (decryption).
//
//   nonce = sframe_salt XOR be(CTR, Nn)
//   aad   = header || metadata
//   SFrame ciphertext = header || AEAD.Encrypt(sframe_key, nonce, aad, plaintext)
import { type FrameAead, makeAead } from './aead.js';
import { type CipherSuite, cipherSuite, type SFrameSuiteId } from './cipher-suite.js';
import { SFrameError } from './errors.js';
import { HeaderFields, headerSize, readHeader, writeHeader } from './header.js';
import type { SFrameKeys } from './key-derivation.js';
import { checkBytes, checkU64, hi32, invalid, lo32, u64 } from './util.js';

/** sframe_salt XOR CTR (as Nn big-endian bytes) into `out`; CTR as uint32 halves. */
export function writeNonce(salt: Uint8Array, ctrHi: number, ctrLo: number, out: Uint8Array): void {
  const n = salt.length; // Nn = 12: CTR covers the last 8 bytes
  for (let i = 0; i < n - 8; i++) out[i] = salt[i];
  out[n - 8] = salt[n - 8] ^ (ctrHi >>> 24);
  out[n - 7] = salt[n - 7] ^ ((ctrHi >>> 16) & 0xff);
  out[n - 6] = salt[n - 6] ^ ((ctrHi >>> 8) & 0xff);
  out[n - 5] = salt[n - 5] ^ (ctrHi & 0xff);
  out[n - 4] = salt[n - 4] ^ (ctrLo >>> 24);
  out[n - 3] = salt[n - 3] ^ ((ctrLo >>> 16) & 0xff);
  out[n - 2] = salt[n - 2] ^ ((ctrLo >>> 8) & 0xff);
  out[n - 1] = salt[n - 1] ^ (ctrLo & 0xff);
}

/**
 * One (sframe_key, sframe_salt) ready for use: the AEAD is keyed once and the
 * nonce buffer reused, so a frame costs only its cipher work.
 */
export class FrameKey {
  readonly suite: CipherSuite;
  private readonly salt: Uint8Array;
  private readonly nonce: Uint8Array;
  private readonly aead: FrameAead;

  constructor(suite: CipherSuite, keys: SFrameKeys) {
    checkKeys(suite, keys);
    this.suite = suite;
    this.salt = keys.salt.slice();
    this.nonce = new Uint8Array(suite.Nn);
    this.aead = makeAead(suite, keys.key);
  }

  /**
   * Writes header || ciphertext || tag at out[off..] (out must have room:
   * headerSize + pt.length + Nt) and returns the offset after it.
   */
  seal(
    kidHi: number,
    kidLo: number,
    ctrHi: number,
    ctrLo: number,
    metadata: Uint8Array,
    pt: Uint8Array,
    out: Uint8Array,
    off: number,
  ): number {
    const ctOff = writeHeader(out, off, kidHi, kidLo, ctrHi, ctrLo);
    writeNonce(this.salt, ctrHi, ctrLo, this.nonce);
    this.aead.seal(this.nonce, out.subarray(off, ctOff), metadata, pt, out, ctOff);
    return ctOff + pt.length + this.suite.Nt;
  }

  /**
   * Opens the SFrame ciphertext data[start..end) whose header `h` was read at
   * `start`; writes the plaintext (end - start - h.length - Nt bytes) at
   * out[off..]. Returns false, writing nothing, if authentication fails.
   */
  open(
    h: HeaderFields,
    data: Uint8Array,
    start: number,
    end: number,
    metadata: Uint8Array,
    out: Uint8Array,
    off: number,
  ): boolean {
    const ctOff = start + h.length;
    writeNonce(this.salt, h.ctrHi, h.ctrLo, this.nonce);
    return this.aead.open(
      this.nonce,
      data.subarray(start, ctOff),
      metadata,
      data.subarray(ctOff, end),
      out,
      off,
    );
  }

  /** Best-effort wipe of the key material. */
  destroy(): void {
    this.salt.fill(0);
    this.aead.destroy();
  }
}

/** Throws 'invalid-argument' unless keys are { key: Nk bytes, salt: Nn bytes }. */
export function checkKeys(suite: CipherSuite, keys: SFrameKeys): void {
  if (typeof keys !== 'object' || keys === null) throw invalid('keys must be { key, salt }');
  checkBytes(keys.key, 'key');
  checkBytes(keys.salt, 'salt');
  if (keys.key.length !== suite.Nk) throw invalid(`key must be ${suite.Nk} bytes`);
  if (keys.salt.length !== suite.Nn) throw invalid(`salt must be ${suite.Nn} bytes`);
}

/** The nonce for a CTR under a salt (§4.4.3). */
export function frameNonce(salt: Uint8Array, ctr: bigint): Uint8Array {
  checkBytes(salt, 'salt');
  checkU64(ctr, 'CTR');
  if (salt.length < 8) throw invalid('salt too short');
  const out = new Uint8Array(salt.length);
  writeNonce(salt, hi32(ctr), lo32(ctr), out);
  return out;
}

/** Bytes SFrame adds to a frame: header (for this KID and CTR) + tag. */
export function sframeOverhead(suite: SFrameSuiteId, kid: bigint, ctr: bigint): number {
  checkU64(kid, 'KID');
  checkU64(ctr, 'CTR');
  return headerSize(hi32(kid), lo32(kid), hi32(ctr), lo32(ctr)) + cipherSuite(suite).Nt;
}

/**
 * encrypt(CTR, KID, metadata, plaintext) of §4.4.3 with explicit keys:
 * returns the SFrame ciphertext header || ciphertext || tag. The caller owns
 * CTR uniqueness per key; SFrameSender does that for media.
 */
export function encrypt(
  suite: SFrameSuiteId,
  keys: { key: Uint8Array; salt: Uint8Array },
  kid: bigint,
  ctr: bigint,
  metadata: Uint8Array,
  plaintext: Uint8Array,
): Uint8Array {
  const f = encryptLayout(suite, kid, ctr, metadata, plaintext);
  const fk = new FrameKey(f.s, keys);
  fk.seal(f.kh, f.kl, f.ch, f.cl, metadata, plaintext, f.out, 0);
  fk.destroy();
  return f.out;
}

/**
 * decrypt(metadata, sframe_ciphertext) of §4.4.4 with explicit keys (the
 * caller picks them by KID). Throws SFrameError: 'truncated',
 * 'malformed-header' or 'authentication-failed'.
 */
export function decrypt(
  suite: SFrameSuiteId,
  keys: { key: Uint8Array; salt: Uint8Array },
  metadata: Uint8Array,
  sframeCiphertext: Uint8Array,
): { kid: bigint; ctr: bigint; plaintext: Uint8Array } {
  const { s, h } = decryptLayout(suite, keys, metadata, sframeCiphertext);
  const data = sframeCiphertext;
  const fk = new FrameKey(s, keys);
  const plaintext = new Uint8Array(data.length - h.length - s.Nt);
  const ok = fk.open(h, data, 0, data.length, metadata, plaintext, 0);
  fk.destroy();
  if (!ok) throw new SFrameError('authentication-failed', 'SFrame authentication failed');
  return { kid: u64(h.kidHi, h.kidLo), ctr: u64(h.ctrHi, h.ctrLo), plaintext };
}

/** encrypt()'s checked inputs: the suite, KID and CTR halves, and the output buffer sized for them. */
export function encryptLayout(
  suite: SFrameSuiteId,
  kid: bigint,
  ctr: bigint,
  metadata: Uint8Array,
  plaintext: Uint8Array,
) {
  const s = cipherSuite(suite);
  checkU64(kid, 'KID');
  checkU64(ctr, 'CTR');
  checkBytes(metadata, 'metadata');
  checkBytes(plaintext, 'plaintext');
  const kh = hi32(kid);
  const kl = lo32(kid);
  const ch = hi32(ctr);
  const cl = lo32(ctr);
  const out = new Uint8Array(headerSize(kh, kl, ch, cl) + plaintext.length + s.Nt);
  return { s, kh, kl, ch, cl, out };
}

/** decrypt()'s checked inputs: the suite and the parsed header of a ciphertext long enough for its tag. */
export function decryptLayout(
  suite: SFrameSuiteId,
  keys: { key: Uint8Array; salt: Uint8Array },
  metadata: Uint8Array,
  sframeCiphertext: Uint8Array,
): { s: CipherSuite; h: HeaderFields } {
  const s = cipherSuite(suite);
  checkBytes(metadata, 'metadata');
  checkBytes(sframeCiphertext, 'SFrame ciphertext');
  checkKeys(s, keys);
  const h = new HeaderFields();
  readHeader(sframeCiphertext, 0, sframeCiphertext.length, h);
  if (sframeCiphertext.length - h.length < s.Nt)
    throw new SFrameError('truncated', 'SFrame ciphertext shorter than its tag');
  return { s, h };
}
