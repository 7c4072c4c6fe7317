// Byte-string helpers shared by the crypto modules (internal).
import { CryptoError } from './errors.js';

/** Concatenation of byte strings. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** I2OSP(n, w) of RFC 8017: `n` big-endian in exactly `w` bytes (w <= 6). */
export function i2osp(n: number, w: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0 || n >= 2 ** (8 * w)) {
    throw new CryptoError('invalid-length', `I2OSP: ${n} does not fit in ${w} bytes`);
  }
  const out = new Uint8Array(w);
  for (let i = w - 1; i >= 0; i--) {
    out[i] = n % 256;
    n = Math.floor(n / 256);
  }
  return out;
}

/** UTF-8 bytes of a string (labels are ASCII, but encode any string correctly). */
export function utf8(s: string): Uint8Array {
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else
      out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

/** Whether every byte is zero (constant time in the length). */
export function isAllZero(a: Uint8Array): boolean {
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i];
  return d === 0;
}

/** Throws CryptoError('invalid-length') unless `b` is `n` bytes long. */
export function checkLength(b: Uint8Array, n: number, what: string): void {
  if (!(b instanceof Uint8Array) || b.length !== n) {
    throw new CryptoError(
      'invalid-length',
      `${what}: expected ${n} bytes, got ${b instanceof Uint8Array ? b.length : typeof b}`,
    );
  }
}
