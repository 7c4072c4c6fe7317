// UpdatePath and HPKECiphertext (RFC 9420 §7.6).
import type { Reader, Writer } from '../codec/index.js';
import { decodeLeafNode, encodeLeafNode, type LeafNode } from './leaf-node.js';

export interface HpkeCiphertext {
  readonly kemOutput: Uint8Array;
  readonly ciphertext: Uint8Array;
}

export interface UpdatePathNode {
  readonly encryptionKey: Uint8Array;
  readonly encryptedPathSecret: readonly HpkeCiphertext[];
}

export interface UpdatePath {
  readonly leafNode: LeafNode;
  readonly nodes: readonly UpdatePathNode[];
}

export function encodeHpkeCiphertext(w: Writer, c: HpkeCiphertext): void {
  w.opaque(c.kemOutput).opaque(c.ciphertext);
}

export function decodeHpkeCiphertext(r: Reader): HpkeCiphertext {
  return { kemOutput: r.opaque(), ciphertext: r.opaque() };
}

export function encodeUpdatePath(w: Writer, p: UpdatePath): void {
  encodeLeafNode(w, p.leafNode);
  w.vector(p.nodes, (w2, n) => {
    w2.opaque(n.encryptionKey).vector(n.encryptedPathSecret, encodeHpkeCiphertext);
  });
}

export function decodeUpdatePath(r: Reader): UpdatePath {
  return {
    leafNode: decodeLeafNode(r),
    nodes: r.vector((r2) => ({
      encryptionKey: r2.opaque(),
      encryptedPathSecret: r2.vector(decodeHpkeCiphertext),
    })),
  };
}
