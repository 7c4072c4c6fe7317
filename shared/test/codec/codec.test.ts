import { describe, expect, test } from 'vitest';
import { DecodeError, decode, encode, Reader, Writer } from '../../src/codec/index.js';
import { hex, loadVectors, toHex } from '../support/vectors.js';

interface DeserializationVector {
  vlbytes_header: string;
  length: number;
}

describe('deserialization.json (RFC 9420 §2.1.2 varint headers)', () => {
  const vectors = loadVectors<DeserializationVector[]>('mls/deserialization.json');
  test.each(vectors)('header $vlbytes_header decodes to $length', (v) => {
    const r = new Reader(hex(v.vlbytes_header));
    expect(r.varint()).toBe(v.length);
    r.done();
    expect(toHex(new Writer().varint(v.length).finish())).toBe(v.vlbytes_header);
  });
});

function expectDecodeError(fn: () => unknown, code: string): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DecodeError);
  expect((err as DecodeError).code).toBe(code);
}

describe('varint', () => {
  test('boundaries round-trip with minimal size', () => {
    for (const [n, size] of [
      [0, 1],
      [63, 1],
      [64, 2],
      [16383, 2],
      [16384, 4],
      [2 ** 30 - 1, 4],
    ]) {
      const b = new Writer().varint(n).finish();
      expect(b.length).toBe(size);
      expect(decode((r) => r.varint(), b)).toBe(n);
    }
  });
  test('rejects non-minimal encodings', () => {
    expectDecodeError(() => decode((r) => r.varint(), hex('4025')), 'non-minimal-varint');
    expectDecodeError(() => decode((r) => r.varint(), hex('80000025')), 'non-minimal-varint');
    expectDecodeError(() => decode((r) => r.varint(), hex('80003fff')), 'non-minimal-varint');
  });
  test('rejects the 0b11 prefix and truncation', () => {
    expectDecodeError(() => decode((r) => r.varint(), hex('c0000000')), 'invalid-varint');
    expectDecodeError(() => decode((r) => r.varint(), hex('40')), 'truncated');
    expectDecodeError(() => decode((r) => r.varint(), hex('800000')), 'truncated');
  });
  test('refuses to encode out of range', () => {
    expect(() => new Writer().varint(2 ** 30)).toThrow();
    expect(() => new Writer().varint(-1)).toThrow();
  });
});

describe('reader and writer', () => {
  test('integers round-trip', () => {
    const b = new Writer().u8(0xab).u16(0xbeef).u32(0xdeadbeef).u64(0x0102030405060708n).finish();
    expect(toHex(b)).toBe('abbeefdeadbeef0102030405060708');
    const r = new Reader(b);
    expect([r.u8(), r.u16(), r.u32(), r.u64()]).toEqual([
      0xab,
      0xbeef,
      0xdeadbeef,
      0x0102030405060708n,
    ]);
    r.done();
  });
  test('vectors close their length prefix for every size class', () => {
    for (const n of [0, 1, 63, 64, 16383, 16384, 70000]) {
      const items = Array.from({ length: n }, (_, i) => i & 0xff);
      const b = encode((w, xs: number[]) => w.vector(xs, (w2, x) => w2.u8(x)), items);
      expect(
        decode((r) => r.vector((r2) => r2.u8()), b),
        `n=${n}`,
      ).toEqual(items);
    }
  });
  test('nested vectors and optionals round-trip', () => {
    const value = [[new Uint8Array([1, 2])], [], [new Uint8Array(300)]];
    const enc = (w: Writer, v: Uint8Array[][]) =>
      w.vector(v, (w2, inner) => w2.vector(inner, (w3, o) => w3.opaque(o)));
    const dec = (r: Reader) => r.vector((r2) => r2.vector((r3) => r3.opaque()));
    expect(decode(dec, encode(enc, value))).toEqual(value);
    const opt = encode((w, v: number | undefined) => w.optional(v, (w2, x) => w2.u16(x)), 7);
    expect(toHex(opt)).toBe('010007');
    expect(decode((r) => r.optional((r2) => r2.u16()), opt)).toBe(7);
    expect(decode((r) => r.optional((r2) => r2.u16()), hex('00'))).toBeUndefined();
  });
  test('hostile lengths are rejected before allocation', () => {
    // opaque claiming 2^30-1 bytes with 3 present
    expectDecodeError(() => decode((r) => r.opaque(), hex('bfffffff010203')), 'truncated');
    expectDecodeError(
      () => decode((r) => r.vector((r2) => r2.u8()), hex('bfffffff00')),
      'truncated',
    );
    expectDecodeError(() => decode((r) => r.opaque(16), hex('11' + '00'.repeat(17))), 'too-long');
  });
  test('an element that overruns its vector is truncated, not read past', () => {
    // vector of 2 bytes holding a u32
    expectDecodeError(
      () => decode((r) => r.vector((r2) => r2.u32()), hex('0200000000')),
      'truncated',
    );
  });
  test('trailing bytes, bad optional and bad bool', () => {
    expectDecodeError(() => decode((r) => r.u8(), hex('0102')), 'trailing-bytes');
    expectDecodeError(
      () => decode((r) => r.optional((r2) => r2.u8()), hex('0201')),
      'invalid-value',
    );
    expectDecodeError(() => decode((r) => r.bool(), hex('02')), 'invalid-value');
    expectDecodeError(
      () => decode((r) => r.prefixed((r2) => r2.u8()), hex('020101')),
      'trailing-bytes',
    );
  });
  test('decoded byte strings are copies of the input', () => {
    const input = hex('03aabbcc');
    const out = decode((r) => r.opaque(), input);
    input[1] = 0;
    expect(toHex(out)).toBe('aabbcc');
  });
});
