// RFC 9605 §4.5.1: the AES-CTR + HMAC AEAD (encrypt-then-MAC), suites 1–3
// (and the post-RFC 6–8).
//
//   enc_key = key[..Nka]      auth_key = key[Nka..]
//   ct  = AES-CTR(enc_key, nonce || 0x00000000, pt)
//   tag = HMAC(auth_key, u64(len(aad)) || u64(len(ct)) || u64(Nt) || nonce || aad || ct)[..Nt]
//   AEAD.Encrypt = ct || tag
//
// Decryption checks the tag (in constant time) before decrypting anything.
import { ctr } from '@noble/ciphers/aes.js';
import { equalBytes } from '@noble/ciphers/utils.js';
import { type _HMAC, hmac } from '@noble/hashes/hmac.js';
import type { FrameAead } from './aead.js';
import { type CipherSuite, cipherSuite, type SFrameSuiteId } from './cipher-suite.js';
import { SFrameError } from './errors.js';
import { checkBytes, invalid, putU64, TWO32 } from './util.js';

// biome-ignore lint/suspicious/noExplicitAny: noble's HMAC is generic over its hash state
type Hmac = _HMAC<any>;

/** AES-CTR output into out[off..]. noble wants a 4-byte-aligned destination. */
function ctrInto(
  encKey: Uint8Array,
  iv: Uint8Array,
  src: Uint8Array,
  out: Uint8Array,
  off: number,
) {
  const dst = out.subarray(off, off + src.length);
  if ((dst.byteOffset & 3) === 0) ctr(encKey, iv).encrypt(src, dst);
  else dst.set(ctr(encKey, iv).encrypt(src));
}

/** The AES-CTR + HMAC AEAD keyed with one sframe_key (Nka + Nh bytes). */
export class AesCtrHmac implements FrameAead {
  private readonly encKey: Uint8Array;
  /** HMAC with the key already absorbed; cloned for every tag. */
  private readonly keyed: Hmac;
  private work: Hmac;
  private readonly mac: Uint8Array;
  private readonly lengths = new Uint8Array(24);
  /** nonce || 0x00000000: the initial counter block. */
  private readonly iv = new Uint8Array(16);

  constructor(
    private readonly suite: CipherSuite,
    key: Uint8Array,
  ) {
    if (suite.aead !== 'aes-ctr-hmac' || key.length !== suite.Nk) {
      throw new Error('AesCtrHmac: suite/key mismatch'); // internal misuse, callers validate first
    }
    this.encKey = key.slice(0, suite.Nka);
    this.keyed = hmac.create(suite.hash, key.subarray(suite.Nka));
    this.work = this.keyed.clone();
    this.mac = new Uint8Array(suite.Nh);
    putU64(this.lengths, 16, 0, suite.Nt);
  }

  /** Full-length HMAC over the auth data into this.mac. */
  private computeTag(nonce: Uint8Array, aad1: Uint8Array, aad2: Uint8Array, ct: Uint8Array) {
    const aadLen = aad1.length + aad2.length;
    putU64(this.lengths, 0, Math.floor(aadLen / TWO32), aadLen >>> 0);
    putU64(this.lengths, 8, Math.floor(ct.length / TWO32), ct.length >>> 0);
    this.work = this.keyed._cloneInto(this.work);
    this.work.update(this.lengths).update(nonce).update(aad1).update(aad2).update(ct);
    this.work.digestInto(this.mac);
  }

  seal(
    nonce: Uint8Array,
    aad1: Uint8Array,
    aad2: Uint8Array,
    pt: Uint8Array,
    out: Uint8Array,
    off: number,
  ): void {
    this.iv.set(nonce);
    ctrInto(this.encKey, this.iv, pt, out, off);
    this.computeTag(nonce, aad1, aad2, out.subarray(off, off + pt.length));
    out.set(this.mac.subarray(0, this.suite.Nt), off + pt.length);
  }

  open(
    nonce: Uint8Array,
    aad1: Uint8Array,
    aad2: Uint8Array,
    ct: Uint8Array,
    out: Uint8Array,
    off: number,
  ): boolean {
    const Nt = this.suite.Nt;
    const n = ct.length - Nt;
    if (n < 0) return false;
    const inner = ct.subarray(0, n);
    this.computeTag(nonce, aad1, aad2, inner);
    if (!equalBytes(this.mac.subarray(0, Nt), ct.subarray(n))) return false;
    this.iv.set(nonce);
    ctrInto(this.encKey, this.iv, inner, out, off);
    return true;
  }

  destroy(): void {
    this.encKey.fill(0);
    this.mac.fill(0);
    this.keyed.destroy();
    this.work.destroy();
  }
}

function ctrHmacSuite(id: SFrameSuiteId): CipherSuite {
  const s = cipherSuite(id);
  if (s.aead !== 'aes-ctr-hmac') {
    throw new SFrameError('unsupported-suite', `suite ${id} is not an AES-CTR + HMAC suite`);
  }
  return s;
}

function checkKeyNonce(s: CipherSuite, key: Uint8Array, nonce: Uint8Array): void {
  checkBytes(key, 'key');
  checkBytes(nonce, 'nonce');
  if (key.length !== s.Nk) throw invalid(`key must be ${s.Nk} bytes for suite ${s.id}`);
  if (nonce.length !== s.Nn) throw invalid(`nonce must be ${s.Nn} bytes`);
}

/** enc_key and auth_key of §4.5.1 (copies). */
export function deriveSubkeys(
  suite: SFrameSuiteId,
  key: Uint8Array,
): { encKey: Uint8Array; authKey: Uint8Array } {
  const s = ctrHmacSuite(suite);
  checkBytes(key, 'key');
  if (key.length !== s.Nk) throw invalid(`key must be ${s.Nk} bytes for suite ${s.id}`);
  return { encKey: key.slice(0, s.Nka), authKey: key.slice(s.Nka) };
}

/** AEAD.Encrypt of §4.5.1: returns ciphertext || tag. */
export function aesCtrHmacEncrypt(
  suite: SFrameSuiteId,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
): Uint8Array {
  const s = ctrHmacSuite(suite);
  checkKeyNonce(s, key, nonce);
  checkBytes(aad, 'aad');
  checkBytes(plaintext, 'plaintext');
  const aead = new AesCtrHmac(s, key);
  const out = new Uint8Array(plaintext.length + s.Nt);
  aead.seal(nonce, aad, new Uint8Array(0), plaintext, out, 0);
  aead.destroy();
  return out;
}

/** AEAD.Decrypt of §4.5.1; throws SFrameError('authentication-failed') on a bad tag. */
export function aesCtrHmacDecrypt(
  suite: SFrameSuiteId,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  ciphertext: Uint8Array,
): Uint8Array {
  const s = ctrHmacSuite(suite);
  checkKeyNonce(s, key, nonce);
  checkBytes(aad, 'aad');
  checkBytes(ciphertext, 'ciphertext');
  if (ciphertext.length < s.Nt) throw new SFrameError('truncated', 'ciphertext shorter than tag');
  const aead = new AesCtrHmac(s, key);
  const out = new Uint8Array(ciphertext.length - s.Nt);
  const ok = aead.open(nonce, aad, new Uint8Array(0), ciphertext, out, 0);
  aead.destroy();
  if (!ok) throw new SFrameError('authentication-failed', 'AES-CTR-HMAC tag mismatch');
  return out;
}
