// A CryptoProvider on node:crypto (OpenSSL): hashes/HMAC, AEADs, DH and
// signatures, all synchronous. The cipher-suite assembly takes each primitive
// from here and anything missing from noble.
import { randomFillSync } from 'node:crypto';
import type { CryptoProvider } from '@canopy/shared/crypto';
import { nodeAead } from './aead.js';
import { nodeDhGroup } from './dh.js';
import { nodeHash } from './hash.js';
import { KeyStore } from './keys.js';
import { nodeSignature } from './signature.js';

export interface NodeProviderOptions {
  /**
   * Cache KeyObjects per key byte array (default true). Importing a raw key
   * costs about as much as the DH or signature itself; turn off only to measure that.
   */
  cacheKeyObjects?: boolean;
}

/** A native provider on node:crypto. Node only. */
export function createNodeProvider(options: NodeProviderOptions = {}): CryptoProvider {
  const keys = new KeyStore(options.cacheKeyObjects ?? true);
  const memo = <K extends string, V>(make: (k: K) => V) => {
    const made = new Map<K, V>();
    return (k: K): V => {
      let v = made.get(k);
      if (v === undefined) {
        v = make(k);
        made.set(k, v);
      }
      return v;
    };
  };
  return Object.freeze({
    name: options.cacheKeyObjects === false ? 'node:crypto (uncached keys)' : 'node:crypto',
    hash: memo(nodeHash),
    aead: memo(nodeAead),
    dh: memo((name) => nodeDhGroup(name, keys)),
    signature: memo((name) => nodeSignature(name, keys)),
    randomBytes: (n) => randomFillSync(new Uint8Array(n)),
  } satisfies Required<CryptoProvider>);
}

/** The node:crypto provider with KeyObject caching; pass it to getCipherSuite(id, nodeProvider). */
export const nodeProvider: CryptoProvider = createNodeProvider();
