// RFC 9605 §4.5 (Table 1) and §8.1: the SFrame cipher suites and their constants.
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import type { CHash } from '@noble/hashes/utils.js';
import { SFrameError } from './errors.js';

/**
 * SFrame cipher suite ids (IANA "SFrame Cipher Suites").
 * 1–5 are RFC 9605's. 6–8 are NOT in RFC 9605: they are the 256-bit AES-CTR +
 * HMAC suites registered by draft-barnes-sframe-iana-256 (post-RFC).
 */
export const SFrameSuite = {
  AES_128_CTR_HMAC_SHA256_80: 1,
  AES_128_CTR_HMAC_SHA256_64: 2,
  AES_128_CTR_HMAC_SHA256_32: 3,
  AES_128_GCM_SHA256_128: 4,
  AES_256_GCM_SHA512_128: 5,
  /** Post-RFC 9605 (draft-barnes-sframe-iana-256). */
  AES_256_CTR_HMAC_SHA512_80: 6,
  /** Post-RFC 9605 (draft-barnes-sframe-iana-256). */
  AES_256_CTR_HMAC_SHA512_64: 7,
  /** Post-RFC 9605 (draft-barnes-sframe-iana-256). */
  AES_256_CTR_HMAC_SHA512_32: 8,
} as const;

export type SFrameSuiteId = (typeof SFrameSuite)[keyof typeof SFrameSuite];

/** The constants of §4.4 for one suite (byte lengths). */
export interface CipherSuite {
  readonly id: SFrameSuiteId;
  readonly name: keyof typeof SFrameSuite;
  /** Where the suite is defined: RFC 9605, or the post-RFC draft for 6–8. */
  readonly spec: 'RFC 9605' | 'draft-barnes-sframe-iana-256';
  /** The AEAD: the AES-CTR + HMAC composition of §4.5.1, or AES-GCM. */
  readonly aead: 'aes-ctr-hmac' | 'aes-gcm';
  /** Hash for HKDF (§4.4.2) and, for AES-CTR suites, for the HMAC. */
  readonly hash: CHash;
  readonly Nh: number;
  /** AES key size inside an AES-CTR + HMAC key; 0 for GCM (n/a in Table 1). */
  readonly Nka: number;
  readonly Nk: number;
  readonly Nn: number;
  readonly Nt: number;
}

function ctrHmac(id: SFrameSuiteId, name: keyof typeof SFrameSuite, Nt: number): CipherSuite {
  const big = id >= 6;
  const [Nh, Nka] = big ? [64, 32] : [32, 16];
  return Object.freeze({
    id,
    name,
    spec: big ? 'draft-barnes-sframe-iana-256' : 'RFC 9605',
    aead: 'aes-ctr-hmac',
    hash: big ? sha512 : sha256,
    Nh,
    Nka,
    Nk: Nka + Nh,
    Nn: 12,
    Nt,
  });
}

function gcm(id: SFrameSuiteId, name: keyof typeof SFrameSuite, hash: CHash, Nk: number) {
  return Object.freeze<CipherSuite>({
    id,
    name,
    spec: 'RFC 9605',
    aead: 'aes-gcm',
    hash,
    Nh: hash.outputLen,
    Nka: 0,
    Nk,
    Nn: 12,
    Nt: 16,
  });
}

const SUITES: readonly CipherSuite[] = [
  ctrHmac(1, 'AES_128_CTR_HMAC_SHA256_80', 10),
  ctrHmac(2, 'AES_128_CTR_HMAC_SHA256_64', 8),
  ctrHmac(3, 'AES_128_CTR_HMAC_SHA256_32', 4),
  gcm(4, 'AES_128_GCM_SHA256_128', sha256, 16),
  gcm(5, 'AES_256_GCM_SHA512_128', sha512, 32),
  ctrHmac(6, 'AES_256_CTR_HMAC_SHA512_80', 10),
  ctrHmac(7, 'AES_256_CTR_HMAC_SHA512_64', 8),
  ctrHmac(8, 'AES_256_CTR_HMAC_SHA512_32', 4),
];

/** The constants of a suite; throws SFrameError('unsupported-suite') for any other id. */
export function cipherSuite(id: number): CipherSuite {
  const s = Number.isInteger(id) ? SUITES[id - 1] : undefined;
  if (s === undefined)
    throw new SFrameError('unsupported-suite', `unsupported SFrame cipher suite ${id}`);
  return s;
}
