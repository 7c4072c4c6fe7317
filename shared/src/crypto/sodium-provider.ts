// A CryptoProvider that takes X25519 and Ed25519 from libsodium (libsodium-wrappers,
// WebAssembly; synchronous once `await sodium.ready` has resolved) and leaves
// every other primitive to noble (getCipherSuite falls back per primitive).
// libsodium's standard build has no SHA-256/HMAC or AES, so hashing, HKDF and
// the AEADs stay on noble.
//
// Validation matches the noble groups: the same key sizes, CryptoError codes,
// and an all-zero X25519 result is refused. One difference remains: libsodium's
// Ed25519 verify also rejects small-order public keys and R points, which strict
// RFC 8032 (noble with zip215: false) accepts; no honest key is small-order.
//
// The sodium instance is passed in, so this module does not load the WebAssembly
// (the browser's key worker does: client/src/keys/key-worker.ts). Measured in
// Chromium and Firefox by `npm run bench -- browser`.
import { CryptoError } from './errors.js';
import { nobleProvider } from './noble-provider.js';
import type { CryptoProvider, DhGroup } from './primitives.js';

/** The part of libsodium-wrappers this provider uses (after `await sodium.ready`). */
export interface SodiumCurve25519 {
  crypto_scalarmult(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  crypto_scalarmult_base(privateKey: Uint8Array): Uint8Array;
  crypto_sign_seed_keypair(seed: Uint8Array): { publicKey: Uint8Array; privateKey: Uint8Array };
  crypto_sign_detached(message: Uint8Array, privateKey: Uint8Array): Uint8Array;
  crypto_sign_verify_detached(
    signature: Uint8Array,
    message: Uint8Array,
    publicKey: Uint8Array,
  ): boolean;
}

const KEY_SIZE = 32;
const SIGNATURE_SIZE = 64;

const isKey = (k: unknown): k is Uint8Array => k instanceof Uint8Array && k.length === KEY_SIZE;
const allZero = (b: Uint8Array) => b.every((x) => x === 0);
const equal = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** A provider with libsodium's X25519 and Ed25519; noble for the rest. */
export function createSodiumProvider(sodium: SodiumCurve25519): CryptoProvider {
  const nobleX25519 = nobleProvider.dh!('X25519')!;
  const nobleEd25519 = nobleProvider.signature!('Ed25519')!;

  function checkPrivate(sk: Uint8Array, name: string): void {
    if (!isKey(sk)) throw new CryptoError('invalid-private-key', `${name}: malformed private key`);
  }

  const x25519: DhGroup = {
    name: 'X25519',
    publicKeySize: KEY_SIZE,
    privateKeySize: KEY_SIZE,
    sharedSize: KEY_SIZE,
    generatePrivateKey: () => nobleX25519.generatePrivateKey(),
    isValidPrivateKey: (sk) => isKey(sk),
    publicKey(sk) {
      checkPrivate(sk, 'X25519');
      return sodium.crypto_scalarmult_base(sk);
    },
    dh(sk, pk) {
      checkPrivate(sk, 'X25519');
      if (!isKey(pk)) throw new CryptoError('invalid-public-key', 'X25519: malformed public key');
      let shared: Uint8Array;
      try {
        shared = sodium.crypto_scalarmult(sk, pk); // throws on an all-zero result
      } catch {
        throw new CryptoError('invalid-public-key', 'X25519: small-order point');
      }
      if (allZero(shared)) throw new CryptoError('invalid-public-key', 'X25519: small-order point');
      return shared;
    },
  };

  // libsodium signs with seed || public key; expanding a seed costs a base-point
  // multiplication, so the expanded key is kept per seed array while it still
  // holds the same bytes (as the node provider keeps its KeyObjects).
  const expanded = new WeakMap<Uint8Array, { seed: Uint8Array; key: Uint8Array }>();
  function signingKey(sk: Uint8Array): Uint8Array {
    checkPrivate(sk, 'Ed25519');
    const hit = expanded.get(sk);
    if (hit && equal(hit.seed, sk)) return hit.key;
    const key = sodium.crypto_sign_seed_keypair(sk).privateKey;
    expanded.set(sk, { seed: Uint8Array.from(sk), key });
    return key;
  }

  const ed25519 = {
    name: 'Ed25519',
    generatePrivateKey: () => nobleEd25519.generatePrivateKey(),
    // The expanded key is seed || public key.
    publicKey: (sk: Uint8Array) => signingKey(sk).slice(KEY_SIZE),
    sign: (sk: Uint8Array, message: Uint8Array) =>
      sodium.crypto_sign_detached(message, signingKey(sk)),
    verify(pk: Uint8Array, message: Uint8Array, signature: Uint8Array) {
      if (!isKey(pk) || !(signature instanceof Uint8Array)) return false;
      if (signature.length !== SIGNATURE_SIZE || !(message instanceof Uint8Array)) return false;
      try {
        return sodium.crypto_sign_verify_detached(signature, message, pk);
      } catch {
        return false;
      }
    },
  } as const;

  return Object.freeze({
    name: 'libsodium',
    dh: (name: DhGroup['name']) => (name === 'X25519' ? x25519 : undefined),
    signature: (name: string) => (name === 'Ed25519' ? ed25519 : undefined),
  } satisfies CryptoProvider);
}
