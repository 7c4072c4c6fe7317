// SHA-2 hashes and HMAC on @noble/hashes (FIPS 180-4, RFC 2104).
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import type { Hash } from './primitives.js';

type NobleHash = typeof sha256 | typeof sha384 | typeof sha512;

function nobleHash(name: Hash['name'], h: NobleHash): Hash {
  return {
    name,
    size: h.outputLen,
    digest: (data) => h(data),
    mac: (key, data) => hmac(h, key, data),
  };
}

/** The noble hashes by name. */
export const nobleHashes: Readonly<Record<Hash['name'], Hash>> = {
  'SHA-256': nobleHash('SHA-256', sha256),
  'SHA-384': nobleHash('SHA-384', sha384),
  'SHA-512': nobleHash('SHA-512', sha512),
};
