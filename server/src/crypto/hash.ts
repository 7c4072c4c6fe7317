// SHA-2 and HMAC on node:crypto, except HMACs over short inputs.
//
// node:crypto imports the HMAC key on every createHmac call (~11 µs here),
// which dominates the small HMACs MLS is made of (HKDF expansions of path
// and epoch secrets, confirmation and membership tags). Below SMALL_MAC bytes
// of data @noble/hashes' HMAC is faster (measured in bench/src/crypto.bench.ts,
// "HMAC-SHA-256"); above it node:crypto is.
import { createHash, createHmac } from 'node:crypto';
import type { Hash } from '@canopy/shared/crypto';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { view } from './keys.js';

const NODE_NAMES: Record<Hash['name'], string> = {
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};
const NOBLE = { 'SHA-256': sha256, 'SHA-384': sha384, 'SHA-512': sha512 } as const;
const SIZES: Record<Hash['name'], number> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };
/** Data length below which @noble's HMAC beats node:crypto's. */
const SMALL_MAC = 2048;

/** A node:crypto hash and its HMAC. */
export function nodeHash(name: Hash['name']): Hash {
  const alg = NODE_NAMES[name];
  const noble = NOBLE[name];
  return {
    name,
    size: SIZES[name],
    digest: (data) => view(createHash(alg).update(data).digest()),
    mac: (key, data) =>
      data.length < SMALL_MAC
        ? hmac(noble, key, data)
        : view(createHmac(alg, key).update(data).digest()),
  };
}
