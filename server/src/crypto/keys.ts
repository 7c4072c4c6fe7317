// Raw MLS key bytes <-> node:crypto KeyObjects, with a cache per key byte array.
//
// Import costs measured on Node 20 / OpenSSL 3 (see bench/src/crypto.bench.ts):
// JWK is several times faster than DER for X25519/X448/Ed25519/Ed448 (DER goes
// through OpenSSL's generic decoder; PKCS#8 costs ~10x a DH) and for P-256
// public keys; for P-384/P-521 the JWK path runs a full key check and SPKI DER
// is cheaper. EC private keys have no public part in MLS, so they are wrapped
// as SEC1 ECPrivateKey without one and OpenSSL derives it. Importing costs
// about as much as the operation itself, so KeyObjects are cached in a WeakMap
// keyed on the caller's Uint8Array; an entry is used only while the array still
// holds the bytes it was created from, so mutating a buffer cannot select a stale key.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { CryptoError } from '@canopy/shared/crypto';

export type OkpCurve = 'X25519' | 'X448' | 'Ed25519' | 'Ed448';
export type EcCurve = 'P-256' | 'P-384' | 'P-521';
export type Curve = OkpCurve | EcCurve;

const EC: Record<EcCurve, { oid: number[]; size: number; publicAsJwk: boolean }> = {
  'P-256': { oid: [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07], size: 32, publicAsJwk: true },
  'P-384': { oid: [0x2b, 0x81, 0x04, 0x00, 0x22], size: 48, publicAsJwk: false },
  'P-521': { oid: [0x2b, 0x81, 0x04, 0x00, 0x23], size: 66, publicAsJwk: false },
};
// id-X25519 1.3.101.110, id-X448 .111, id-Ed25519 .112, id-Ed448 .113 (RFC 8410).
const OKP_OID: Record<OkpCurve, number[]> = {
  X25519: [0x2b, 0x65, 0x6e],
  X448: [0x2b, 0x65, 0x6f],
  Ed25519: [0x2b, 0x65, 0x70],
  Ed448: [0x2b, 0x65, 0x71],
};
const EC_PUBLIC_KEY_OID = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]; // 1.2.840.10045.2.1

const isEc = (c: Curve): c is EcCurve => c.startsWith('P-');

/** A Uint8Array over a Buffer's bytes (no copy; Buffer's `slice` semantics do not leak out). */
export function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function b64url(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');
}

/** `b` left-padded with zeros to `n` bytes. */
function leftPad(b: Uint8Array, n: number): Uint8Array {
  if (b.length === n) return b;
  const out = new Uint8Array(n);
  out.set(b.subarray(Math.max(0, b.length - n)), Math.max(0, n - b.length));
  return out;
}

// Minimal DER: a tag and its contents with a definite length.
function der(tag: number, ...parts: (Uint8Array | number[])[]): Uint8Array {
  const body = Buffer.concat(parts.map((p) => Uint8Array.from(p)));
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Uint8Array.from([tag, ...len]), body]);
}

function importPrivate(curve: Curve, sk: Uint8Array): KeyObject {
  if (isEc(curve)) {
    // SEC1 ECPrivateKey { version 1, privateKey, [0] namedCurve } without publicKey.
    const sec1 = der(0x30, [0x02, 0x01, 0x01], der(0x04, sk), der(0xa0, der(0x06, EC[curve].oid)));
    return createPrivateKey({ key: Buffer.from(sec1), format: 'der', type: 'sec1' });
  }
  try {
    // Node builds an OKP private key from `d` alone and derives the public key;
    // `x` is required to be a string but not used, so none is computed here.
    return createPrivateKey({
      key: { kty: 'OKP', crv: curve, d: b64url(sk), x: '' },
      format: 'jwk',
    });
  } catch {
    // Should a later Node insist on `x`, fall back to PKCS#8 (slower, same key).
    const p8 = der(
      0x30,
      [0x02, 0x01, 0x00],
      der(0x30, der(0x06, OKP_OID[curve])),
      der(0x04, der(0x04, sk)),
    );
    return createPrivateKey({ key: Buffer.from(p8), format: 'der', type: 'pkcs8' });
  }
}

function importPublic(curve: Curve, pk: Uint8Array): KeyObject {
  if (!isEc(curve)) {
    return createPublicKey({ key: { kty: 'OKP', crv: curve, x: b64url(pk) }, format: 'jwk' });
  }
  const { oid, size, publicAsJwk } = EC[curve];
  if (publicAsJwk) {
    const x = b64url(pk.subarray(1, 1 + size));
    const y = b64url(pk.subarray(1 + size));
    return createPublicKey({ key: { kty: 'EC', crv: curve, x, y }, format: 'jwk' });
  }
  const spki = der(
    0x30,
    der(0x30, der(0x06, EC_PUBLIC_KEY_OID), der(0x06, oid)),
    der(0x03, [0], pk),
  );
  return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
}

/** The MLS raw public key of a KeyObject (RFC 8032/7748 raw, or SEC1 uncompressed). */
export function rawPublicKey(curve: Curve, key: KeyObject): Uint8Array {
  const jwk = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' });
  const x = Buffer.from(jwk.x ?? '', 'base64url');
  if (!isEc(curve)) return view(x);
  const { size } = EC[curve];
  const out = new Uint8Array(1 + 2 * size);
  out[0] = 0x04;
  out.set(leftPad(x, size), 1);
  out.set(leftPad(Buffer.from(jwk.y ?? '', 'base64url'), size), 1 + size);
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

interface Entry {
  curve: Curve;
  bytes: Uint8Array;
  key: KeyObject;
}

/** Converts raw keys to KeyObjects, optionally caching them per byte array. */
export class KeyStore {
  private readonly privates = new WeakMap<Uint8Array, Entry>();
  private readonly publics = new WeakMap<Uint8Array, Entry>();

  constructor(readonly cache: boolean) {}

  /** The private KeyObject for raw bytes (already length-checked); CryptoError('invalid-private-key') if rejected. */
  private(curve: Curve, sk: Uint8Array): KeyObject {
    return this.lookup(this.privates, curve, sk, () => {
      try {
        return importPrivate(curve, sk);
      } catch {
        throw new CryptoError('invalid-private-key', `${curve}: private key rejected`);
      }
    });
  }

  /** The public KeyObject for raw bytes (already length-checked); CryptoError('invalid-public-key') if rejected. */
  public(curve: Curve, pk: Uint8Array): KeyObject {
    return this.lookup(this.publics, curve, pk, () => {
      try {
        return importPublic(curve, pk);
      } catch {
        throw new CryptoError('invalid-public-key', `${curve}: public key rejected`);
      }
    });
  }

  private lookup(
    map: WeakMap<Uint8Array, Entry>,
    curve: Curve,
    bytes: Uint8Array,
    make: () => KeyObject,
  ): KeyObject {
    if (!this.cache) return make();
    const hit = map.get(bytes);
    if (hit && hit.curve === curve && sameBytes(hit.bytes, bytes)) return hit.key;
    const key = make();
    map.set(bytes, { curve, bytes: bytes.slice(), key });
    return key;
  }
}
