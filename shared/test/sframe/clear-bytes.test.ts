import { describe, expect, test } from 'vitest';
import { clearByteCount, DEFAULT_CLEAR_BYTES } from '../../src/sframe/index.js';
import { expectSFrameError } from './helpers.js';

const f = (n: number) => new Uint8Array(n);

describe('clearByteCount', () => {
  test('VP8: 10 bytes on keyframes, 3 on delta frames', () => {
    expect(clearByteCount('video/VP8', f(1000), true)).toBe(10);
    expect(clearByteCount('video/VP8', f(1000), false)).toBe(3);
    expect(clearByteCount('video/vp8', f(1000), true)).toBe(10);
    expect(clearByteCount('VP8', f(1000), false)).toBe(3);
  });
  test('Opus: 1 byte', () => {
    expect(clearByteCount('audio/opus', f(80), false)).toBe(1);
    expect(clearByteCount('audio/OPUS;minptime=10', f(80), true)).toBe(1);
  });
  test('never more than the frame', () => {
    expect(clearByteCount('video/VP8', f(4), true)).toBe(4);
    expect(clearByteCount('video/VP8', f(0), false)).toBe(0);
    expect(clearByteCount('audio/opus', f(0), false)).toBe(0);
  });
  test('unknown codecs keep nothing in clear', () => {
    expect(clearByteCount('video/H264', f(100), true)).toBe(0);
    expect(clearByteCount('video/constructor', f(100), true)).toBe(0);
    expect(clearByteCount('', f(100), true)).toBe(0);
  });
  test('a policy overrides per codec and adds codecs', () => {
    const policy = { vp8: { keyframe: 20, delta: 5 }, h264: { keyframe: 6, delta: 2 } };
    expect(clearByteCount('video/VP8', f(100), true, policy)).toBe(20);
    expect(clearByteCount('video/VP8', f(100), false, policy)).toBe(5);
    expect(clearByteCount('video/H264', f(100), true, policy)).toBe(6);
    expect(clearByteCount('audio/opus', f(100), true, policy)).toBe(1); // default kept
    expect(clearByteCount('video/VP8', f(100), true, { vp8: { keyframe: 0, delta: 0 } })).toBe(0);
    expect(DEFAULT_CLEAR_BYTES.vp8).toEqual({ keyframe: 10, delta: 3 });
  });
  test('bad policies and arguments are refused', () => {
    expectSFrameError(
      () => clearByteCount('video/VP8', f(10), true, { vp8: { keyframe: -1, delta: 0 } }),
      'invalid-argument',
    );
    expectSFrameError(
      () => clearByteCount('video/VP8', f(10), false, { vp8: { keyframe: 1, delta: 0.5 } }),
      'invalid-argument',
    );
    expectSFrameError(
      () => clearByteCount('video/VP8', f(10), false, { vp8: null as never }),
      'invalid-argument',
    );
    expectSFrameError(
      () => clearByteCount(5 as unknown as string, f(10), true),
      'invalid-argument',
    );
    expectSFrameError(
      () => clearByteCount('video/VP8', [] as unknown as Uint8Array, true),
      'invalid-argument',
    );
  });
});
