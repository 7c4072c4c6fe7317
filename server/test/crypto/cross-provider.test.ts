// noble and node:crypto must be interchangeable: what one produces the other
// accepts, and deterministic functions give identical bytes.
import { getCipherSuite, nobleProvider, supportedCipherSuites } from '@canopy/shared/crypto';
import { describe, expect, test } from 'vitest';
import { createNodeProvider, nodeProvider } from '../../src/crypto/index.js';

const bytes = (n: number, seed: number) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('noble <-> node:crypto', () => {
  for (const id of supportedCipherSuites) {
    describe(`suite ${id}`, () => {
      const noble = getCipherSuite(id, nobleProvider);
      const native = getCipherSuite(id, nodeProvider);
      const pairs = [
        ['noble', noble, 'node', native],
        ['node', native, 'noble', noble],
      ] as const;

      test('the node provider really supplies every primitive', () => {
        expect(native.hash).not.toBe(noble.hash);
        expect(native.aead).not.toBe(noble.aead);
        expect(native.dh).not.toBe(noble.dh);
        expect(native.signature).not.toBe(noble.signature);
        expect(native.hash.name).toBe(noble.hash.name);
        expect(native.hpke.kemId).toBe(noble.hpke.kemId);
      });

      test('hash, HMAC, HKDF and AEAD give identical bytes', () => {
        const data = bytes(1000, 1);
        expect(native.hash.digest(data)).toEqual(noble.hash.digest(data));
        expect(native.hash.mac(bytes(13, 2), data)).toEqual(noble.hash.mac(bytes(13, 2), data));
        expect(native.hash.mac(new Uint8Array(0), data)).toEqual(
          noble.hash.mac(new Uint8Array(0), data),
        );
        // both sides of the node provider's short-input switch to @noble's HMAC (2 KiB)
        for (const n of [0, 2047, 2048, 5000]) {
          const d = bytes(n, 6);
          expect(native.hash.mac(bytes(32, 7), d)).toEqual(noble.hash.mac(bytes(32, 7), d));
          expect(native.hash.mac(bytes(200, 8), d)).toEqual(noble.hash.mac(bytes(200, 8), d));
        }
        expect(native.expandWithLabel(bytes(32, 3), 'x', data, 100)).toEqual(
          noble.expandWithLabel(bytes(32, 3), 'x', data, 100),
        );
        const key = bytes(native.aead.keySize, 4);
        const nonce = bytes(12, 5);
        const ct = noble.aead.seal(key, nonce, data.subarray(0, 7), data);
        expect(native.aead.seal(key, nonce, data.subarray(0, 7), data)).toEqual(ct);
        expect(native.aead.open(key, nonce, data.subarray(0, 7), ct)).toEqual(data);
      });

      test('DH: same public keys and shared secrets', () => {
        for (const [, a, , b] of pairs) {
          const skA = a.dh.generatePrivateKey();
          const skB = b.dh.generatePrivateKey();
          const pkA = a.dh.publicKey(skA);
          expect(b.dh.publicKey(skA)).toEqual(pkA);
          const pkB = b.dh.publicKey(skB);
          expect(a.dh.dh(skA, pkB)).toEqual(b.dh.dh(skB, pkA));
          expect(b.dh.dh(skA, pkB)).toEqual(a.dh.dh(skA, pkB));
          expect(a.hpke.deriveKeyPair(skB)).toEqual(b.hpke.deriveKeyPair(skB));
        }
      });

      test('signatures made by one verify with the other', () => {
        // 16 signatures: OpenSSL does not normalize ECDSA s, so some are high-S
        // and noble must accept them (and vice versa for its low-S ones).
        for (const [from, a, to, b] of pairs) {
          const sk = a.signature.generatePrivateKey();
          const pk = a.signature.publicKey(sk);
          expect(b.signature.publicKey(sk)).toEqual(pk);
          for (let i = 0; i < 16; i++) {
            const content = bytes(50 + i, i);
            const sig = a.signWithLabel(sk, 'Cross', content);
            expect(b.verifyWithLabel(pk, 'Cross', content, sig), `${from} -> ${to} #${i}`).toBe(
              true,
            );
            expect(b.verifyWithLabel(pk, 'Other', content, sig)).toBe(false);
          }
        }
      });

      test('HPKE / EncryptWithLabel sealed by one opens with the other', () => {
        for (const [, a, , b] of pairs) {
          const kp = b.hpke.generateKeyPair();
          const pt = bytes(77, 6);
          const { kemOutput, ciphertext } = a.encryptWithLabel(
            kp.publicKey,
            'Cross',
            bytes(5, 7),
            pt,
          );
          expect(
            b.decryptWithLabel(kp.privateKey, 'Cross', bytes(5, 7), kemOutput, ciphertext),
          ).toEqual(pt);
          const sealed = a.hpke.seal(kp.publicKey, bytes(3, 8), bytes(2, 9), pt);
          expect(
            b.hpke.open(kp.privateKey, sealed.enc, bytes(3, 8), bytes(2, 9), sealed.ciphertext),
          ).toEqual(pt);
        }
      });

      test('HPKE exporter: sender on one, receiver on the other', () => {
        for (const [, a, , b] of pairs) {
          const kp = b.hpke.generateKeyPair();
          const { enc, secret } = a.hpke.exportSender(kp.publicKey, bytes(4, 1), bytes(9, 2), 48);
          expect(b.hpke.exportReceiver(kp.privateKey, enc, bytes(4, 1), bytes(9, 2), 48)).toEqual(
            secret,
          );
        }
      });
    });
  }
});

describe('node:crypto KeyObject cache', () => {
  test('a key array mutated in place is re-imported, never served stale', () => {
    const cs = getCipherSuite(1, createNodeProvider());
    const sk1 = cs.signature.generatePrivateKey();
    const sk2 = cs.signature.generatePrivateKey();
    const pk2 = cs.signature.publicKey(sk2);
    const key = sk1.slice();
    cs.signWithLabel(key, 'L', new Uint8Array(1)); // caches sk1's KeyObject under `key`
    key.set(sk2);
    const sig = cs.signWithLabel(key, 'L', new Uint8Array(1));
    expect(cs.verifyWithLabel(pk2, 'L', new Uint8Array(1), sig)).toBe(true);
    expect(cs.signature.publicKey(key)).toEqual(pk2);

    const kpA = cs.hpke.generateKeyPair();
    const kpB = cs.hpke.generateKeyPair();
    const pk = kpA.publicKey.slice();
    const skE = cs.dh.generatePrivateKey();
    expect(cs.dh.dh(skE, pk)).toEqual(getCipherSuite(1).dh.dh(skE, kpA.publicKey));
    pk.set(kpB.publicKey);
    expect(cs.dh.dh(skE, pk)).toEqual(getCipherSuite(1).dh.dh(skE, kpB.publicKey));
  });

  test('the same bytes used as keys of different algorithms do not collide', () => {
    const sk = getCipherSuite(1).signature.generatePrivateKey(); // 32 bytes: also an X25519 key
    const native = getCipherSuite(1, nodeProvider);
    const ed = native.signature.publicKey(sk);
    const x = native.dh.publicKey(sk);
    expect(ed).toEqual(getCipherSuite(1).signature.publicKey(sk));
    expect(x).toEqual(getCipherSuite(1).dh.publicKey(sk));
    expect(ed).not.toEqual(x);
  });
});
