// Randomized robustness: arbitrary bytes and mutated genuine frames reach the
// decoders; only SFrameError may come out, and nothing is ever accepted that
// the sender did not send. Seeded, so a failure replays exactly.
import { describe, expect, test } from 'vitest';
import {
  decodeHeader,
  decrypt,
  deriveKeyAndSalt,
  SFrameError,
  SFrameReceiver,
  SFrameSender,
  type SFrameSuiteId,
} from '../../src/sframe/index.js';
import { fakeBaseKey, prng, randomBytes } from './helpers.js';

function onlySFrameErrors(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof SFrameError)) throw e;
    return e;
  }
}

const layout = { senderBits: 8, epochBits: 2 };

describe('randomized input', () => {
  test('decodeHeader on 5,000 random byte strings', () => {
    const rand = prng(0x5f3a);
    let decoded = 0;
    for (let i = 0; i < 5_000; i++) {
      const r = onlySFrameErrors(() => decodeHeader(randomBytes(rand, rand(20))));
      if (!(r instanceof SFrameError)) decoded++;
    }
    expect(decoded).toBeGreaterThan(0);
  });

  test.each([1, 3, 4, 5, 8] as SFrameSuiteId[])(
    'suite %i: decryptFrame and decrypt on random and mutated frames',
    (suite) => {
      const rand = prng(0xc0ffee + suite);
      const rx = new SFrameReceiver({ suite, layout });
      const sender = new SFrameSender({ suite, layout, senderIndex: 4, context: 0 });
      // Make every random KID land on a held epoch now and then.
      for (let e = 0n; e < 3n; e++) rx.addEpoch(e, fakeBaseKey(e));
      sender.setEpoch(2n, fakeBaseKey(2n));
      const keys = deriveKeyAndSalt(suite, fakeBaseKey(2n), sender.kid!);
      const genuine = Array.from({ length: 50 }, (_, i) =>
        sender.encryptFrame(randomBytes(rand, 5 + i), 1),
      );
      for (let i = 0; i < 3_000; i++) {
        const data = randomBytes(rand, rand(64));
        onlySFrameErrors(() => rx.decryptFrame(data, rand(4)));
        onlySFrameErrors(() => decrypt(suite, keys, new Uint8Array(0), data));
      }
      expect(rx.keys.kidCount).toBe(0);
      for (let i = 0; i < 2_000; i++) {
        const g = genuine[rand(genuine.length)];
        const m = g.slice(0, g.length - (rand(3) === 0 ? rand(g.length) : 0));
        const flips = 1 + rand(3);
        for (let k = 0; k < flips && m.length > 0; k++) m[rand(m.length)] ^= 1 << rand(8);
        if (m.length === g.length && m.every((b, j) => b === g[j])) continue; // flips cancelled out
        const r = onlySFrameErrors(() => rx.decryptFrame(m, 1));
        expect(r).toBeInstanceOf(SFrameError);
      }
      expect(rx.keys.kidCount).toBe(0); // no forged frame left a KID behind
      for (const g of genuine)
        expect(onlySFrameErrors(() => rx.decryptFrame(g, 1))).toBeInstanceOf(Uint8Array);
    },
  );
});
