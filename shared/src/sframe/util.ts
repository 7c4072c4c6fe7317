// Small shared checks and uint64 helpers. Hot paths carry a uint64 as two
// uint32 numbers (hi, lo) so that no frame needs bigint arithmetic.
import { SFrameError } from './errors.js';

export const TWO32 = 0x1_0000_0000;
export const U64_MAX = 0xffff_ffff_ffff_ffffn;

export function invalid(message: string): SFrameError {
  return new SFrameError('invalid-argument', message);
}

export function checkBytes(x: unknown, what: string): asserts x is Uint8Array {
  if (!(x instanceof Uint8Array)) throw invalid(`${what} must be a Uint8Array`);
}

export function checkU64(x: unknown, what: string): asserts x is bigint {
  if (typeof x !== 'bigint' || x < 0n || x > U64_MAX) {
    throw invalid(`${what} must be a bigint in [0, 2^64 - 1]`);
  }
}

/** An integer in [min, max] (both inclusive, max at most 2^53 - 1). */
export function checkInt(x: unknown, what: string, min: number, max: number): asserts x is number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) {
    throw invalid(`${what} must be an integer in [${min}, ${max}]`);
  }
}

export function hi32(x: bigint): number {
  return Number(x >> 32n);
}

export function lo32(x: bigint): number {
  return Number(x & 0xffff_ffffn);
}

export function u64(hi: number, lo: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Big-endian uint64 (as halves) into out[off..off+8). */
export function putU64(out: Uint8Array, off: number, hi: number, lo: number): void {
  out[off] = hi >>> 24;
  out[off + 1] = (hi >>> 16) & 0xff;
  out[off + 2] = (hi >>> 8) & 0xff;
  out[off + 3] = hi & 0xff;
  out[off + 4] = lo >>> 24;
  out[off + 5] = (lo >>> 16) & 0xff;
  out[off + 6] = (lo >>> 8) & 0xff;
  out[off + 7] = lo & 0xff;
}
