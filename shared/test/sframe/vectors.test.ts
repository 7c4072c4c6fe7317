// RFC 9605 Appendix C test vectors (and the post-RFC suites 6–8), read at test
// time from ../shared/vectors/sframe with exact 64-bit integers.
import { afterAll, describe, expect, test } from 'vitest';
import {
  aesCtrHmacDecrypt,
  aesCtrHmacEncrypt,
  deriveSubkeys,
} from '../../src/sframe/aes-ctr-hmac.js';
import { cipherSuite, type SFrameSuiteId } from '../../src/sframe/cipher-suite.js';
import { decrypt, encrypt, frameNonce } from '../../src/sframe/encryption.js';
import { decodeHeader, encodeHeader } from '../../src/sframe/header.js';
import {
  deriveKeyAndSalt,
  keyLabel,
  saltLabel,
  sframeSecret,
} from '../../src/sframe/key-derivation.js';
import { hi32, lo32 } from '../../src/sframe/util.js';
import { hex, loadVectors, toHex, VectorTally } from '../support/vectors.js';
import {
  type AesCtrHmacVector,
  loadExactVectors,
  type SFrameVector,
  type SFrameVectorFile,
} from './exact-vectors.js';

const RFC_FILE = 'sframe/test-vectors.json';
const POST_DIR = 'sframe/post-rfc9605-aes256';
const rfc = loadExactVectors<SFrameVectorFile>(RFC_FILE);
const post = loadExactVectors<SFrameVectorFile>(`${POST_DIR}/test-vectors.json`);
const post256 = loadExactVectors<{ sframe_aes_256_ctr_hmac: SFrameVector[] }>(
  `${POST_DIR}/test-vectors-aes256.json`,
);

const tallies = {
  header: new VectorTally(`${RFC_FILE} header`),
  aesCtrHmac: new VectorTally(`${RFC_FILE} aes_ctr_hmac`),
  sframe: new VectorTally(`${RFC_FILE} sframe`),
  postAesCtrHmac: new VectorTally(`${POST_DIR}/test-vectors.json aes_256_ctr_hmac (post-RFC)`),
  postSframe: new VectorTally(`${POST_DIR}/test-vectors-aes256.json (post-RFC)`),
};
afterAll(() => {
  for (const t of Object.values(tallies)) t.report();
});

const suiteOf = (v: { cipher_suite: bigint }) => Number(v.cipher_suite) as SFrameSuiteId;

describe('vector file parsing keeps 64-bit integers exact', () => {
  test('the largest KID and CTR are 2^64 - 1, not a rounded double', () => {
    // bigint: Math.max does not apply, so sort instead.
    const byValue = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);
    const maxKid = rfc.header
      .map((v) => v.kid)
      .sort(byValue)
      .at(-1);
    const maxCtr = rfc.header
      .map((v) => v.ctr)
      .sort(byValue)
      .at(-1);
    expect(maxKid).toBe(18446744073709551615n);
    expect(maxCtr).toBe(18446744073709551615n);
    expect(rfc.header.some((v) => v.kid === 72057594037927935n)).toBe(true);
  });
  test('section sizes match the published file', () => {
    // loadVectors (plain JSON.parse) agrees on the shape; only integers differ.
    const plain = loadVectors<Record<string, unknown[]>>(RFC_FILE);
    expect(rfc.header).toHaveLength(289);
    expect(plain.header).toHaveLength(289);
    expect(rfc.aes_ctr_hmac.map(suiteOf)).toEqual([1, 2, 3]);
    expect(rfc.sframe.map(suiteOf)).toEqual([1, 2, 3, 4, 5]);
    expect(post.aes_256_ctr_hmac?.map(suiteOf)).toEqual([6, 7, 8]);
    expect(post256.sframe_aes_256_ctr_hmac.map(suiteOf)).toEqual([6, 7, 8]);
  });
});

describe('header (§4.3, Appendix C.1)', () => {
  test.each(rfc.header.map((v) => [`kid=${v.kid} ctr=${v.ctr}`, v] as const))('%s', (_, v) => {
    expect(toHex(encodeHeader(v.kid, v.ctr))).toBe(v.encoded);
    const d = decodeHeader(hex(v.encoded));
    expect(d).toEqual({ kid: v.kid, ctr: v.ctr, length: v.encoded.length / 2 });
    // A header followed by ciphertext decodes the same way.
    const more = hex(`${v.encoded}abcdef`);
    expect(decodeHeader(more)).toEqual(d);
    tallies.header.pass();
  });
});

function checkAesCtrHmac(v: AesCtrHmacVector, tally: VectorTally): void {
  const suite = suiteOf(v);
  const key = hex(v.key);
  const { encKey, authKey } = deriveSubkeys(suite, key);
  expect(toHex(encKey)).toBe(v.enc_key);
  expect(toHex(authKey)).toBe(v.auth_key);
  const ct = aesCtrHmacEncrypt(suite, key, hex(v.nonce), hex(v.aad), hex(v.pt));
  expect(toHex(ct)).toBe(v.ct);
  expect(toHex(aesCtrHmacDecrypt(suite, key, hex(v.nonce), hex(v.aad), hex(v.ct)))).toBe(v.pt);
  // Any flipped bit in the tag, ciphertext or AAD is rejected.
  const bad = hex(v.ct);
  bad[bad.length - 1] ^= 1;
  expect(() => aesCtrHmacDecrypt(suite, key, hex(v.nonce), hex(v.aad), bad)).toThrow(
    /tag mismatch/,
  );
  const badAad = hex(v.aad);
  badAad[0] ^= 0x80;
  expect(() => aesCtrHmacDecrypt(suite, key, hex(v.nonce), badAad, hex(v.ct))).toThrow();
  tally.pass(Number(v.cipher_suite));
}

describe('aes_ctr_hmac (§4.5.1, Appendix C.2)', () => {
  test.each(rfc.aes_ctr_hmac.map((v) => [Number(v.cipher_suite), v] as const))('suite %i', (_, v) =>
    checkAesCtrHmac(v, tallies.aesCtrHmac),
  );
});

function checkSFrame(v: SFrameVector, tally: VectorTally): void {
  const suite = suiteOf(v);
  const s = cipherSuite(suite);
  const baseKey = hex(v.base_key);
  expect(toHex(keyLabel(s, hi32(v.kid), lo32(v.kid)))).toBe(v.sframe_key_label);
  expect(toHex(saltLabel(s, hi32(v.kid), lo32(v.kid)))).toBe(v.sframe_salt_label);
  expect(toHex(sframeSecret(s, baseKey))).toBe(v.sframe_secret);
  const keys = deriveKeyAndSalt(suite, baseKey, v.kid);
  expect(toHex(keys.key)).toBe(v.sframe_key);
  expect(toHex(keys.salt)).toBe(v.sframe_salt);
  expect(toHex(frameNonce(keys.salt, v.ctr))).toBe(v.nonce);
  const header = encodeHeader(v.kid, v.ctr);
  expect(toHex(header) + v.metadata).toBe(v.aad);
  const ct = encrypt(suite, keys, v.kid, v.ctr, hex(v.metadata), hex(v.pt));
  expect(toHex(ct)).toBe(v.ct);
  const out = decrypt(suite, keys, hex(v.metadata), hex(v.ct));
  expect(out.kid).toBe(v.kid);
  expect(out.ctr).toBe(v.ctr);
  expect(toHex(out.plaintext)).toBe(v.pt);
  tally.pass(suite);
}

describe('sframe (§4.4, Appendix C.3)', () => {
  test.each(rfc.sframe.map((v) => [Number(v.cipher_suite), v] as const))('suite %i', (_, v) =>
    checkSFrame(v, tallies.sframe),
  );
});

describe('post-RFC 9605 suites 6–8 (draft-barnes-sframe-iana-256)', () => {
  test('the post-RFC file repeats the RFC sections unchanged', () => {
    expect(post.header).toEqual(rfc.header);
    expect(post.aes_ctr_hmac).toEqual(rfc.aes_ctr_hmac);
    expect(post.sframe).toEqual(rfc.sframe);
  });
  test.each((post.aes_256_ctr_hmac ?? []).map((v) => [Number(v.cipher_suite), v] as const))(
    'aes_256_ctr_hmac suite %i',
    (_, v) => checkAesCtrHmac(v, tallies.postAesCtrHmac),
  );
  test.each(post256.sframe_aes_256_ctr_hmac.map((v) => [Number(v.cipher_suite), v] as const))(
    'sframe suite %i',
    (_, v) => {
      expect(cipherSuite(suiteOf(v)).spec).toBe('draft-barnes-sframe-iana-256');
      checkSFrame(v, tallies.postSframe);
    },
  );
});
