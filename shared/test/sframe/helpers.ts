import { expect } from 'vitest';
import { SFrameError, type SFrameErrorCode } from '../../src/sframe/index.js';

/** Asserts `fn` throws an SFrameError with `code`; returns it. */
export function expectSFrameError(fn: () => unknown, code: SFrameErrorCode): SFrameError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SFrameError);
  expect((err as SFrameError).code).toBe(code);
  return err as SFrameError;
}

/** Small deterministic PRNG (xorshift32) so randomized tests replay exactly. */
export function prng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}

export function randomBytes(rand: (n: number) => number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = rand(256);
  return out;
}

/** A stand-in MLS exporter: distinct, deterministic output per epoch and label. */
export function fakeBaseKey(epoch: bigint, size = 16): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = Number((epoch * 31n + BigInt(i) * 7n + 1n) & 0xffn);
  return out;
}
