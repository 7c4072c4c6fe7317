// Behaviour every CryptoProvider must show through getCipherSuite, for every
// suite: HPKE round trips (seal/open, exporter) and bad input that must give a
// typed CryptoError or `false`, never a crash. Run on noble here and on the
// node:crypto provider in server/test/crypto.
import { describe, expect, test } from 'vitest';
import {
  type CipherSuite,
  CryptoError,
  type CryptoErrorCode,
  type CryptoProvider,
  getCipherSuite,
  supportedCipherSuites,
} from '../../src/crypto/index.js';

/** Asserts that `fn` throws a CryptoError with `code`. */
export function expectCryptoError(fn: () => unknown, code: CryptoErrorCode, what = ''): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `${what}: expected CryptoError(${code})`).toBeInstanceOf(CryptoError);
  expect((thrown as CryptoError).code, what).toBe(code);
}

const bytes = (...b: number[]) => Uint8Array.from(b);
const flip = (b: Uint8Array, i: number) => {
  const c = b.slice();
  c[(i + c.length) % c.length] ^= 0x01;
  return c;
};

/** Encodings that are not valid public keys of the suite's DH group. */
export function invalidDhPublicKeys(cs: CipherSuite): [string, Uint8Array][] {
  const { publicKeySize: n, name } = cs.dh;
  const valid = cs.hpke.generateKeyPair().publicKey;
  const cases: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['truncated', valid.subarray(0, n - 1)],
    ['one byte too long', new Uint8Array([...valid, 0])],
  ];
  if (name === 'X25519' || name === 'X448') {
    // Small-order u-coordinates: the DH output is all zero (RFC 7748 §6).
    cases.push(['u = 0', new Uint8Array(n)], ['u = 1', bytes(1, ...new Uint8Array(n - 1))]);
  } else {
    cases.push(
      ['off the curve', flip(valid, -1)],
      ['all zero', new Uint8Array(n)],
      ['compressed form', valid.slice(0, 1 + (n - 1) / 2).fill(0x02, 0, 1)],
      ['uncompressed tag missing', bytes(0x05, ...valid.subarray(1))],
    );
  }
  return cases;
}

export function describeProviderBehaviour(provider: CryptoProvider): void {
  describe(`cipher suites on ${provider.name}`, () => {
    for (const id of supportedCipherSuites) {
      describe(`suite ${id}`, () => {
        const cs = getCipherSuite(id, provider);
        const kp = cs.hpke.generateKeyPair();
        const info = bytes(1, 2, 3);
        const aad = bytes(9, 9);
        const pt = Uint8Array.from({ length: 100 }, (_, i) => i);

        test('HPKE seal/open round trip with info and aad', () => {
          const { enc, ciphertext } = cs.hpke.seal(kp.publicKey, info, aad, pt);
          expect(enc.length).toBe(cs.hpke.encSize);
          expect(ciphertext.length).toBe(pt.length + cs.aead.tagSize);
          expect(cs.hpke.open(kp.privateKey, enc, info, aad, ciphertext)).toEqual(pt);
          expectCryptoError(
            () => cs.hpke.open(kp.privateKey, enc, bytes(1, 2), aad, ciphertext),
            'hpke-open',
          );
          expectCryptoError(
            () => cs.hpke.open(kp.privateKey, enc, info, bytes(), ciphertext),
            'hpke-open',
          );
        });

        test('HPKE exporter: sender and receiver agree', () => {
          const ctx = bytes(7, 7, 7);
          for (const length of [0, 1, cs.hash.size, 255 * cs.hash.size]) {
            const { enc, secret } = cs.hpke.exportSender(kp.publicKey, info, ctx, length);
            expect(secret.length).toBe(length);
            expect(cs.hpke.exportReceiver(kp.privateKey, enc, info, ctx, length)).toEqual(secret);
          }
          const { enc, secret } = cs.hpke.exportSender(kp.publicKey, info, ctx, 32);
          const other = cs.hpke.generateKeyPair();
          expect(cs.hpke.exportReceiver(other.privateKey, enc, info, ctx, 32)).not.toEqual(secret);
          expect(cs.hpke.exportReceiver(kp.privateKey, enc, bytes(), ctx, 32)).not.toEqual(secret);
          expectCryptoError(
            () => cs.hpke.exportSender(kp.publicKey, info, ctx, 255 * cs.hash.size + 1),
            'invalid-length',
          );
        });

        test('DeriveKeyPair is deterministic and agrees with publicKey', () => {
          const ikm = bytes(...new Uint8Array(32).fill(0x42));
          const a = cs.hpke.deriveKeyPair(ikm);
          expect(cs.hpke.deriveKeyPair(ikm)).toEqual(a);
          expect(cs.hpke.publicKey(a.privateKey)).toEqual(a.publicKey);
          expect(cs.dh.isValidPrivateKey(a.privateKey)).toBe(true);
        });

        test('DecryptWithLabel rejects wrong key, tampering, truncation, wrong label', () => {
          const ctx = bytes(5);
          const { kemOutput, ciphertext } = cs.encryptWithLabel(kp.publicKey, 'L', ctx, pt);
          const open = (
            sk = kp.privateKey,
            label = 'L',
            c = ctx,
            kem = kemOutput,
            ct = ciphertext,
          ) => cs.decryptWithLabel(sk, label, c, kem, ct);
          expect(open()).toEqual(pt);
          expectCryptoError(() => open(cs.hpke.generateKeyPair().privateKey), 'hpke-open');
          expectCryptoError(() => open(undefined, 'M'), 'hpke-open');
          expectCryptoError(() => open(undefined, undefined, bytes(6)), 'hpke-open');
          expectCryptoError(
            () => open(undefined, undefined, undefined, undefined, flip(ciphertext, 0)),
            'hpke-open',
          );
          expectCryptoError(
            () => open(undefined, undefined, undefined, undefined, flip(ciphertext, -1)),
            'hpke-open',
          );
          expectCryptoError(
            () => open(undefined, undefined, undefined, undefined, ciphertext.subarray(0, 15)),
            'hpke-open',
          );
          expectCryptoError(
            () => open(undefined, undefined, undefined, undefined, bytes()),
            'hpke-open',
          );
          expectCryptoError(
            () =>
              open(undefined, undefined, undefined, kemOutput.subarray(0, kemOutput.length - 1)),
            'invalid-public-key',
          );
          expectCryptoError(
            () => open(undefined, undefined, undefined, bytes()),
            'invalid-public-key',
          );
          // longer than a private key can be (short NIST scalars are valid big-endian integers)
          const tooLong = new Uint8Array(cs.hpke.privateKeySize + 1).fill(1);
          expectCryptoError(() => open(tooLong), 'invalid-private-key');
        });

        test('invalid DH public keys are typed errors', () => {
          for (const [what, pk] of invalidDhPublicKeys(cs)) {
            expectCryptoError(() => cs.dh.dh(kp.privateKey, pk), 'invalid-public-key', what);
            expectCryptoError(
              () => cs.encryptWithLabel(pk, 'L', bytes(), pt),
              'invalid-public-key',
              what,
            );
            expectCryptoError(
              () =>
                cs.decryptWithLabel(kp.privateKey, 'L', bytes(), pk, bytes(...new Uint8Array(32))),
              'invalid-public-key',
              what,
            );
          }
        });

        test('invalid DH private keys are typed errors', () => {
          const n = cs.dh.privateKeySize;
          const bad = [new Uint8Array(0), new Uint8Array(n + 1), new Uint8Array(n - 1)];
          if (cs.dh.name.startsWith('P-'))
            bad.push(new Uint8Array(n), new Uint8Array(n).fill(0xff));
          for (const sk of bad) {
            expect(cs.dh.isValidPrivateKey(sk)).toBe(false);
            expectCryptoError(() => cs.dh.publicKey(sk), 'invalid-private-key');
            expectCryptoError(() => cs.dh.dh(sk, kp.publicKey), 'invalid-private-key');
          }
        });

        test('VerifyWithLabel is false on any malformed or wrong input', () => {
          const sk = cs.signature.generatePrivateKey();
          const pk = cs.signature.publicKey(sk);
          const content = bytes(1, 2, 3, 4);
          const sig = cs.signWithLabel(sk, 'L', content);
          expect(cs.verifyWithLabel(pk, 'L', content, sig)).toBe(true);
          const badSigs = [
            bytes(),
            sig.subarray(0, sig.length - 1),
            new Uint8Array([...sig, 0]),
            flip(sig, 0),
            flip(sig, 10),
            flip(sig, -1),
            new Uint8Array(sig.length),
            new Uint8Array(sig.length).fill(0xff),
            bytes(0x30, 0x00),
          ];
          for (const s of badSigs) expect(cs.verifyWithLabel(pk, 'L', content, s)).toBe(false);
          expect(cs.verifyWithLabel(pk, 'M', content, sig)).toBe(false);
          expect(cs.verifyWithLabel(pk, 'L', bytes(1, 2, 3), sig)).toBe(false);
          const other = cs.signature.publicKey(cs.signature.generatePrivateKey());
          const badKeys = [
            other,
            bytes(),
            pk.subarray(0, pk.length - 1),
            new Uint8Array([...pk, 0]),
            flip(pk, -1),
            new Uint8Array(pk.length),
            new Uint8Array(pk.length).fill(0xff),
          ];
          for (const k of badKeys) expect(cs.verifyWithLabel(k, 'L', content, sig)).toBe(false);
        });

        test('SignWithLabel rejects malformed private keys', () => {
          const n = cs.signature.publicKey(cs.signature.generatePrivateKey()).length;
          const bad = [bytes(), new Uint8Array(3), new Uint8Array(n + 7)];
          if (cs.signature.name.startsWith('ECDSA')) {
            const size = cs.dh.privateKeySize;
            bad.push(new Uint8Array(size), new Uint8Array(size).fill(0xff));
          }
          for (const sk of bad) {
            expectCryptoError(() => cs.signWithLabel(sk, 'L', bytes(1)), 'invalid-private-key');
            expectCryptoError(() => cs.signature.publicKey(sk), 'invalid-private-key');
          }
        });

        test('AEAD rejects wrong key, tampering and bad lengths', () => {
          const key = cs.randomBytes(cs.aead.keySize);
          const nonce = cs.randomBytes(cs.aead.nonceSize);
          const ct = cs.aead.seal(key, nonce, aad, pt);
          expect(cs.aead.open(key, nonce, aad, ct)).toEqual(pt);
          expectCryptoError(() => cs.aead.open(flip(key, 0), nonce, aad, ct), 'aead-open');
          expectCryptoError(() => cs.aead.open(key, flip(nonce, 0), aad, ct), 'aead-open');
          expectCryptoError(() => cs.aead.open(key, nonce, flip(aad, 0), ct), 'aead-open');
          expectCryptoError(() => cs.aead.open(key, nonce, aad, flip(ct, 3)), 'aead-open');
          expectCryptoError(() => cs.aead.open(key, nonce, aad, flip(ct, -1)), 'aead-open');
          expectCryptoError(() => cs.aead.open(key, nonce, aad, ct.subarray(0, 10)), 'aead-open');
          expectCryptoError(() => cs.aead.seal(key.subarray(1), nonce, aad, pt), 'invalid-length');
          expectCryptoError(() => cs.aead.seal(key, nonce.subarray(1), aad, pt), 'invalid-length');
          expectCryptoError(() => cs.aead.open(key, bytes(), aad, ct), 'invalid-length');
          // Empty plaintext is just a tag.
          expect(
            cs.aead.open(key, nonce, bytes(), cs.aead.seal(key, nonce, bytes(), bytes())),
          ).toEqual(bytes());
        });

        test('labeled functions reject out-of-range lengths', () => {
          const secret = new Uint8Array(cs.hash.size);
          expectCryptoError(
            () => cs.expandWithLabel(secret, 'x', bytes(), 0x10000),
            'invalid-length',
          );
          expectCryptoError(
            () => cs.expandWithLabel(secret, 'x', bytes(), 255 * cs.hash.size + 1),
            'invalid-length',
          );
          expectCryptoError(() => cs.deriveTreeSecret(secret, 'x', -1, 16), 'invalid-length');
          expectCryptoError(() => cs.deriveTreeSecret(secret, 'x', 2 ** 32, 16), 'invalid-length');
          expect(cs.deriveTreeSecret(secret, 'x', 2 ** 32 - 1, 16).length).toBe(16);
          expect(cs.deriveSecret(secret, 'x').length).toBe(cs.hash.size);
        });
      });
    }
  });
}
