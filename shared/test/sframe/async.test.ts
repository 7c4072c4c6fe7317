// The asynchronous SFrame path (WebCrypto): RFC 9605 Appendix C vectors (and
// the post-RFC suites 6–8), interop with the synchronous @noble path both
// ways, forged frames that change nothing, overlapping calls (distinct CTRs,
// a CTR accepted once), state that changes during an await, and the @noble
// fallback where there is no crypto.subtle.
import { afterEach, describe, expect, test, vi } from 'vitest';
import { cipherSuite, type SFrameSuiteId } from '../../src/sframe/cipher-suite.js';
import {
  asyncAeadBackend,
  decodeHeader,
  decrypt,
  decryptAsync,
  deriveKeyAndSalt,
  encrypt,
  encryptAsync,
  SFrameError,
  type SFrameErrorCode,
  SFrameReceiver,
  SFrameSender,
} from '../../src/sframe/index.js';
import { prepareAead } from '../../src/sframe/subtle-aead.js';
import { hex, toHex, VectorTally } from '../support/vectors.js';
import {
  type AesCtrHmacVector,
  loadExactVectors,
  type SFrameVector,
  type SFrameVectorFile,
} from './exact-vectors.js';
import { fakeBaseKey } from './helpers.js';

const ALL_SUITES: SFrameSuiteId[] = [1, 2, 3, 4, 5, 6, 7, 8];
const layout = { senderBits: 8, epochBits: 2 };
const POST_DIR = 'sframe/post-rfc9605-aes256';
const rfc = loadExactVectors<SFrameVectorFile>('sframe/test-vectors.json');
const post = loadExactVectors<SFrameVectorFile>(`${POST_DIR}/test-vectors.json`);
const post256 = loadExactVectors<{ sframe_aes_256_ctr_hmac: SFrameVector[] }>(
  `${POST_DIR}/test-vectors-aes256.json`,
);
const suiteOf = (v: { cipher_suite: bigint }) => Number(v.cipher_suite) as SFrameSuiteId;

afterEach(() => {
  vi.unstubAllGlobals();
});

function frame(len: number, seed = 1): Uint8Array {
  const f = new Uint8Array(len);
  for (let i = 0; i < len; i++) f[i] = (i * 7 + seed * 13) & 0xff;
  return f;
}

function sender(suite: SFrameSuiteId, senderIndex = 3, context = 0, epoch = 1n) {
  const s = new SFrameSender({ suite, layout, senderIndex, context });
  s.setEpoch(epoch, fakeBaseKey(epoch));
  return s;
}

function receiver(suite: SFrameSuiteId, epochs: bigint[] = [1n]) {
  const clock = { t: 1_000 };
  const rx = new SFrameReceiver({ suite, layout, now: () => clock.t });
  for (const e of epochs) rx.addEpoch(e, fakeBaseKey(e));
  return { rx, clock };
}

/** Awaits `p` and asserts it rejects with an SFrameError with `code`. */
async function rejectsWith(p: Promise<unknown>, code: SFrameErrorCode): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SFrameError);
  expect((err as SFrameError).code).toBe(code);
}

const ctrOf = (f: Uint8Array, clear: number) => decodeHeader(f.subarray(clear)).ctr;

describe('runs on WebCrypto here', () => {
  test('Node 24 has crypto.subtle, so the async path is not the @noble fallback', () => {
    expect(asyncAeadBackend()).toBe('webcrypto');
  });
});

describe('RFC 9605 Appendix C through the async path', () => {
  const tally = new VectorTally('sframe vectors through encryptAsync / decryptAsync');
  const checkSFrame = async (v: SFrameVector) => {
    const suite = suiteOf(v);
    const keys = deriveKeyAndSalt(suite, hex(v.base_key), v.kid);
    const ct = await encryptAsync(suite, keys, v.kid, v.ctr, hex(v.metadata), hex(v.pt));
    expect(toHex(ct)).toBe(v.ct);
    const out = await decryptAsync(suite, keys, hex(v.metadata), hex(v.ct));
    expect(out.kid).toBe(v.kid);
    expect(out.ctr).toBe(v.ctr);
    expect(toHex(out.plaintext)).toBe(v.pt);
    const bad = hex(v.ct);
    bad[bad.length - 1] ^= 1;
    await rejectsWith(decryptAsync(suite, keys, hex(v.metadata), bad), 'authentication-failed');
    const badMeta = hex(`${v.metadata}00`);
    await rejectsWith(decryptAsync(suite, keys, badMeta, hex(v.ct)), 'authentication-failed');
    tally.pass(suite);
  };
  test.each(rfc.sframe.map((v) => [suiteOf(v), v] as const))('sframe suite %i', (_, v) =>
    checkSFrame(v),
  );
  test.each(post256.sframe_aes_256_ctr_hmac.map((v) => [suiteOf(v), v] as const))(
    'post-RFC sframe suite %i',
    (_, v) => checkSFrame(v),
  );

  const checkAead = async (v: AesCtrHmacVector) => {
    const s = cipherSuite(suiteOf(v));
    const aead = await prepareAead(s, hex(v.key));
    expect(toHex(await aead.seal(hex(v.nonce), hex(v.aad), hex(v.pt)))).toBe(v.ct);
    const pt = await aead.open(hex(v.nonce), hex(v.aad), hex(v.ct));
    expect(pt && toHex(pt)).toBe(v.pt);
    const bad = hex(v.ct);
    bad[0] ^= 1; // ciphertext, not tag: the MAC covers it
    expect(await aead.open(hex(v.nonce), hex(v.aad), bad)).toBeUndefined();
    expect(await aead.open(hex(v.nonce), hex(v.aad), hex(v.ct).subarray(0, s.Nt - 1))).toBe(
      undefined,
    );
  };
  test.each(rfc.aes_ctr_hmac.map((v) => [suiteOf(v), v] as const))(
    'aes_ctr_hmac suite %i on subtle AES-CTR + HMAC',
    (_, v) => checkAead(v),
  );
  test.each((post.aes_256_ctr_hmac ?? []).map((v) => [suiteOf(v), v] as const))(
    'post-RFC aes_256_ctr_hmac suite %i on subtle AES-CTR + HMAC',
    (_, v) => checkAead(v),
  );
  test('every suite passed its vector through the async path', () => {
    tally.report();
    expect([...tally.passed.keys()].sort((a, b) => Number(a) - Number(b))).toEqual(ALL_SUITES);
  });
});

describe('interop with the synchronous path', () => {
  test.each(ALL_SUITES)('suite %i: same bytes, and each path opens the other', async (suite) => {
    const sync = sender(suite);
    const asyn = sender(suite);
    const { rx: rxSync } = receiver(suite);
    const { rx: rxAsync } = receiver(suite);
    for (const [len, clear] of [
      [0, 0],
      [1, 1],
      [100, 1],
      [1200, 3],
      [30_000, 10],
    ]) {
      const f = frame(len, len);
      const a = sync.encryptFrame(f, clear);
      const b = await asyn.encryptFrameAsync(f, clear);
      expect(toHex(b)).toBe(toHex(a)); // same key, KID and CTR: same SFrame bytes
      expect(await rxAsync.decryptFrameAsync(a, clear)).toEqual(f);
      expect(rxSync.decryptFrame(b, clear)).toEqual(f);
    }
    // Wire level too.
    const keys = deriveKeyAndSalt(suite, fakeBaseKey(9n), 77n);
    const m = frame(4, 2);
    const p = frame(500, 3);
    expect(await encryptAsync(suite, keys, 77n, 5n, m, p)).toEqual(
      encrypt(suite, keys, 77n, 5n, m, p),
    );
    expect(
      (await decryptAsync(suite, keys, m, encrypt(suite, keys, 77n, 5n, m, p))).plaintext,
    ).toEqual(p);
    expect(
      decrypt(suite, keys, m, await encryptAsync(suite, keys, 77n, 5n, m, p)).plaintext,
    ).toEqual(p);
  });

  test('both paths share one replay window: a frame opened on one is a replay on the other', async () => {
    const tx = sender(4);
    const { rx } = receiver(4);
    const f1 = tx.encryptFrame(frame(50), 1);
    const f2 = tx.encryptFrame(frame(50), 1);
    rx.decryptFrame(f1, 1);
    await rejectsWith(rx.decryptFrameAsync(f1, 1), 'replay');
    await rx.decryptFrameAsync(f2, 1);
    expect(() => rx.decryptFrame(f2, 1)).toThrow(SFrameError);
  });
});

describe('forged frames change nothing', () => {
  test.each(ALL_SUITES)(
    'suite %i: every tampered byte is refused and the window stays put',
    async (suite) => {
      const tx = sender(suite);
      const { rx } = receiver(suite);
      const clear = 3;
      const good = await tx.encryptFrameAsync(frame(300), clear);
      for (const i of [0, clear + 1, good.length >> 1, good.length - 1]) {
        const bad = good.slice();
        bad[i] ^= 0x40;
        // A flipped clear byte or ciphertext byte fails the tag; a flipped header
        // byte past the config byte names another KID/CTR and fails it too.
        await rejectsWith(rx.decryptFrameAsync(bad, clear), 'authentication-failed');
        expect(rx.keys.kidCount).toBe(0); // the new KID was not stored
      }
      expect(await rx.decryptFrameAsync(good, clear)).toEqual(frame(300)); // CTR still fresh
      expect(rx.keys.kidCount).toBe(1);
      // Once the KID is stored: a forgery under its next CTR does not move its window.
      const next = await tx.encryptFrameAsync(frame(300, 2), clear);
      const forged = next.slice();
      forged[forged.length - 1] ^= 1;
      await rejectsWith(rx.decryptFrameAsync(forged, clear), 'authentication-failed');
      expect(await rx.decryptFrameAsync(next, clear)).toEqual(frame(300, 2));
      await rejectsWith(rx.decryptFrameAsync(next, clear), 'replay');
    },
  );

  test('malformed and unkeyed frames reject with typed errors', async () => {
    const { rx } = receiver(4);
    const tx = sender(4);
    await rejectsWith(rx.decryptFrameAsync(new Uint8Array(0), 0), 'truncated');
    await rejectsWith(rx.decryptFrameAsync(new Uint8Array(4), 5), 'truncated');
    await rejectsWith(rx.decryptFrameAsync(Uint8Array.of(0x08), 0), 'truncated');
    await rejectsWith(rx.decryptFrameAsync(frame(0).slice(0, 0), 0), 'truncated');
    await rejectsWith(
      rx.decryptFrameAsync(Uint8Array.of(0x80, 0, ...frame(20)), 0),
      'malformed-header',
    );
    const later = sender(4, 3, 0, 2n);
    await rejectsWith(
      rx.decryptFrameAsync(await later.encryptFrameAsync(frame(20), 0), 0),
      'unknown-kid',
    );
    await rejectsWith(rx.decryptFrameAsync('x' as unknown as Uint8Array, 0), 'invalid-argument');
    await rejectsWith(
      new SFrameSender({ suite: 4, layout, senderIndex: 1, context: 0 }).encryptFrameAsync(
        frame(5),
        0,
      ),
      'no-key',
    );
    await rejectsWith(tx.encryptFrameAsync(frame(5), 6), 'invalid-argument');
    expect(tx.counter).toBe(0n); // refused frames take no CTR
    expect(rx.keys.kidCount).toBe(0);
  });

  test('counter exhaustion rejects like the sync path', async () => {
    const tx = new SFrameSender({ suite: 4, layout, senderIndex: 1, context: 0, maxCounter: 1n });
    tx.setEpoch(1n, fakeBaseKey(1n));
    const frames = [tx.encryptFrameAsync(frame(5), 0), tx.encryptFrameAsync(frame(5), 0)];
    await rejectsWith(tx.encryptFrameAsync(frame(5), 0), 'counter-exhausted');
    expect((await Promise.all(frames)).map((f) => ctrOf(f, 0))).toEqual([0n, 1n]);
  });
});

describe('overlapping calls', () => {
  test.each([4, 1] as SFrameSuiteId[])(
    'suite %i: many concurrent encrypts take distinct CTRs in call order, mixed with sync ones',
    async (suite) => {
      const tx = sender(suite);
      const n = 200;
      const pending: (Promise<Uint8Array> | Uint8Array)[] = [];
      for (let i = 0; i < n; i++) {
        pending.push(
          i % 7 === 3 ? tx.encryptFrame(frame(64, i), 2) : tx.encryptFrameAsync(frame(64, i), 2),
        );
      }
      const frames = await Promise.all(pending);
      expect(frames.map((f) => ctrOf(f, 2))).toEqual(
        Array.from({ length: n }, (_, i) => BigInt(i)),
      );
      const { rx } = receiver(suite);
      const opened = await Promise.all(frames.map((f) => rx.decryptFrameAsync(f, 2)));
      opened.forEach((p, i) => {
        expect(p).toEqual(frame(64, i));
      });
    },
  );

  test('the first frame of a KID, in flight before its CryptoKey exists: all complete', async () => {
    // Every frame here is seal()ed before the import resolves.
    const tx = sender(5);
    const frames = await Promise.all([1, 2, 3].map((i) => tx.encryptFrameAsync(frame(100, i), 0)));
    const { rx } = receiver(5);
    const out = await Promise.all(frames.map((f) => rx.decryptFrameAsync(f, 0)));
    expect(out).toEqual([1, 2, 3].map((i) => frame(100, i)));
    expect(rx.keys.kidCount).toBe(1); // one entry kept, whichever frame stored it
  });

  test('the same frame twice at once: accepted once, the other a replay', async () => {
    const tx = sender(4);
    const { rx } = receiver(4);
    const f0 = await tx.encryptFrameAsync(frame(100), 1);
    const f1 = await tx.encryptFrameAsync(frame(100, 2), 1);
    for (const f of [f0, f1]) {
      // f0: a new KID on both calls; f1: a stored one.
      const results = await Promise.allSettled([
        rx.decryptFrameAsync(f, 1),
        rx.decryptFrameAsync(f, 1),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const [rejected] = results.filter((r) => r.status === 'rejected');
      expect((rejected as PromiseRejectedResult).reason).toMatchObject({ code: 'replay' });
    }
    expect(rx.keys.kidCount).toBe(1);
  });

  test('an epoch dropped while a frame is being opened: expired-epoch, nothing stored', async () => {
    const tx = sender(4);
    const { rx } = receiver(4, [1n, 2n]);
    const f = await tx.encryptFrameAsync(frame(100), 0);
    const p = rx.decryptFrameAsync(f, 0);
    rx.removeEpoch(1n);
    await rejectsWith(p, 'expired-epoch');
    expect(rx.keys.kidCount).toBe(0);
  });

  test('an epoch aging out while a frame is being opened: expired-epoch', async () => {
    const tx = sender(4);
    const { rx, clock } = receiver(4, [1n, 2n]);
    const f = await tx.encryptFrameAsync(frame(100), 0);
    const p = rx.decryptFrameAsync(f, 0);
    clock.t += 10_000;
    await rejectsWith(p, 'expired-epoch');
    expect(rx.keys.kidCount).toBe(0);
  });

  test('a sender moving to a new epoch mid-frame: the frame finishes under its own key', async () => {
    const tx = sender(4);
    const { rx } = receiver(4, [1n, 2n]);
    const p = tx.encryptFrameAsync(frame(100), 0);
    tx.setEpoch(2n, fakeBaseKey(2n)); // destroys epoch 1's keys
    const q = tx.encryptFrameAsync(frame(100, 2), 0);
    const [a, b] = await Promise.all([p, q]);
    expect(await rx.decryptFrameAsync(a, 0)).toEqual(frame(100));
    expect(await rx.decryptFrameAsync(b, 0)).toEqual(frame(100, 2));
    expect(decodeHeader(a).kid).not.toBe(decodeHeader(b).kid);
  });
});

describe('CryptoKeys', () => {
  test('imported once per KID, non-extractable, for the sender and for the receiver', async () => {
    const spy = vi.spyOn(globalThis.crypto.subtle, 'importKey');
    try {
      const tx = sender(4);
      const { rx } = receiver(4, [1n, 2n]);
      for (let i = 0; i < 10; i++)
        await rx.decryptFrameAsync(await tx.encryptFrameAsync(frame(50, i), 1), 1);
      expect(spy).toHaveBeenCalledTimes(2); // the sender's key, the receiver's copy of it
      for (const call of spy.mock.calls) {
        expect(call[0]).toBe('raw');
        expect(call[3]).toBe(false); // not extractable
      }
      // A new epoch: a new KID, so one import each again; a forged frame imports
      // (it must be checked) but keeps nothing, so the next genuine one imports again.
      tx.setEpoch(2n, fakeBaseKey(2n));
      const f = await tx.encryptFrameAsync(frame(50), 1);
      const bad = f.slice();
      bad[bad.length - 1] ^= 1;
      await rejectsWith(rx.decryptFrameAsync(bad, 1), 'authentication-failed');
      await rx.decryptFrameAsync(f, 1);
      await rx.decryptFrameAsync(await tx.encryptFrameAsync(frame(50, 2), 1), 1);
      expect(spy).toHaveBeenCalledTimes(5);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('without crypto.subtle: the same interface on @noble', () => {
  test.each([4, 2] as SFrameSuiteId[])(
    'suite %i: round trip, interop, forgery refused',
    async (suite) => {
      vi.stubGlobal('crypto', undefined);
      expect(asyncAeadBackend()).toBe('noble');
      const tx = sender(suite);
      const { rx } = receiver(suite);
      const a = await tx.encryptFrameAsync(frame(1000), 3);
      const b = tx.encryptFrame(frame(1000, 2), 3);
      const p = tx.encryptFrameAsync(frame(1000, 3), 3);
      tx.setEpoch(2n, fakeBaseKey(2n)); // wipes epoch 1's @noble key: the frame was already sealed
      const c = await p;
      expect(await rx.decryptFrameAsync(a, 3)).toEqual(frame(1000));
      expect(await rx.decryptFrameAsync(b, 3)).toEqual(frame(1000, 2));
      expect(receiver(suite).rx.decryptFrame(c, 3)).toEqual(frame(1000, 3));
      const bad = c.slice();
      bad[10] ^= 1;
      await rejectsWith(rx.decryptFrameAsync(bad, 3), 'authentication-failed');
      expect(await rx.decryptFrameAsync(c, 3)).toEqual(frame(1000, 3));
    },
  );
});
