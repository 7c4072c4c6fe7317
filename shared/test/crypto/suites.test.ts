// getCipherSuite, the suite table, and known answers for the hash/HKDF layer.
import { describe, expect, test } from 'vitest';
import {
  type CryptoProvider,
  getCipherSuite,
  nobleProvider,
  supportedCipherSuites,
} from '../../src/crypto/index.js';
import { hkdfExpand, hkdfExtract } from '../../src/crypto/kdf.js';
import { hex, toHex } from '../support/vectors.js';
import { expectCryptoError } from './provider-suites.js';

describe('getCipherSuite', () => {
  test('supports suites 1-7 with RFC 9420 §17.1 parameters', () => {
    expect(supportedCipherSuites).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const row = (id: number) => {
      const cs = getCipherSuite(id);
      return [
        cs.name,
        cs.hpke.kemId,
        cs.hpke.kdfId,
        cs.hpke.aeadId,
        cs.hash.name,
        cs.signature.name,
      ];
    };
    expect(row(1)).toEqual([
      'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519',
      0x20,
      1,
      1,
      'SHA-256',
      'Ed25519',
    ]);
    expect(row(2)).toEqual([
      'MLS_128_DHKEMP256_AES128GCM_SHA256_P256',
      0x10,
      1,
      1,
      'SHA-256',
      'ECDSA-P256-SHA256',
    ]);
    expect(row(3)).toEqual([
      'MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519',
      0x20,
      1,
      3,
      'SHA-256',
      'Ed25519',
    ]);
    expect(row(4)).toEqual([
      'MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448',
      0x21,
      3,
      2,
      'SHA-512',
      'Ed448',
    ]);
    expect(row(5)).toEqual([
      'MLS_256_DHKEMP521_AES256GCM_SHA512_P521',
      0x12,
      3,
      2,
      'SHA-512',
      'ECDSA-P521-SHA512',
    ]);
    expect(row(6)).toEqual([
      'MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448',
      0x21,
      3,
      3,
      'SHA-512',
      'Ed448',
    ]);
    expect(row(7)).toEqual([
      'MLS_256_DHKEMP384_AES256GCM_SHA384_P384',
      0x11,
      2,
      2,
      'SHA-384',
      'ECDSA-P384-SHA384',
    ]);
  });

  test('unknown ids are a typed error', () => {
    for (const id of [0, 8, 0x0a0a, 0xffff, -1, 1.5, Number.NaN]) {
      expectCryptoError(() => getCipherSuite(id), 'unsupported-cipher-suite');
    }
  });

  test('is cached per (id, provider)', () => {
    expect(getCipherSuite(1)).toBe(getCipherSuite(1));
    expect(getCipherSuite(1, nobleProvider)).toBe(getCipherSuite(1));
    const other: CryptoProvider = { name: 'empty' };
    expect(getCipherSuite(1, other)).not.toBe(getCipherSuite(1));
    expect(getCipherSuite(1, other)).toBe(getCipherSuite(1, other));
  });

  test('a provider without a primitive falls back to noble for it', () => {
    let hashCalls = 0;
    const partial: CryptoProvider = {
      name: 'hash-only',
      hash(name) {
        const h = nobleProvider.hash!(name)!;
        return {
          ...h,
          digest(d) {
            hashCalls++;
            return h.digest(d);
          },
        };
      },
    };
    const cs = getCipherSuite(1, partial);
    expect(cs.aead).toBe(nobleProvider.aead!('AES-128-GCM'));
    expect(cs.dh).toBe(nobleProvider.dh!('X25519'));
    cs.refHash('x', new Uint8Array(1));
    expect(hashCalls).toBe(1);
  });

  test('randomBytes', () => {
    const cs = getCipherSuite(1);
    expect(cs.randomBytes(32).length).toBe(32);
    expect(cs.randomBytes(32)).not.toEqual(cs.randomBytes(32));
  });

  test('KeyPackageRef and ProposalRef are RefHash with their RFC labels', () => {
    const cs = getCipherSuite(1);
    const v = new Uint8Array([1, 2, 3]);
    expect(cs.keyPackageRef(v)).toEqual(cs.refHash('MLS 1.0 KeyPackage Reference', v));
    expect(cs.proposalRef(v)).toEqual(cs.refHash('MLS 1.0 Proposal Reference', v));
  });
});

describe('hash and HKDF known answers', () => {
  test('SHA-2 of "abc" (FIPS 180-2 examples)', () => {
    const abc = new Uint8Array([0x61, 0x62, 0x63]);
    const h = (name: 'SHA-256' | 'SHA-384' | 'SHA-512') =>
      toHex(nobleProvider.hash!(name)!.digest(abc));
    expect(h('SHA-256')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(h('SHA-384').slice(0, 32)).toBe('cb00753f45a35e8bb5a03d699ac65007');
    expect(h('SHA-512').slice(0, 32)).toBe('ddaf35a193617abacc417349ae204131');
  });

  test('HKDF-SHA256, RFC 5869 test case 1', () => {
    const sha256 = nobleProvider.hash!('SHA-256')!;
    const prk = hkdfExtract(sha256, hex('000102030405060708090a0b0c'), hex('0b'.repeat(22)));
    expect(toHex(prk)).toBe('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
    const okm = hkdfExpand(sha256, prk, hex('f0f1f2f3f4f5f6f7f8f9'), 42);
    expect(toHex(okm)).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });

  test('HKDF-SHA256, RFC 5869 test case 3 (empty salt and info)', () => {
    const sha256 = nobleProvider.hash!('SHA-256')!;
    const prk = hkdfExtract(sha256, new Uint8Array(0), hex('0b'.repeat(22)));
    const okm = hkdfExpand(sha256, prk, new Uint8Array(0), 42);
    expect(toHex(okm)).toBe(
      '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    );
  });
});
