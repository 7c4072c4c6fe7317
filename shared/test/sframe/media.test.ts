// SFrameSender / SFrameReceiver / SFrameKeyStore: MLS epochs, contexts,
// replay, expiry, and that bad frames leave no trace.
import { describe, expect, test } from 'vitest';
import {
  cipherSuite,
  decodeHeader,
  deriveKeyAndSalt,
  encrypt,
  makeKid,
  type SFrameErrorCode,
  SFrameKeyStore,
  SFrameReceiver,
  type SFrameReceiverOptions,
  SFrameSender,
  type SFrameSuiteId,
} from '../../src/sframe/index.js';
import { expectSFrameError, fakeBaseKey } from './helpers.js';

const ALL_SUITES: SFrameSuiteId[] = [1, 2, 3, 4, 5, 6, 7, 8];
const layout = { senderBits: 8, epochBits: 2 };

function frame(len: number, seed = 1): Uint8Array {
  const f = new Uint8Array(len);
  for (let i = 0; i < len; i++) f[i] = (i * 7 + seed * 13) & 0xff;
  return f;
}

/** A receiver on a fake clock. */
function receiver(suite: SFrameSuiteId, opts: Partial<SFrameReceiverOptions> = {}) {
  const clock = { t: 1_000 };
  const rx = new SFrameReceiver({ suite, layout, now: () => clock.t, ...opts });
  return { rx, clock };
}

function sender(suite: SFrameSuiteId, senderIndex: number, context = 0, maxCounter?: bigint) {
  return new SFrameSender({ suite, layout, senderIndex, context, maxCounter });
}

describe('round trips', () => {
  test.each(ALL_SUITES)('suite %i: several senders and contexts over several epochs', (suite) => {
    const { rx } = receiver(suite, { maxEpochs: 4 });
    const senders = [
      sender(suite, 0),
      sender(suite, 1),
      sender(suite, 1, 1),
      sender(suite, 200, 7),
    ];
    for (let epoch = 1n; epoch <= 6n; epoch++) {
      rx.addEpoch(epoch, fakeBaseKey(epoch));
      for (const s of senders) s.setEpoch(epoch, fakeBaseKey(epoch));
      for (const [len, clear] of [
        [0, 0],
        [1, 1],
        [100, 1],
        [1200, 3],
        [3000, 10],
        [17, 17],
      ]) {
        for (const s of senders) {
          const f = frame(len, Number(epoch) + s.senderIndex);
          const ct = s.encryptFrame(f, clear);
          const hlen = decodeHeader(ct.subarray(clear)).length;
          expect(ct.length).toBe(len + hlen + cipherSuite(suite).Nt);
          expect(ct.subarray(0, clear)).toEqual(f.subarray(0, clear));
          expect(rx.decryptFrame(ct, clear)).toEqual(f);
        }
      }
    }
    expect(rx.keys.epochs).toEqual([6n, 5n, 4n, 3n]);
  });

  test.each(ALL_SUITES)('suite %i: the sender output is clear || RFC 9605 encrypt()', (suite) => {
    const s = sender(suite, 5, 2);
    const baseKey = fakeBaseKey(9n, 32);
    s.setEpoch(9n, baseKey);
    const kid = makeKid(layout, 2, 5, 9n);
    expect(s.kid).toBe(kid);
    const keys = deriveKeyAndSalt(suite, baseKey, kid);
    for (let ctr = 0n; ctr < 300n; ctr++) {
      const f = frame(50, Number(ctr));
      const out = s.encryptFrame(f, 3);
      const expected = encrypt(suite, keys, kid, ctr, f.subarray(0, 3), f.subarray(3));
      expect(out.subarray(3)).toEqual(expected);
      expect(decodeHeader(out.subarray(3))).toMatchObject({ kid, ctr });
      expect(out.length - f.length).toBe(
        decodeHeader(out.subarray(3)).length + cipherSuite(suite).Nt,
      );
    }
  });

  test.each([1, 4] as SFrameSuiteId[])(
    'suite %i: any alignment of input, output and views (clear bytes 0..7, offset views)',
    (suite) => {
      const { rx } = receiver(suite);
      const s = sender(suite, 4);
      rx.addEpoch(3n, fakeBaseKey(3n));
      s.setEpoch(3n, fakeBaseKey(3n));
      for (let clear = 0; clear < 8; clear++) {
        for (let lead = 0; lead < 4; lead++) {
          const backing = new Uint8Array(lead + 45);
          backing.set(frame(45, clear), lead);
          const view = backing.subarray(lead);
          const ct = s.encryptFrame(view, clear);
          expect(ct.byteOffset).toBe(0);
          expect(ct.byteLength).toBe(ct.buffer.byteLength); // exact buffer: zero-copy for frame.data
          const wrapped = new Uint8Array(ct.length + lead + 2);
          wrapped.set(ct, lead);
          expect(rx.decryptFrame(wrapped.subarray(lead, lead + ct.length), clear)).toEqual(view);
        }
      }
    },
  );

  test('frames may arrive out of order and late within the window', () => {
    const { rx } = receiver(1, { replayWindow: 64 });
    const s = sender(1, 3);
    rx.addEpoch(0n, fakeBaseKey(0n));
    s.setEpoch(0n, fakeBaseKey(0n));
    const cts = Array.from({ length: 70 }, (_, i) => s.encryptFrame(frame(20, i), 1));
    const order = [5, 0, 1, 69, 6, 7, 30, 8];
    for (const i of order) expect(rx.decryptFrame(cts[i], 1)).toEqual(frame(20, i));
    // 69 is the highest; 5 and below are now 64+ behind.
    expectSFrameError(() => rx.decryptFrame(cts[2], 1), 'replay');
    expect(rx.decryptFrame(cts[10], 1)).toEqual(frame(20, 10));
  });

  test('a previous epoch keeps working until it is superseded for the TTL', () => {
    const { rx, clock } = receiver(4, { epochTtlMs: 5_000 });
    const s = sender(4, 9);
    rx.addEpoch(1n, fakeBaseKey(1n));
    s.setEpoch(1n, fakeBaseKey(1n));
    const old1 = s.encryptFrame(frame(30, 1), 1);
    const old2 = s.encryptFrame(frame(30, 2), 1);
    const old3 = s.encryptFrame(frame(30, 3), 1);
    rx.addEpoch(2n, fakeBaseKey(2n)); // epoch 1 superseded at t = 1000
    clock.t += 4_999;
    expect(rx.decryptFrame(old1, 1)).toEqual(frame(30, 1));
    s.setEpoch(2n, fakeBaseKey(2n));
    expect(rx.decryptFrame(s.encryptFrame(frame(30, 4), 1), 1)).toEqual(frame(30, 4));
    clock.t += 1;
    expectSFrameError(() => rx.decryptFrame(old2, 1), 'expired-epoch');
    rx.keys.prune();
    expect(rx.keys.epochs).toEqual([2n]);
    expectSFrameError(() => rx.decryptFrame(old3, 1), 'expired-epoch');
  });
});

describe('refusals', () => {
  function setup(suite: SFrameSuiteId = 1) {
    const r = receiver(suite);
    const s = sender(suite, 4);
    r.rx.addEpoch(3n, fakeBaseKey(3n));
    s.setEpoch(3n, fakeBaseKey(3n));
    return { ...r, s };
  }

  test.each(ALL_SUITES)('suite %i: tampered tag, ciphertext, clear bytes or header', (suite) => {
    const { rx, s } = setup(suite);
    const f = frame(64);
    const ct = s.encryptFrame(f, 3);
    // Layout: 3 clear bytes | config 0x80 | KID 0x13 (sender 4, epoch 3) | ct | tag.
    const cases: [number, SFrameErrorCode][] = [
      [0, 'authentication-failed'], // clear bytes are metadata (AAD)
      [2, 'authentication-failed'],
      [3, 'authentication-failed'], // config byte: CTR 0 -> 1, header is AAD
      [4, 'unknown-kid'], // KID 0x13 -> 0x12: epoch low bits 2, not held
      [5, 'authentication-failed'], // ciphertext
      [ct.length - 1, 'authentication-failed'], // tag
    ];
    for (const [i, code] of cases) {
      const bad = ct.slice();
      bad[i] ^= 0x01;
      expectSFrameError(() => rx.decryptFrame(bad, 3), code);
    }
    expect(rx.decryptFrame(ct, 3)).toEqual(f); // the genuine frame still decrypts
  });

  test('wrong key: same epoch, another base key', () => {
    const { rx } = setup();
    const s = sender(1, 4);
    s.setEpoch(3n, fakeBaseKey(99n));
    expectSFrameError(
      () => rx.decryptFrame(s.encryptFrame(frame(40), 1), 1),
      'authentication-failed',
    );
  });

  test('wrong clear-byte count is an authentication failure', () => {
    const { rx, s } = setup();
    const ct = s.encryptFrame(frame(40), 3);
    expect(() => rx.decryptFrame(ct, 2)).toThrow();
    expect(() => rx.decryptFrame(ct, 10)).toThrow();
    expect(rx.decryptFrame(ct, 3)).toEqual(frame(40));
  });

  test('truncated frames', () => {
    const { rx, s } = setup(4);
    const ct = s.encryptFrame(frame(10), 3);
    expectSFrameError(() => rx.decryptFrame(ct.subarray(0, 2), 3), 'truncated'); // inside clear bytes
    expectSFrameError(() => rx.decryptFrame(ct.subarray(0, 3), 3), 'truncated'); // no header
    expectSFrameError(() => rx.decryptFrame(ct.subarray(0, 3 + 2 + 15), 3), 'truncated'); // short tag
    expectSFrameError(
      () => rx.decryptFrame(ct.subarray(0, ct.length - 1), 3),
      'authentication-failed',
    );
    expectSFrameError(() => rx.decryptFrame(new Uint8Array([0, 0x9f]), 1), 'truncated');
  });

  test('unknown KID: epoch never added, or KID outside the layout', () => {
    const { rx } = setup();
    const s = sender(1, 4);
    s.setEpoch(5n, fakeBaseKey(5n)); // low bits 1; only epoch 3 (low bits 3) held
    expectSFrameError(() => rx.decryptFrame(s.encryptFrame(frame(20), 1), 1), 'unknown-kid');
    const narrow = new SFrameReceiver({ suite: 1, layout: { ...layout, contextBits: 1 } });
    narrow.addEpoch(3n, fakeBaseKey(3n));
    const wide = sender(1, 4, 2);
    wide.setEpoch(3n, fakeBaseKey(3n));
    expectSFrameError(() => narrow.decryptFrame(wide.encryptFrame(frame(20), 1), 1), 'unknown-kid');
    const empty = new SFrameReceiver({ suite: 1, layout });
    expectSFrameError(() => empty.decryptFrame(wide.encryptFrame(frame(20), 1), 1), 'unknown-kid');
  });

  test('replayed and duplicate frames', () => {
    const { rx, s } = setup();
    const a = s.encryptFrame(frame(20, 1), 1);
    const b = s.encryptFrame(frame(20, 2), 1);
    expect(rx.decryptFrame(b, 1)).toEqual(frame(20, 2));
    expect(rx.decryptFrame(a, 1)).toEqual(frame(20, 1));
    expectSFrameError(() => rx.decryptFrame(a, 1), 'replay');
    expectSFrameError(() => rx.decryptFrame(b, 1), 'replay');
    // A copy in a fresh buffer is the same (KID, CTR): still a replay.
    expectSFrameError(() => rx.decryptFrame(b.slice(), 1), 'replay');
  });

  test('replay windows are per KID', () => {
    const { rx } = setup();
    const s1 = sender(1, 1);
    const s2 = sender(1, 2);
    s1.setEpoch(3n, fakeBaseKey(3n));
    s2.setEpoch(3n, fakeBaseKey(3n));
    for (let i = 0; i < 5; i++) {
      expect(rx.decryptFrame(s1.encryptFrame(frame(9, i), 0), 0)).toEqual(frame(9, i));
      expect(rx.decryptFrame(s2.encryptFrame(frame(9, i), 0), 0)).toEqual(frame(9, i));
    }
  });

  test('expired epoch by count', () => {
    const { rx } = receiver(1, { maxEpochs: 2 });
    const s = sender(1, 4);
    rx.addEpoch(1n, fakeBaseKey(1n));
    s.setEpoch(1n, fakeBaseKey(1n));
    const old = s.encryptFrame(frame(20), 1);
    rx.addEpoch(2n, fakeBaseKey(2n));
    expect(rx.decryptFrame(old, 1)).toEqual(frame(20));
    const older = s.encryptFrame(frame(21), 1);
    rx.addEpoch(3n, fakeBaseKey(3n));
    expect(rx.keys.epochs).toEqual([3n, 2n]);
    expectSFrameError(() => rx.decryptFrame(older, 1), 'expired-epoch');
  });

  test('a new epoch with the same low epoch bits removes the old one (§5.2 MUST)', () => {
    const { rx } = receiver(1, { maxEpochs: 10, epochTtlMs: Number.POSITIVE_INFINITY });
    const s = sender(1, 4);
    s.setEpoch(0n, fakeBaseKey(0n));
    const e0 = s.encryptFrame(frame(20), 1);
    for (let e = 0n; e < 4n; e++) rx.addEpoch(e, fakeBaseKey(e));
    expect(rx.decryptFrame(e0, 1)).toEqual(frame(20));
    rx.addEpoch(4n, fakeBaseKey(4n)); // epochBits = 2: 4 and 0 collide
    expect(rx.keys.epochs).toEqual([4n, 3n, 2n, 1n]);
    s.setEpoch(4n, fakeBaseKey(4n));
    expect(s.kid).toBe(makeKid(layout, 0, 4, 0n)); // same KID as epoch 0, new key
    const e4 = s.encryptFrame(frame(22), 1);
    expect(rx.decryptFrame(e4, 1)).toEqual(frame(22));
    expectSFrameError(() => rx.decryptFrame(e0, 1), 'replay'); // same KID, CTR 0 seen under epoch 4
  });

  test('a removed epoch answers expired-epoch', () => {
    const { rx, s } = setup();
    const ct = s.encryptFrame(frame(20), 1);
    expect(rx.removeEpoch(7n)).toBe(false);
    expect(rx.removeEpoch(3n)).toBe(true);
    expectSFrameError(() => rx.decryptFrame(ct, 1), 'expired-epoch');
    expect(rx.keys.kidCount).toBe(0);
  });
});

describe('failed decryption leaves no trace', () => {
  test('a forged frame does not move the replay window or add a KID', () => {
    const { rx } = receiver(1, { replayWindow: 16 });
    rx.addEpoch(3n, fakeBaseKey(3n));
    const s = sender(1, 4);
    s.setEpoch(3n, fakeBaseKey(3n));
    const frames = Array.from({ length: 40 }, (_, i) => s.encryptFrame(frame(20, i), 1));
    expect(rx.decryptFrame(frames[1], 1)).toEqual(frame(20, 1));
    const before = rx.keys.kidCount;
    // Forge CTR 39 (far ahead): tamper its tag.
    const forged = frames[39].slice();
    forged[forged.length - 1] ^= 0xff;
    expectSFrameError(() => rx.decryptFrame(forged, 1), 'authentication-failed');
    // Had the window moved to 39, CTR 0 and 2 would now be too old, and 39 a duplicate.
    expect(rx.decryptFrame(frames[0], 1)).toEqual(frame(20, 0));
    expect(rx.decryptFrame(frames[2], 1)).toEqual(frame(20, 2));
    expect(rx.decryptFrame(frames[39], 1)).toEqual(frame(20, 39));
    expect(rx.keys.kidCount).toBe(before);
  });

  test('a forged frame for a new KID derives nothing that stays', () => {
    const { rx } = receiver(1);
    rx.addEpoch(3n, fakeBaseKey(3n));
    const s = sender(1, 77, 3);
    s.setEpoch(3n, fakeBaseKey(3n));
    const ct = s.encryptFrame(frame(20), 1);
    const bad = ct.slice();
    bad[bad.length - 2] ^= 4;
    expectSFrameError(() => rx.decryptFrame(bad, 1), 'authentication-failed');
    expect(rx.keys.kidCount).toBe(0);
    expect(rx.keys.epochs).toEqual([3n]);
    expect(rx.decryptFrame(ct, 1)).toEqual(frame(20));
    expect(rx.keys.kidCount).toBe(1);
  });

  test('a rejected replay or expired frame does not prune or change anything', () => {
    const { rx, clock } = receiver(1, { epochTtlMs: 100 });
    const s = sender(1, 4);
    rx.addEpoch(1n, fakeBaseKey(1n));
    s.setEpoch(1n, fakeBaseKey(1n));
    const ct = s.encryptFrame(frame(20), 1);
    rx.decryptFrame(ct, 1);
    rx.addEpoch(2n, fakeBaseKey(2n));
    clock.t += 100;
    expectSFrameError(() => rx.decryptFrame(ct, 1), 'expired-epoch');
    expect(rx.keys.epochs).toEqual([2n, 1n]); // not pruned by a refused frame
    expect(rx.keys.kidCount).toBe(1);
  });

  test('the per-epoch KID cap refuses new KIDs without evicting old ones', () => {
    const { rx } = receiver(1, { maxKidsPerEpoch: 2 });
    rx.addEpoch(3n, fakeBaseKey(3n));
    const ss = [1, 2, 3].map((i) => {
      const s = sender(1, i);
      s.setEpoch(3n, fakeBaseKey(3n));
      return s;
    });
    rx.decryptFrame(ss[0].encryptFrame(frame(5), 0), 0);
    const replay = ss[1].encryptFrame(frame(5), 0);
    rx.decryptFrame(replay, 0);
    expectSFrameError(() => rx.decryptFrame(ss[2].encryptFrame(frame(5), 0), 0), 'unknown-kid');
    expectSFrameError(() => rx.decryptFrame(replay, 0), 'replay');
    expect(rx.keys.kidCount).toBe(2);
  });
});

describe('epoch management', () => {
  test('receiver: epochs only move forward; re-adding the same key is a no-op', () => {
    const { rx } = receiver(1);
    rx.addEpoch(5n, fakeBaseKey(5n));
    rx.addEpoch(5n, fakeBaseKey(5n));
    expect(rx.keys.epochs).toEqual([5n]);
    expectSFrameError(() => rx.addEpoch(5n, fakeBaseKey(6n)), 'invalid-argument');
    expectSFrameError(() => rx.addEpoch(4n, fakeBaseKey(4n)), 'invalid-argument');
    expectSFrameError(() => rx.addEpoch(6n, new Uint8Array(15)), 'invalid-argument');
    expectSFrameError(() => rx.addEpoch(-1n, fakeBaseKey(1n)), 'invalid-argument');
    expectSFrameError(
      () => rx.addEpoch(6 as unknown as bigint, fakeBaseKey(1n)),
      'invalid-argument',
    );
    expect(rx.keys.epochs).toEqual([5n]);
  });

  test('key store resolves a KID to its epoch and sender', () => {
    const store = new SFrameKeyStore({ suite: 1, layout });
    store.addEpoch(6n, fakeBaseKey(6n));
    store.addEpoch(7n, fakeBaseKey(7n));
    expect(store.resolveKid(makeKid(layout, 5, 42, 6n))).toEqual({
      epoch: 6n,
      senderIndex: 42,
      context: 5n,
    });
    expectSFrameError(() => store.resolveKid(makeKid(layout, 0, 1, 5n)), 'unknown-kid');
    expect(store.kidCount).toBe(0);
  });

  test('receiver options are validated', () => {
    const bad: Partial<SFrameReceiverOptions>[] = [
      { maxEpochs: 0 },
      { maxEpochs: 1.5 },
      { replayWindow: 100 },
      { replayWindow: 0 },
      { epochTtlMs: -1 },
      { epochTtlMs: Number.NaN },
      { now: 5 as unknown as () => number },
      { layout: { senderBits: 40, epochBits: 2 } },
    ];
    for (const b of bad) {
      expectSFrameError(() => new SFrameReceiver({ suite: 1, layout, ...b }), 'invalid-argument');
    }
    expectSFrameError(
      () => new SFrameReceiver({ suite: 0 as SFrameSuiteId, layout }),
      'unsupported-suite',
    );
  });
});

describe('sender', () => {
  test('refuses to encrypt before it has an epoch', () => {
    expectSFrameError(() => sender(1, 1).encryptFrame(frame(10), 1), 'no-key');
  });

  test('epochs only move forward; the same epoch and key keeps the counter', () => {
    const s = sender(1, 1);
    s.setEpoch(2n, fakeBaseKey(2n));
    s.encryptFrame(frame(10), 1);
    s.encryptFrame(frame(10), 1);
    s.setEpoch(2n, fakeBaseKey(2n));
    expect(s.counter).toBe(2n);
    expectSFrameError(() => s.setEpoch(2n, fakeBaseKey(3n)), 'invalid-argument');
    expectSFrameError(() => s.setEpoch(1n, fakeBaseKey(1n)), 'invalid-argument');
    expect(s.counter).toBe(2n);
    s.setEpoch(3n, fakeBaseKey(3n));
    expect(s.counter).toBe(0n);
    expect(s.epoch).toBe(3n);
  });

  test('counter exhaustion is an error, never a wrap', () => {
    const s = sender(1, 1, 0, 2n);
    s.setEpoch(0n, fakeBaseKey(0n));
    const { rx } = receiver(1);
    rx.addEpoch(0n, fakeBaseKey(0n));
    for (let i = 0; i < 3; i++) rx.decryptFrame(s.encryptFrame(frame(8, i), 1), 1);
    expectSFrameError(() => s.encryptFrame(frame(8), 1), 'counter-exhausted');
    expectSFrameError(() => s.encryptFrame(frame(8), 1), 'counter-exhausted');
    s.setEpoch(1n, fakeBaseKey(1n)); // a new epoch brings new keys and CTR 0
    rx.addEpoch(1n, fakeBaseKey(1n));
    expect(rx.decryptFrame(s.encryptFrame(frame(8), 1), 1)).toEqual(frame(8));
  });

  test('CTR carries across 2^32 and stops at 2^64 - 1', () => {
    const s = sender(2, 1);
    s.setEpoch(0n, fakeBaseKey(0n));
    const { rx } = receiver(2);
    rx.addEpoch(0n, fakeBaseKey(0n));
    // Reach the far counters without 2^32 frames: white-box, set the halves.
    const internals = s as unknown as { ctrHi: number; ctrLo: number };
    internals.ctrLo = 0xffff_ffff;
    const a = s.encryptFrame(frame(8, 1), 1);
    const b = s.encryptFrame(frame(8, 2), 1);
    expect(decodeHeader(a.subarray(1)).ctr).toBe(0xffff_ffffn);
    expect(decodeHeader(b.subarray(1)).ctr).toBe(0x1_0000_0000n);
    expect(rx.decryptFrame(b, 1)).toEqual(frame(8, 2));
    expect(rx.decryptFrame(a, 1)).toEqual(frame(8, 1));
    internals.ctrHi = 0xffff_ffff;
    internals.ctrLo = 0xffff_fffe;
    s.encryptFrame(frame(8), 1);
    const last = s.encryptFrame(frame(8, 3), 1);
    expect(decodeHeader(last.subarray(1)).ctr).toBe(0xffff_ffff_ffff_ffffn);
    expect(rx.decryptFrame(last, 1)).toEqual(frame(8, 3));
    expectSFrameError(() => s.encryptFrame(frame(8), 1), 'counter-exhausted');
    expect(s.counter).toBe(0xffff_ffff_ffff_ffffn);
  });

  test('arguments are validated and a refused call changes nothing', () => {
    const s = sender(1, 1);
    s.setEpoch(0n, fakeBaseKey(0n));
    expectSFrameError(() => s.encryptFrame(frame(4), 5), 'invalid-argument');
    expectSFrameError(() => s.encryptFrame(frame(4), -1), 'invalid-argument');
    expectSFrameError(() => s.encryptFrame(frame(4), 1.5), 'invalid-argument');
    expectSFrameError(() => s.encryptFrame([1, 2] as unknown as Uint8Array, 0), 'invalid-argument');
    expect(s.counter).toBe(0n);
    expectSFrameError(() => sender(1, 256), 'invalid-argument');
    expectSFrameError(() => sender(1, -1), 'invalid-argument');
    expectSFrameError(
      () =>
        new SFrameSender({
          suite: 1,
          layout: { ...layout, contextBits: 1 },
          senderIndex: 0,
          context: 2,
        }),
      'invalid-argument',
    );
    expectSFrameError(() => sender(9 as SFrameSuiteId, 1), 'unsupported-suite');
    expectSFrameError(() => sender(1, 1, 0, -1n), 'invalid-argument');
    expectSFrameError(() => s.setEpoch(1n, new Uint8Array(4)), 'invalid-argument');
    expect(s.epoch).toBe(0n);
  });

  test('distinct contexts give distinct KIDs and keys in one epoch', () => {
    const a = sender(1, 1, 0);
    const b = sender(1, 1, 1);
    a.setEpoch(0n, fakeBaseKey(0n));
    b.setEpoch(0n, fakeBaseKey(0n));
    expect(a.kid).not.toBe(b.kid);
    const fa = a.encryptFrame(frame(32), 0);
    const fb = b.encryptFrame(frame(32), 0);
    expect(fa.subarray(2)).not.toEqual(fb.subarray(2)); // same CTR 0, same plaintext
  });
});
