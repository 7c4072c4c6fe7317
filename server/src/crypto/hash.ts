// SHA-2 and HMAC on node:crypto.
import { createHash, createHmac } from 'node:crypto';
import type { Hash } from '@canopy/shared/crypto';
import { view } from './keys.js';

const NODE_NAMES: Record<Hash['name'], string> = {
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};
const SIZES: Record<Hash['name'], number> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

/** A node:crypto hash and its HMAC. */
export function nodeHash(name: Hash['name']): Hash {
  const alg = NODE_NAMES[name];
  return {
    name,
    size: SIZES[name],
    digest: (data) => view(createHash(alg).update(data).digest()),
    mac: (key, data) => view(createHmac(alg, key).update(data).digest()),
  };
}
