import { nodeProvider } from '@canopy/server/crypto';
import { describe, expect, test } from 'vitest';
import { sharedVerifyProvider } from '../../src/load/shared-verify.js';

describe('sharedVerifyProvider: a thread verifies the same bytes once', () => {
  const inner = nodeProvider.signature!('Ed25519')!;
  const sk = inner.generatePrivateKey();
  const pk = inner.publicKey(sk);
  const msg = new TextEncoder().encode('key package');
  const sig = inner.sign(sk, msg);

  test('answers as the provider does, and repeats come from the memo', () => {
    const p = sharedVerifyProvider(nodeProvider);
    const s = p.signature!('Ed25519')!;
    for (let i = 0; i < 5; i++) expect(s.verify(pk, msg, sig)).toBe(true);
    expect(p.stats).toEqual({ calls: 5, hits: 4 });
  });

  test('a different message, signature or key is its own question (forgeries stay false)', () => {
    const p = sharedVerifyProvider(nodeProvider);
    const s = p.signature!('Ed25519')!;
    expect(s.verify(pk, msg, sig)).toBe(true);
    const other = msg.slice();
    other[0]! ^= 1;
    expect(s.verify(pk, other, sig)).toBe(false);
    const bad = sig.slice();
    bad[10]! ^= 1;
    expect(s.verify(pk, msg, bad)).toBe(false);
    expect(s.verify(inner.publicKey(inner.generatePrivateKey()), msg, sig)).toBe(false);
    // the same forgery again: remembered as false, and the genuine one still true
    expect(s.verify(pk, msg, bad)).toBe(false);
    expect(s.verify(pk, msg, sig)).toBe(true);
    expect(p.stats.hits).toBe(2);
  });

  test('length-prefixed keys: moving a byte between inputs is not the same question', () => {
    const p = sharedVerifyProvider(nodeProvider);
    const s = p.signature!('Ed25519')!;
    expect(s.verify(pk, msg, sig)).toBe(true);
    const shifted = Uint8Array.from([...msg, sig[0]!]);
    expect(s.verify(pk, shifted, sig.subarray(1))).toBe(false);
    expect(p.stats.hits).toBe(0);
  });

  test('bounded: beyond its capacity the oldest answers are forgotten', () => {
    const p = sharedVerifyProvider(nodeProvider, 2);
    const s = p.signature!('Ed25519')!;
    const msgs = [1, 2, 3].map((i) => Uint8Array.of(i));
    for (const m of msgs) s.verify(pk, m, inner.sign(sk, m));
    s.verify(pk, msgs[0]!, inner.sign(sk, msgs[0]!)); // evicted: computed again
    expect(p.stats.hits).toBe(0);
    s.verify(pk, msgs[0]!, inner.sign(sk, msgs[0]!));
    expect(p.stats.hits).toBe(1);
  });

  test('signing and key generation are the provider’s own', () => {
    const p = sharedVerifyProvider(nodeProvider);
    const s = p.signature!('Ed25519')!;
    expect(inner.verify(pk, msg, s.sign(sk, msg))).toBe(true);
    expect(s.publicKey(sk)).toEqual(pk);
  });
});
