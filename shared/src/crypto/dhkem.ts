// DHKEM (RFC 9180 §4.1) over a DH group and its HKDF: Encap/Decap, ExtractAndExpand,
// and DeriveKeyPair (§7.1.3) with rejection sampling for the NIST curves.
import { concat, i2osp, utf8 } from './bytes.js';
import { CryptoError } from './errors.js';
import { labeledExpand, labeledExtract } from './kdf.js';
import type { DhGroup, Hash } from './primitives.js';

/** KEM id, its KDF, and the DeriveKeyPair bitmask (0 for the direct X25519/X448 form). */
export const DHKEM_PARAMS: Readonly<
  Record<DhGroup['name'], { id: number; hash: Hash['name']; bitmask: number }>
> = {
  'P-256': { id: 0x0010, hash: 'SHA-256', bitmask: 0xff },
  'P-384': { id: 0x0011, hash: 'SHA-384', bitmask: 0xff },
  'P-521': { id: 0x0012, hash: 'SHA-512', bitmask: 0x01 },
  X25519: { id: 0x0020, hash: 'SHA-256', bitmask: 0 },
  X448: { id: 0x0021, hash: 'SHA-512', bitmask: 0 },
};

export interface KeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

/** A DHKEM instance (internal to HPKE). */
export interface Kem {
  readonly id: number;
  /** Nenc, Npk, Nsk, Nsecret. */
  readonly encSize: number;
  readonly publicKeySize: number;
  readonly privateKeySize: number;
  readonly secretSize: number;
  generateKeyPair(): KeyPair;
  deriveKeyPair(ikm: Uint8Array): KeyPair;
  publicKey(privateKey: Uint8Array): Uint8Array;
  encap(publicKey: Uint8Array): { sharedSecret: Uint8Array; enc: Uint8Array };
  decap(enc: Uint8Array, privateKey: Uint8Array): Uint8Array;
}

const L = {
  eaePrk: utf8('eae_prk'),
  sharedSecret: utf8('shared_secret'),
  dkpPrk: utf8('dkp_prk'),
  candidate: utf8('candidate'),
  sk: utf8('sk'),
};
const EMPTY = new Uint8Array(0);

/** DHKEM(group, HKDF-hash). `hash` must be the KDF RFC 9180 pairs with the group. */
export function createDhKem(group: DhGroup, hash: Hash): Kem {
  const { id, bitmask, hash: hashName } = DHKEM_PARAMS[group.name];
  if (hash.name !== hashName) {
    throw new CryptoError('unsupported-cipher-suite', `DHKEM(${group.name}) needs ${hashName}`);
  }
  const suiteId = concat(utf8('KEM'), i2osp(id, 2));
  const secretSize = hash.size;
  const extract = (salt: Uint8Array, label: Uint8Array, ikm: Uint8Array) =>
    labeledExtract(hash, suiteId, salt, label, ikm);
  const expand = (prk: Uint8Array, label: Uint8Array, info: Uint8Array, n: number) =>
    labeledExpand(hash, suiteId, prk, label, info, n);

  const extractAndExpand = (dh: Uint8Array, kemContext: Uint8Array) =>
    expand(extract(EMPTY, L.eaePrk, dh), L.sharedSecret, kemContext, secretSize);

  const keyPair = (privateKey: Uint8Array): KeyPair => ({
    privateKey,
    publicKey: group.publicKey(privateKey),
  });

  return {
    id,
    encSize: group.publicKeySize,
    publicKeySize: group.publicKeySize,
    privateKeySize: group.privateKeySize,
    secretSize,
    generateKeyPair: () => keyPair(group.generatePrivateKey()),
    publicKey: (sk) => group.publicKey(sk),
    deriveKeyPair(ikm) {
      const prk = extract(EMPTY, L.dkpPrk, ikm);
      if (bitmask === 0) return keyPair(expand(prk, L.sk, EMPTY, group.privateKeySize));
      for (let counter = 0; counter <= 255; counter++) {
        const sk = expand(prk, L.candidate, Uint8Array.of(counter), group.privateKeySize);
        sk[0] &= bitmask;
        if (group.isValidPrivateKey(sk)) return keyPair(sk);
      }
      throw new CryptoError('derive-key-pair', `DeriveKeyPair(${group.name}) found no key`);
    },
    encap(pkR) {
      const ephemeral = keyPair(group.generatePrivateKey());
      const dh = group.dh(ephemeral.privateKey, pkR);
      const enc = ephemeral.publicKey;
      return { sharedSecret: extractAndExpand(dh, concat(enc, pkR)), enc };
    },
    decap(enc, skR) {
      const dh = group.dh(skR, enc);
      return extractAndExpand(dh, concat(enc, group.publicKey(skR)));
    },
  };
}
