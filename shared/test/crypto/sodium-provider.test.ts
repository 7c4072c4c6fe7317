// The libsodium CryptoProvider (shared/src/crypto/sodium-provider.ts) against noble:
// same keys, DH outputs and signatures; the same CryptoErrors on bad input; and an
// MLS group whose joiner runs on it interoperates with a noble creator.
import { CryptoError, getCipherSuite } from '@canopy/shared/crypto';
import { generateIdentity, generateKeyPackage, MlsGroup } from '@canopy/shared/mls';
import sodium from 'libsodium-wrappers';
import { beforeAll, describe, expect, test } from 'vitest';
import { createSodiumProvider } from '../../src/crypto/sodium-provider.js';

let sod: ReturnType<typeof getCipherSuite>;
const noble = getCipherSuite(1);
const utf8 = (s: string) => new TextEncoder().encode(s);

beforeAll(async () => {
  await sodium.ready;
  sod = getCipherSuite(1, createSodiumProvider(sodium));
});

describe('libsodium provider', () => {
  test('takes X25519 and Ed25519 from libsodium, the rest from noble', () => {
    expect(sod.dh).not.toBe(noble.dh);
    expect(sod.signature).not.toBe(noble.signature);
    expect(sod.hash).toBe(noble.hash);
    expect(sod.aead).toBe(noble.aead);
  });

  test('X25519 agrees with noble', () => {
    for (let i = 0; i < 20; i++) {
      const a = noble.dh.generatePrivateKey();
      const b = noble.dh.generatePrivateKey();
      const pb = noble.dh.publicKey(b);
      expect(sod.dh.publicKey(a)).toEqual(noble.dh.publicKey(a));
      expect(sod.dh.dh(a, pb)).toEqual(noble.dh.dh(a, pb));
    }
  });

  test('X25519 refuses malformed keys and small-order points with CryptoError', () => {
    const sk = noble.dh.generatePrivateKey();
    const pk = noble.dh.publicKey(sk);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(CryptoError);
        return (e as CryptoError).code;
      }
      return 'no error';
    };
    expect(code(() => sod.dh.dh(sk.subarray(1), pk))).toBe('invalid-private-key');
    expect(code(() => sod.dh.dh(sk, pk.subarray(1)))).toBe('invalid-public-key');
    expect(code(() => sod.dh.dh(sk, new Uint8Array(32)))).toBe('invalid-public-key'); // order 1
    const order8 = Uint8Array.from(
      Buffer.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'hex'),
    );
    expect(code(() => sod.dh.dh(sk, order8))).toBe('invalid-public-key');
    expect(code(() => noble.dh.dh(sk, order8))).toBe('invalid-public-key');
    expect(code(() => sod.dh.publicKey(new Uint8Array(31)))).toBe('invalid-private-key');
  });

  test('Ed25519 agrees with noble and verifies strictly', () => {
    const msg = utf8('MLS 1.0 message');
    for (let i = 0; i < 10; i++) {
      const sk = noble.signature.generatePrivateKey();
      const pk = noble.signature.publicKey(sk);
      const sig = sod.signature.sign(sk, msg);
      expect(sod.signature.publicKey(sk)).toEqual(pk);
      expect(sig).toEqual(noble.signature.sign(sk, msg));
      expect(sod.signature.verify(pk, msg, sig)).toBe(true);
      const bad = sig.slice();
      bad[5] ^= 1;
      expect(sod.signature.verify(pk, msg, bad)).toBe(false);
      expect(sod.signature.verify(pk, utf8('other'), sig)).toBe(false);
      expect(sod.signature.verify(pk.subarray(1), msg, sig)).toBe(false);
      expect(sod.signature.verify(pk, msg, sig.subarray(1))).toBe(false);
    }
  });

  test('a signing key changed in place is not served from the cache', () => {
    const sk = noble.signature.generatePrivateKey();
    const msg = utf8('x');
    sod.signature.sign(sk, msg);
    sk[0] ^= 0xff;
    expect(sod.signature.sign(sk, msg)).toEqual(noble.signature.sign(sk, msg));
    expect(() => sod.signature.sign(new Uint8Array(31), msg)).toThrow(CryptoError);
  });

  test('an MLS joiner on libsodium interoperates with a noble creator', () => {
    const creator = generateIdentity(noble, { type: 'basic', identity: utf8('a') });
    const a = MlsGroup.create({ suite: noble, identity: creator });
    const bundles = ['b', 'c', 'd'].map((n) =>
      generateKeyPackage(sod, generateIdentity(sod, { type: 'basic', identity: utf8(n) })),
    );
    const out = a.commit({ add: bundles.map((b) => b.keyPackage), ratchetTreeInWelcome: true });
    a.mergePendingCommit();
    const b = MlsGroup.joinFromWelcome(out.welcome!, bundles[0], sod);
    const update = a.commit({});
    a.mergePendingCommit();
    b.process(update.commit);
    const fromB = b.commit({ remove: [2] });
    b.mergePendingCommit();
    a.process(fromB.commit);
    expect(b.epoch).toBe(a.epoch);
    const label = 'SFrame 1.0 Base Key';
    expect(b.exportSecret(label, new Uint8Array(0), 16)).toEqual(
      a.exportSecret(label, new Uint8Array(0), 16),
    );
  });
});
