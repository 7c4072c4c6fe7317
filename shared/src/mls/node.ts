// Ratchet tree nodes (RFC 9420 §7.1) and the ratchet_tree extension encoding (§12.4.3.3).
import { DecodeError, type Reader, type Writer } from '../codec/index.js';
import { MlsError } from './errors.js';
import { decodeLeafNode, encodeLeafNode, type LeafNode } from './leaf-node.js';

export interface ParentNode {
  readonly encryptionKey: Uint8Array;
  readonly parentHash: Uint8Array;
  /** Leaf indices, strictly increasing. */
  readonly unmergedLeaves: readonly number[];
}

export type Node =
  | { readonly type: 'leaf'; readonly leaf: LeafNode }
  | { readonly type: 'parent'; readonly parent: ParentNode };

export function encodeParentNode(w: Writer, p: ParentNode): void {
  w.opaque(p.encryptionKey).opaque(p.parentHash);
  w.vector(p.unmergedLeaves, (w2, i) => w2.u32(i));
}

export function decodeParentNode(r: Reader): ParentNode {
  return {
    encryptionKey: r.opaque(),
    parentHash: r.opaque(),
    unmergedLeaves: r.vector((r2) => r2.u32()),
  };
}

export function encodeNode(w: Writer, n: Node): void {
  if (n.type === 'leaf') {
    w.u8(1);
    encodeLeafNode(w, n.leaf);
  } else {
    w.u8(2);
    encodeParentNode(w, n.parent);
  }
}

export function decodeNode(r: Reader): Node {
  const type = r.u8();
  if (type === 1) return { type: 'leaf', leaf: decodeLeafNode(r) };
  if (type === 2) return { type: 'parent', parent: decodeParentNode(r) };
  throw new DecodeError('invalid-value', `node type ${type}`);
}

/** `optional<Node> ratchet_tree<V>`: the array form of the tree, blanks as absent. */
export function encodeRatchetTreeNodes(w: Writer, nodes: readonly (Node | undefined)[]): void {
  w.vector(nodes, (w2, n) => w2.optional(n, encodeNode));
}

/**
 * Decodes `optional<Node> ratchet_tree<V>`. With `maxLeaves`, an array longer
 * than a tree of that many leaves (2 * maxLeaves - 1 nodes) is refused with
 * MlsError('tree-too-large') as soon as the first node too many is reached,
 * before it is decoded.
 */
export function decodeRatchetTreeNodes(
  r: Reader,
  maxLeaves = Number.POSITIVE_INFINITY,
): (Node | undefined)[] {
  const maxNodes = 2 * maxLeaves - 1;
  let count = 0;
  return r.vector((r2) => {
    if (++count > maxNodes) {
      throw new MlsError('tree-too-large', `ratchet tree has more than ${maxLeaves} leaves`);
    }
    return r2.optional(decodeNode);
  });
}
