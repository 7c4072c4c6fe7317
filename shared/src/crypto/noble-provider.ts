// The default, isomorphic provider: every primitive on @noble/*.
import { randomBytes } from '@noble/hashes/utils.js';
import { nobleAeads } from './aead.js';
import { nobleDhGroups } from './dh.js';
import { nobleHashes } from './hash.js';
import type { CryptoProvider } from './primitives.js';
import { nobleSignatures } from './signature.js';

/** Pure-JavaScript primitives (@noble/hashes, @noble/ciphers, @noble/curves); works everywhere. */
export const nobleProvider: CryptoProvider = Object.freeze({
  name: 'noble',
  hash: (name) => nobleHashes[name],
  aead: (name) => nobleAeads[name],
  dh: (name) => nobleDhGroups[name],
  signature: (name) => nobleSignatures[name],
  randomBytes: (n) => randomBytes(n),
} satisfies Required<CryptoProvider>);
