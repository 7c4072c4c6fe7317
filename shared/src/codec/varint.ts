// Variable-length integers of RFC 9420 §2.1.2 (QUIC-style, 30-bit maximum in MLS).
import { DecodeError, EncodeError } from './errors.js';

/** Largest value a varint can carry in MLS: 2^30 - 1. */
export const VARINT_MAX = 0x3fffffff;

/** Number of bytes the minimal encoding of `n` takes (1, 2 or 4). */
export function varintSize(n: number): 1 | 2 | 4 {
  if (!Number.isInteger(n) || n < 0 || n > VARINT_MAX) {
    throw new EncodeError(`varint out of range: ${n}`);
  }
  return n < 0x40 ? 1 : n < 0x4000 ? 2 : 4;
}

/** Writes the minimal varint encoding of `n` into `out` at `off`; returns the new offset. */
export function writeVarint(out: Uint8Array, off: number, n: number): number {
  const size = varintSize(n);
  if (size === 1) {
    out[off] = n;
  } else if (size === 2) {
    out[off] = 0x40 | (n >>> 8);
    out[off + 1] = n & 0xff;
  } else {
    out[off] = 0x80 | (n >>> 24);
    out[off + 1] = (n >>> 16) & 0xff;
    out[off + 2] = (n >>> 8) & 0xff;
    out[off + 3] = n & 0xff;
  }
  return off + size;
}

/**
 * Reads a varint at `off` (not past `end`). Returns [value, next offset]. Rejects the 0b11 prefix
 * and non-minimal encodings, as RFC 9420 §2.1.2 requires.
 */
export function readVarint(buf: Uint8Array, off: number, end = buf.length): [number, number] {
  if (off >= end) throw new DecodeError('truncated', 'varint: no bytes');
  const first = buf[off];
  const prefix = first >>> 6;
  if (prefix === 3) throw new DecodeError('invalid-varint', 'varint: 0b11 length prefix');
  const size = 1 << prefix;
  if (off + size > end) throw new DecodeError('truncated', 'varint: truncated');
  let v = first & 0x3f;
  for (let i = 1; i < size; i++) v = v * 256 + buf[off + i];
  if (size > 1 && v < (size === 2 ? 0x40 : 0x4000)) {
    throw new DecodeError('non-minimal-varint', `varint: ${v} not minimally encoded`);
  }
  return [v, off + size];
}
