// RFC 9605 §4.3: the SFrame header.
//
//   config byte: |X| K (3) |Y| C (3) |  then KID bytes (if X), then CTR bytes (if Y)
//
// A value 0..7 sits in K (or C) with its flag clear; a larger value follows the
// config byte big-endian in the fewest bytes, with K (or C) = byte length - 1.
// The encoder is minimal and the decoder accepts only minimal encodings (the
// RFC's "MUST be encoded with the minimum number of bytes"), so every (KID, CTR)
// has exactly one header.
import { SFrameError } from './errors.js';
import { checkBytes, checkU64, hi32, lo32, u64 } from './util.js';

/** Largest header: config byte + 8-byte KID + 8-byte CTR. */
export const MAX_HEADER_SIZE = 17;

/** Byte length (1..8) of the big-endian compact encoding of (hi, lo). */
function fieldLength(hi: number, lo: number): number {
  const x = hi !== 0 ? hi : lo;
  const n = x < 0x100 ? 1 : x < 0x1_0000 ? 2 : x < 0x100_0000 ? 3 : 4;
  return hi !== 0 ? n + 4 : n;
}

function putField(out: Uint8Array, off: number, len: number, hi: number, lo: number): void {
  let p = off + len - 1;
  const nlo = Math.min(len, 4);
  for (let i = 0; i < nlo; i++, lo >>>= 8) out[p--] = lo & 0xff;
  for (let i = nlo; i < len; i++, hi >>>= 8) out[p--] = hi & 0xff;
}

/** Size in bytes of the header for KID and CTR given as uint32 halves. */
export function headerSize(kidHi: number, kidLo: number, ctrHi: number, ctrLo: number): number {
  const k = kidHi === 0 && kidLo < 8 ? 0 : fieldLength(kidHi, kidLo);
  const c = ctrHi === 0 && ctrLo < 8 ? 0 : fieldLength(ctrHi, ctrLo);
  return 1 + k + c;
}

/** Writes the header at out[off..]; returns the offset after it. Halves must be uint32. */
export function writeHeader(
  out: Uint8Array,
  off: number,
  kidHi: number,
  kidLo: number,
  ctrHi: number,
  ctrLo: number,
): number {
  const kInline = kidHi === 0 && kidLo < 8;
  const cInline = ctrHi === 0 && ctrLo < 8;
  const klen = kInline ? 0 : fieldLength(kidHi, kidLo);
  const clen = cInline ? 0 : fieldLength(ctrHi, ctrLo);
  out[off] =
    (kInline ? kidLo << 4 : 0x80 | ((klen - 1) << 4)) | (cInline ? ctrLo : 0x08 | (clen - 1));
  putField(out, off + 1, klen, kidHi, kidLo);
  putField(out, off + 1 + klen, clen, ctrHi, ctrLo);
  return off + 1 + klen + clen;
}

/** A decoded header, as uint32 halves (reused across frames to avoid allocation). */
export class HeaderFields {
  kidHi = 0;
  kidLo = 0;
  ctrHi = 0;
  ctrLo = 0;
  /** Header length in bytes. */
  length = 0;
}

// The value readValue last read, as hi and lo 32-bit halves: no allocation per frame.
const value = new Uint32Array(2);

/** Reads an n-byte big-endian KID or CTR at buf[p..end) into `value`, refusing non-minimal forms. */
function readValue(buf: Uint8Array, p: number, n: number, end: number, what: 'KID' | 'CTR'): void {
  if (p + n > end) throw new SFrameError('truncated', `SFrame header: ${what} needs ${n} bytes`);
  if (n === 1 ? buf[p] < 8 : buf[p] === 0) {
    throw new SFrameError('malformed-header', `SFrame header: ${what} not minimally encoded`);
  }
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < n; i++) {
    hi = ((hi << 8) | (lo >>> 24)) >>> 0;
    lo = ((lo << 8) | buf[p + i]) >>> 0;
  }
  value[0] = hi;
  value[1] = lo;
}

/**
 * Reads the header at buf[off..end) into `h`. Throws SFrameError 'truncated' if
 * the input ends inside it, 'malformed-header' if a value is not minimally encoded.
 */
export function readHeader(buf: Uint8Array, off: number, end: number, h: HeaderFields): void {
  if (off >= end) throw new SFrameError('truncated', 'SFrame header: no bytes');
  const cfg = buf[off];
  let p = off + 1;
  const k = (cfg >>> 4) & 7; // the KID itself, or its length - 1 when extended
  if (cfg & 0x80) {
    readValue(buf, p, k + 1, end, 'KID');
    h.kidHi = value[0];
    h.kidLo = value[1];
    p += k + 1;
  } else {
    h.kidHi = 0;
    h.kidLo = k;
  }
  const c = cfg & 7; // the CTR itself, or its length - 1 when extended
  if (cfg & 0x08) {
    readValue(buf, p, c + 1, end, 'CTR');
    h.ctrHi = value[0];
    h.ctrLo = value[1];
    p += c + 1;
  } else {
    h.ctrHi = 0;
    h.ctrLo = c;
  }
  h.length = p - off;
}

/** Encodes the SFrame header for a KID and CTR, each in [0, 2^64 - 1] (§4.3). */
export function encodeHeader(kid: bigint, ctr: bigint): Uint8Array {
  checkU64(kid, 'KID');
  checkU64(ctr, 'CTR');
  const kh = hi32(kid);
  const kl = lo32(kid);
  const ch = hi32(ctr);
  const cl = lo32(ctr);
  const out = new Uint8Array(headerSize(kh, kl, ch, cl));
  writeHeader(out, 0, kh, kl, ch, cl);
  return out;
}

/**
 * Decodes the header at the start of `data` (which may go on with ciphertext).
 * `length` is the header's size in bytes. Throws SFrameError on bad input.
 */
export function decodeHeader(data: Uint8Array): { kid: bigint; ctr: bigint; length: number } {
  checkBytes(data, 'SFrame header');
  const h = new HeaderFields();
  readHeader(data, 0, data.length, h);
  return { kid: u64(h.kidHi, h.kidLo), ctr: u64(h.ctrHi, h.ctrLo), length: h.length };
}
