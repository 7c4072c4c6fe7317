// §4.3 header edge cases beyond the Appendix C vectors.
import { describe, expect, test } from 'vitest';
import { SFrameError } from '../../src/sframe/errors.js';
import {
  decodeHeader,
  encodeHeader,
  HeaderFields,
  headerSize,
  readHeader,
  writeHeader,
} from '../../src/sframe/header.js';
import { hex, toHex } from '../support/vectors.js';
import { expectSFrameError } from './helpers.js';

describe('encodeHeader', () => {
  test('inline values 0..7 use only the config byte', () => {
    for (let k = 0n; k < 8n; k++) {
      for (let c = 0n; c < 8n; c++) {
        const h = encodeHeader(k, c);
        expect(h).toEqual(new Uint8Array([(Number(k) << 4) | Number(c)]));
      }
    }
  });
  test('every byte length 1..8 for KID and CTR, at both ends of each length', () => {
    for (let n = 1; n <= 8; n++) {
      const lo = n === 1 ? 8n : 1n << BigInt(8 * (n - 1));
      const hi = (1n << BigInt(8 * n)) - 1n;
      for (const v of [lo, hi]) {
        const h = encodeHeader(v, v);
        expect(h.length).toBe(1 + 2 * n);
        expect(h[0]).toBe(0x88 | ((n - 1) << 4) | (n - 1));
        expect(decodeHeader(h)).toEqual({ kid: v, ctr: v, length: 1 + 2 * n });
      }
    }
  });
  test('refuses values outside uint64 and non-bigints', () => {
    expectSFrameError(() => encodeHeader(-1n, 0n), 'invalid-argument');
    expectSFrameError(() => encodeHeader(0n, 1n << 64n), 'invalid-argument');
    expectSFrameError(() => encodeHeader(1 as unknown as bigint, 0n), 'invalid-argument');
  });
  test('writeHeader and headerSize agree with encodeHeader on halves', () => {
    const out = new Uint8Array(20);
    const end = writeHeader(out, 2, 0x1, 0x23456789, 0, 0x100);
    expect(end - 2).toBe(headerSize(0x1, 0x23456789, 0, 0x100));
    expect(toHex(out.subarray(2, end))).toBe(toHex(encodeHeader(0x123456789n, 0x100n)));
  });
});

describe('decodeHeader rejects bad input', () => {
  test('empty input is truncated', () => {
    expectSFrameError(() => decodeHeader(new Uint8Array(0)), 'truncated');
  });
  test('KID or CTR running past the end is truncated', () => {
    expectSFrameError(() => decodeHeader(hex('90')), 'truncated'); // KID of 2 bytes, none there
    expectSFrameError(() => decodeHeader(hex('9001')), 'truncated');
    expectSFrameError(() => decodeHeader(hex('0b0100')), 'truncated'); // CTR of 4 bytes, 2 there
    expectSFrameError(() => decodeHeader(hex('ff' + 'ff'.repeat(8) + 'ff'.repeat(7))), 'truncated');
  });
  test('non-minimal encodings are malformed', () => {
    expectSFrameError(() => decodeHeader(hex('8007')), 'malformed-header'); // KID 7 must be inline
    expectSFrameError(() => decodeHeader(hex('0807')), 'malformed-header'); // CTR 7 must be inline
    expectSFrameError(() => decodeHeader(hex('090008')), 'malformed-header'); // leading zero byte
    expectSFrameError(() => decodeHeader(hex('f00000000000000001')), 'malformed-header');
  });
  test('a KID of 256 in two bytes is fine (not a leading zero)', () => {
    expect(decodeHeader(hex('900100'))).toEqual({ kid: 256n, ctr: 0n, length: 3 });
  });
  test('non-bytes input is an invalid argument, never a crash', () => {
    expectSFrameError(() => decodeHeader('00' as unknown as Uint8Array), 'invalid-argument');
  });
  test('readHeader honours its end bound (a header may not run into what follows)', () => {
    const h = new HeaderFields();
    const buf = hex('0a010203ffff');
    expect(() => readHeader(buf, 0, 3, h)).toThrow(SFrameError);
    readHeader(buf, 0, 4, h);
    expect([h.ctrHi, h.ctrLo, h.length]).toEqual([0, 0x10203, 4]);
  });
});
