// The MLS cipher suites of RFC 9420 §17.1, assembled from a provider's primitives
// (falling back to noble per primitive) with the labeled functions of §5, §8, §9.
import type { CipherSuite } from './cipher-suite.js';
import { createDhKem, DHKEM_PARAMS } from './dhkem.js';
import { CryptoError } from './errors.js';
import { createHpke } from './hpke.js';
import { hkdfExpand, hkdfExtract } from './kdf.js';
import {
  encryptContext,
  expandWithLabel,
  generationContext,
  refHash,
  signContent,
} from './labels.js';
import { nobleProvider } from './noble-provider.js';
import type { Aead, CryptoProvider, DhGroup, Hash, SignatureScheme } from './primitives.js';

interface SuiteDefinition {
  readonly name: string;
  readonly dh: DhGroup['name'];
  readonly hash: Hash['name'];
  readonly aead: Aead['name'];
  readonly signature: SignatureScheme['name'];
}

// RFC 9420 §17.1. In every suite the HPKE KDF is HKDF over the suite's hash.
const SUITES: ReadonlyMap<number, SuiteDefinition> = new Map([
  [
    1,
    {
      name: 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519',
      dh: 'X25519',
      hash: 'SHA-256',
      aead: 'AES-128-GCM',
      signature: 'Ed25519',
    },
  ],
  [
    2,
    {
      name: 'MLS_128_DHKEMP256_AES128GCM_SHA256_P256',
      dh: 'P-256',
      hash: 'SHA-256',
      aead: 'AES-128-GCM',
      signature: 'ECDSA-P256-SHA256',
    },
  ],
  [
    3,
    {
      name: 'MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519',
      dh: 'X25519',
      hash: 'SHA-256',
      aead: 'ChaCha20-Poly1305',
      signature: 'Ed25519',
    },
  ],
  [
    4,
    {
      name: 'MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448',
      dh: 'X448',
      hash: 'SHA-512',
      aead: 'AES-256-GCM',
      signature: 'Ed448',
    },
  ],
  [
    5,
    {
      name: 'MLS_256_DHKEMP521_AES256GCM_SHA512_P521',
      dh: 'P-521',
      hash: 'SHA-512',
      aead: 'AES-256-GCM',
      signature: 'ECDSA-P521-SHA512',
    },
  ],
  [
    6,
    {
      name: 'MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448',
      dh: 'X448',
      hash: 'SHA-512',
      aead: 'ChaCha20-Poly1305',
      signature: 'Ed448',
    },
  ],
  [
    7,
    {
      name: 'MLS_256_DHKEMP384_AES256GCM_SHA384_P384',
      dh: 'P-384',
      hash: 'SHA-384',
      aead: 'AES-256-GCM',
      signature: 'ECDSA-P384-SHA384',
    },
  ],
]);

/** The cipher suite ids getCipherSuite accepts, in IANA order. */
export const supportedCipherSuites: readonly number[] = Object.freeze([...SUITES.keys()]);

// A provider's primitive, or noble's when the provider does not offer it.
function pick<N extends string, T>(
  provider: CryptoProvider,
  get: (p: CryptoProvider) => ((name: N) => T | undefined) | undefined,
  name: N,
): T {
  const fromProvider = get(provider)?.call(provider, name);
  const primitive = fromProvider ?? get(nobleProvider)!.call(nobleProvider, name);
  if (primitive === undefined) {
    throw new CryptoError('unsupported-cipher-suite', `no implementation of ${name}`);
  }
  return primitive;
}

function assemble(id: number, def: SuiteDefinition, provider: CryptoProvider): CipherSuite {
  const hash = pick(provider, (p) => p.hash, def.hash);
  const aead = pick(provider, (p) => p.aead, def.aead);
  const dh = withPaddedDhKeys(pick(provider, (p) => p.dh, def.dh));
  const signature = withPaddedEcdsaKeys(pick(provider, (p) => p.signature, def.signature));
  const kemHash = pick(provider, (p) => p.hash, DHKEM_PARAMS[def.dh].hash);
  const hpke = createHpke(createDhKem(dh, kemHash), hash, aead);
  const random = provider.randomBytes ?? nobleProvider.randomBytes!;
  const EMPTY = new Uint8Array(0);

  return Object.freeze({
    id,
    name: def.name,
    hash,
    aead,
    dh,
    hpke,
    signature,
    randomBytes: (n: number) => random.call(provider, n),
    extract: (salt, ikm) => hkdfExtract(hash, salt, ikm),
    expand: (prk, info, length) => hkdfExpand(hash, prk, info, length),
    expandWithLabel: (secret, label, context, length) =>
      expandWithLabel(hash, secret, label, context, length),
    deriveSecret: (secret, label) => expandWithLabel(hash, secret, label, EMPTY, hash.size),
    deriveTreeSecret: (secret, label, generation, length) =>
      expandWithLabel(hash, secret, label, generationContext(generation), length),
    refHash: (label, value) => refHash(hash, label, value),
    keyPackageRef: (keyPackage) => refHash(hash, 'MLS 1.0 KeyPackage Reference', keyPackage),
    proposalRef: (content) => refHash(hash, 'MLS 1.0 Proposal Reference', content),
    signWithLabel: (sk, label, content) => signature.sign(sk, signContent(label, content)),
    verifyWithLabel(pk, label, content, sig) {
      let message: Uint8Array;
      try {
        message = signContent(label, content);
      } catch {
        return false; // content too long to encode
      }
      return signature.verify(pk, message, sig);
    },
    encryptWithLabel(pk, label, context, plaintext) {
      const sealed = hpke.seal(pk, encryptContext(label, context), EMPTY, plaintext);
      return { kemOutput: sealed.enc, ciphertext: sealed.ciphertext };
    },
    decryptWithLabel: (sk, label, context, kemOutput, ciphertext) =>
      hpke.open(sk, kemOutput, encryptContext(label, context), EMPTY, ciphertext),
  } satisfies CipherSuite);
}

const cache = new WeakMap<CryptoProvider, Map<number, CipherSuite>>();

/**
 * The MLS cipher suite `id` (RFC 9420 §17.1), built from `provider`'s primitives
 * where it has them and noble's otherwise. Cached per (id, provider).
 * Throws CryptoError('unsupported-cipher-suite') for an unknown id.
 */
export function getCipherSuite(id: number, provider: CryptoProvider = nobleProvider): CipherSuite {
  let perProvider = cache.get(provider);
  const cached = perProvider?.get(id);
  if (cached) return cached;
  const def = SUITES.get(id);
  if (!def) throw new CryptoError('unsupported-cipher-suite', `unsupported cipher suite ${id}`);
  const suite = assemble(id, def, provider);
  if (!perProvider) {
    perProvider = new Map();
    cache.set(provider, perProvider);
  }
  perProvider.set(id, suite);
  return suite;
}

const NIST_SCALAR_SIZE: Partial<Record<DhGroup['name'], number>> = {
  'P-256': 32,
  'P-384': 48,
  'P-521': 66,
};

/** Left-pads a big-endian scalar that lost leading zero bytes. */
function padScalar(sk: Uint8Array, size: number): Uint8Array {
  if (!(sk instanceof Uint8Array) || sk.length >= size || sk.length === 0) return sk;
  const out = new Uint8Array(size);
  out.set(sk, size - sk.length);
  return out;
}

/** NIST-curve HPKE private keys are big-endian scalars too (RFC 9180 §7.1.2): accept short encodings. */
function withPaddedDhKeys(group: DhGroup): DhGroup {
  const size = NIST_SCALAR_SIZE[group.name];
  if (size === undefined) return group;
  return {
    ...group,
    publicKey: (sk) => group.publicKey(padScalar(sk, size)),
    dh: (sk, pk) => group.dh(padScalar(sk, size), pk),
    isValidPrivateKey: (sk) => group.isValidPrivateKey(padScalar(sk, size)),
  };
}

const ECDSA_SCALAR_SIZE: Partial<Record<SignatureScheme['name'], number>> = {
  'ECDSA-P256-SHA256': 32,
  'ECDSA-P384-SHA384': 48,
  'ECDSA-P521-SHA512': 66,
};

/**
 * ECDSA private keys are big-endian integers (Field-Element-to-Octet-String);
 * some implementations drop leading zero bytes (a P-521 key of 65 bytes in the
 * mlswg vectors). Left-pad them to the field size; other keys pass unchanged.
 */
function withPaddedEcdsaKeys(scheme: SignatureScheme): SignatureScheme {
  const size = ECDSA_SCALAR_SIZE[scheme.name];
  if (size === undefined) return scheme;
  const pad = (sk: Uint8Array) => padScalar(sk, size);
  return {
    ...scheme,
    publicKey: (sk) => scheme.publicKey(pad(sk)),
    sign: (sk, message) => scheme.sign(pad(sk), message),
  };
}
