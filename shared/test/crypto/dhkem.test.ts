// DeriveKeyPair's rejection sampling (RFC 9180 §7.1.3). The interop vectors
// almost never need a second candidate (rejection odds are ~2^-32 or less), so
// the loop is driven here with a DH group that refuses the first k candidates.
import { describe, expect, test } from 'vitest';
import { concat, i2osp, utf8 } from '../../src/crypto/bytes.js';
import { createDhKem, DHKEM_PARAMS } from '../../src/crypto/dhkem.js';
import { type DhGroup, nobleProvider } from '../../src/crypto/index.js';
import { labeledExpand, labeledExtract } from '../../src/crypto/kdf.js';
import { expectCryptoError } from './provider-suites.js';

function refusing(group: DhGroup, refusals: number) {
  const seen: Uint8Array[] = [];
  const wrapped: DhGroup = {
    ...group,
    isValidPrivateKey(sk) {
      seen.push(sk.slice());
      return seen.length > refusals && group.isValidPrivateKey(sk);
    },
  };
  return { wrapped, seen };
}

describe('DHKEM DeriveKeyPair', () => {
  const ikm = utf8('rejection sampling test ikm');

  for (const name of ['P-256', 'P-384', 'P-521'] as const) {
    const group = nobleProvider.dh!(name)!;
    const { id, hash: hashName, bitmask } = DHKEM_PARAMS[name];
    const hash = nobleProvider.hash!(hashName)!;
    const suiteId = concat(utf8('KEM'), i2osp(id, 2));
    const prk = labeledExtract(hash, suiteId, new Uint8Array(0), utf8('dkp_prk'), ikm);
    const candidate = (counter: number) => {
      const c = labeledExpand(
        hash,
        suiteId,
        prk,
        utf8('candidate'),
        i2osp(counter, 1),
        group.privateKeySize,
      );
      c[0] &= bitmask;
      return c;
    };

    test(`${name}: takes the first acceptable candidate, counting up`, () => {
      for (const refusals of [0, 1, 5, 255]) {
        const { wrapped, seen } = refusing(group, refusals);
        const kp = createDhKem(wrapped, hash).deriveKeyPair(ikm);
        expect(seen.length).toBe(refusals + 1);
        expect(kp.privateKey).toEqual(candidate(refusals));
        expect(kp.publicKey).toEqual(group.publicKey(kp.privateKey));
        for (const c of seen) expect(c[0] & ~bitmask).toBe(0);
      }
    });

    test(`${name}: gives up after counter 255 with a typed error`, () => {
      const { wrapped, seen } = refusing(group, 256);
      expectCryptoError(() => createDhKem(wrapped, hash).deriveKeyPair(ikm), 'derive-key-pair');
      expect(seen.length).toBe(256);
    });
  }

  test('P-521 candidates keep only the low bit of the first byte', () => {
    expect(DHKEM_PARAMS['P-521'].bitmask).toBe(0x01);
    expect(DHKEM_PARAMS['P-256'].bitmask).toBe(0xff);
    expect(DHKEM_PARAMS['P-384'].bitmask).toBe(0xff);
  });

  test('X25519/X448 use the direct form (one expansion, no loop)', () => {
    for (const name of ['X25519', 'X448'] as const) {
      const group = nobleProvider.dh!(name)!;
      const hash = nobleProvider.hash!(DHKEM_PARAMS[name].hash)!;
      const { wrapped, seen } = refusing(group, 1000);
      const kp = createDhKem(wrapped, hash).deriveKeyPair(ikm);
      expect(seen.length).toBe(0);
      expect(kp.privateKey.length).toBe(group.privateKeySize);
    }
  });

  test('a KEM with the wrong KDF is refused', () => {
    expectCryptoError(
      () => createDhKem(nobleProvider.dh!('P-384')!, nobleProvider.hash!('SHA-256')!),
      'unsupported-cipher-suite',
    );
  });
});
