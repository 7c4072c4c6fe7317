// The primitive algorithms a cipher suite is built from. Every operation is
// synchronous: noble is, and so are Node's native implementations, which keeps
// MLS state transitions atomic (no interleaving mid-commit).
//
// Keys are raw byte strings in the formats RFC 9420 puts on the wire:
// HPKE keys as SerializePublicKey/SerializePrivateKey (RFC 9180 §7.1.1),
// signature keys as RFC 8032 raw keys (EdDSA) or SEC1 points / big-endian
// scalars (ECDSA). A provider may cache its own key objects per byte array.

/** A hash function and its HMAC. */
export interface Hash {
  readonly name: 'SHA-256' | 'SHA-384' | 'SHA-512';
  /** Output length in bytes (Nh). */
  readonly size: number;
  digest(data: Uint8Array): Uint8Array;
  mac(key: Uint8Array, data: Uint8Array): Uint8Array;
}

/** An AEAD (RFC 5116). `open` throws CryptoError('aead-open') on any failure. */
export interface Aead {
  readonly name: 'AES-128-GCM' | 'AES-256-GCM' | 'ChaCha20-Poly1305';
  /** RFC 9180 AEAD id. */
  readonly id: number;
  readonly keySize: number;
  readonly nonceSize: number;
  readonly tagSize: number;
  seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array;
}

/** The Diffie-Hellman group under a DHKEM (RFC 9180 §4.1). */
export interface DhGroup {
  readonly name: 'X25519' | 'X448' | 'P-256' | 'P-384' | 'P-521';
  /** Npk, Nsk, Ndh of RFC 9180 §7.1. */
  readonly publicKeySize: number;
  readonly privateKeySize: number;
  readonly sharedSize: number;
  generatePrivateKey(): Uint8Array;
  publicKey(privateKey: Uint8Array): Uint8Array;
  /** Throws CryptoError('invalid-public-key') on a bad point or an all-zero X25519/X448 result. */
  dh(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  /** Whether bytes are a valid private key (used by DeriveKeyPair's rejection sampling). */
  isValidPrivateKey(privateKey: Uint8Array): boolean;
}

/** A signature scheme as MLS uses it (§5.1.2). */
export interface SignatureScheme {
  readonly name:
    | 'Ed25519'
    | 'Ed448'
    | 'ECDSA-P256-SHA256'
    | 'ECDSA-P384-SHA384'
    | 'ECDSA-P521-SHA512';
  generatePrivateKey(): Uint8Array;
  publicKey(privateKey: Uint8Array): Uint8Array;
  sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array;
  /** False for a wrong or malformed signature or key; never throws on bad input. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

/**
 * Where primitives come from. `noble` provides all of them everywhere; a native
 * provider (node:crypto) returns the ones it does faster and `undefined` for the
 * rest, which then fall back to noble.
 */
export interface CryptoProvider {
  readonly name: string;
  hash?(name: Hash['name']): Hash | undefined;
  aead?(name: Aead['name']): Aead | undefined;
  dh?(name: DhGroup['name']): DhGroup | undefined;
  signature?(name: SignatureScheme['name']): SignatureScheme | undefined;
  /** Cryptographically secure random bytes. */
  randomBytes?(n: number): Uint8Array;
}
