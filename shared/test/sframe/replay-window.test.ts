import { describe, expect, test } from 'vitest';
import { ReplayWindow } from '../../src/sframe/replay-window.js';

function accept(w: ReplayWindow, ctr: bigint): string {
  const hi = Number(ctr >> 32n);
  const lo = Number(ctr & 0xffff_ffffn);
  const v = w.check(hi, lo);
  if (v === 'ok') w.commit(hi, lo);
  return v;
}

describe('ReplayWindow', () => {
  test('accepts each CTR once, in or out of order within the window', () => {
    const w = new ReplayWindow(64);
    for (const c of [5n, 3n, 4n, 10n, 0n, 9n]) expect(accept(w, c)).toBe('ok');
    for (const c of [5n, 3n, 4n, 10n, 0n, 9n]) expect(accept(w, c)).toBe('duplicate');
    expect(w.highest).toBe(10n);
  });
  test('refuses CTRs older than the window', () => {
    const w = new ReplayWindow(32);
    expect(accept(w, 100n)).toBe('ok');
    expect(accept(w, 69n)).toBe('ok'); // 100 - 31
    expect(accept(w, 68n)).toBe('too-old'); // 100 - 32
    expect(accept(w, 200n)).toBe('ok'); // jump clears everything
    expect(accept(w, 100n)).toBe('too-old');
    expect(accept(w, 199n)).toBe('ok');
    expect(accept(w, 200n)).toBe('duplicate');
  });
  test('slots freed by advancing are clear again', () => {
    const w = new ReplayWindow(4);
    for (const c of [0n, 1n, 2n, 3n]) expect(accept(w, c)).toBe('ok');
    expect(accept(w, 6n)).toBe('ok'); // slots of 4, 5 cleared; 6 set
    expect(accept(w, 5n)).toBe('ok');
    expect(accept(w, 4n)).toBe('ok');
    expect(accept(w, 3n)).toBe('duplicate'); // still inside 3..6, and seen
    expect(accept(w, 2n)).toBe('too-old');
  });
  test('check() alone never changes state', () => {
    const w = new ReplayWindow(16);
    expect(w.check(0, 5)).toBe('ok');
    expect(w.check(0, 5)).toBe('ok');
    expect(w.highest).toBeUndefined();
  });
  test('exact across the 2^32 boundary and at 2^64 - 1', () => {
    const w = new ReplayWindow(16);
    expect(accept(w, 0xffff_fff8n)).toBe('ok');
    expect(accept(w, 0x1_0000_0002n)).toBe('ok');
    expect(accept(w, 0xffff_fffan)).toBe('ok'); // 8 behind
    expect(accept(w, 0xffff_fff8n)).toBe('duplicate');
    expect(accept(w, 0xffff_fff2n)).toBe('too-old'); // 16 behind
    expect(accept(w, 0xffff_ffff_ffff_ffffn)).toBe('ok');
    expect(accept(w, 0xffff_ffff_ffff_ffefn)).toBe('too-old'); // 16 behind
    expect(accept(w, 0xffff_ffff_ffff_fff0n)).toBe('ok'); // 15 behind
    expect(accept(w, 0x1_0000_0002n)).toBe('too-old');
    expect(w.highest).toBe(0xffff_ffff_ffff_ffffn);
  });
  test('size 1 remembers only the highest', () => {
    const w = new ReplayWindow(1);
    expect(accept(w, 1n)).toBe('ok');
    expect(accept(w, 1n)).toBe('duplicate');
    expect(accept(w, 0n)).toBe('too-old');
    expect(accept(w, 2n)).toBe('ok');
  });
});
