// §5.2: base key from the MLS exporter, KID layout.
import { describe, expect, test } from 'vitest';
import {
  cipherSuite,
  makeKid,
  mlsBaseKey,
  parseKid,
  type SFrameSuiteId,
} from '../../src/sframe/index.js';
import { resolveKidLayout } from '../../src/sframe/mls-binding.js';
import { expectSFrameError } from './helpers.js';

describe('mlsBaseKey', () => {
  test.each([1, 2, 3, 4, 5, 6, 7, 8] as SFrameSuiteId[])(
    'suite %i asks the exporter for "SFrame 1.0 Base Key", "", Nk',
    (suite) => {
      const calls: [string, Uint8Array, number][] = [];
      const key = mlsBaseKey((label, context, length) => {
        calls.push([label, context, length]);
        return new Uint8Array(length).fill(7);
      }, suite);
      expect(calls).toEqual([['SFrame 1.0 Base Key', new Uint8Array(0), cipherSuite(suite).Nk]]);
      expect(key.length).toBe(cipherSuite(suite).Nk);
    },
  );
  test('rejects an exporter that returns the wrong length or a non-byte value', () => {
    expectSFrameError(() => mlsBaseKey(() => new Uint8Array(15), 4), 'invalid-argument');
    expectSFrameError(
      () => mlsBaseKey(() => 'nope' as unknown as Uint8Array, 4),
      'invalid-argument',
    );
    expectSFrameError(
      () => mlsBaseKey(() => new Uint8Array(16), 9 as SFrameSuiteId),
      'unsupported-suite',
    );
  });
});

describe('KID layout', () => {
  // RFC 9605 Figure 9 (E = 4, S = 6).
  const layout = { senderBits: 6, epochBits: 4 };
  test.each([
    [14n, 3, 0, 0x3en],
    [14n, 7, 0, 0x7en],
    [14n, 20, 0, 0x14en],
    [15n, 3, 0, 0x3fn],
    [15n, 5, 0, 0x5fn],
    [16n, 2, 2, 0x820n],
    [16n, 2, 3, 0xc20n],
    [17n, 33, 0, 0x211n],
    [17n, 51, 0, 0x331n],
  ])('RFC Figure 9: epoch %i index %i context %i -> KID %i', (epoch, index, context, kid) => {
    expect(makeKid(layout, context, index, epoch)).toBe(kid);
    expect(parseKid(layout, kid)).toEqual({
      context: BigInt(context),
      senderIndex: index,
      epochBits: Number(epoch % 16n),
    });
  });
  test('the full 64 bits round-trip', () => {
    const l = { senderBits: 32, epochBits: 32 };
    const kid = makeKid(l, 0, 0xffff_ffff, 0xffff_ffff_ffff_ffffn);
    expect(kid).toBe(0xffff_ffff_ffff_ffffn);
    expect(parseKid(l, kid)).toEqual({
      context: 0n,
      senderIndex: 0xffff_ffff,
      epochBits: 0xffff_ffff,
    });
    const wide = { senderBits: 8, epochBits: 4 };
    const big = makeKid(wide, (1n << 52n) - 1n, 255, 15n);
    expect(big).toBe(0xffff_ffff_ffff_ffffn);
    expect(parseKid(wide, big).context).toBe((1n << 52n) - 1n);
  });
  test('contextBits defaults to the rest and may be narrower', () => {
    expect(resolveKidLayout({ senderBits: 10, epochBits: 6 })).toEqual({
      senderBits: 10,
      epochBits: 6,
      contextBits: 48,
    });
    const narrow = { senderBits: 10, epochBits: 6, contextBits: 2 };
    expect(makeKid(narrow, 3, 0, 0n)).toBe(3n << 16n);
    expectSFrameError(() => makeKid(narrow, 4, 0, 0n), 'invalid-argument');
    expectSFrameError(() => parseKid(narrow, 1n << 18n), 'unknown-kid');
  });
  test('bad widths are refused', () => {
    for (const bad of [
      { senderBits: -1, epochBits: 4 },
      { senderBits: 33, epochBits: 4 },
      { senderBits: 8, epochBits: 33 },
      { senderBits: 8.5, epochBits: 4 },
      { senderBits: 8, epochBits: 4, contextBits: 53 },
      { senderBits: 8, epochBits: 4, contextBits: -1 },
      { senderBits: Number.NaN, epochBits: 4 },
      { senderBits: '8', epochBits: 4 },
      null,
    ]) {
      expectSFrameError(
        () => resolveKidLayout(bad as unknown as Parameters<typeof resolveKidLayout>[0]),
        'invalid-argument',
      );
    }
    expect(resolveKidLayout({ senderBits: 32, epochBits: 32 }).contextBits).toBe(0);
  });
  test('sender index and context must fit their fields', () => {
    expectSFrameError(() => makeKid(layout, 0, 64, 0n), 'invalid-argument');
    expectSFrameError(() => makeKid(layout, 0, -1, 0n), 'invalid-argument');
    expectSFrameError(() => makeKid(layout, -1, 0, 0n), 'invalid-argument');
    expectSFrameError(() => makeKid(layout, 0.5, 0, 0n), 'invalid-argument');
    expectSFrameError(() => makeKid(layout, 0, 0, -1n), 'invalid-argument');
  });
});
