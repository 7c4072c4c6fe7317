// The ratchet tree (RFC 9420 §4, §7): nodes, blanks, unmerged leaves,
// extension and truncation, resolution, filtered direct paths, tree hashes
// (§7.8) and parent hashes (§7.9).
//
// Built for large groups: tree hashes are cached per node and invalidated only
// along the paths that change, so a commit costs O(log N) hashing; a draft
// (clone) copies two pointer arrays and shares the key index, whose changes are
// kept in a small delta until the draft is adopted.
import { bytesToHex } from '@noble/hashes/utils.js';
import { decode, encode, type Reader, Writer } from '../codec/index.js';
import type { CipherSuite } from '../crypto/cipher-suite.js';
import { bytesEqual } from './bytes.js';
import { credentialTypeOf } from './credential.js';
import { MlsError } from './errors.js';
import { encodeLeafNode, type LeafNode } from './leaf-node.js';
import {
  decodeRatchetTreeNodes,
  encodeParentNode,
  encodeRatchetTreeNodes,
  type Node,
  type ParentNode,
} from './node.js';
import {
  copath,
  directPath,
  isLeaf,
  leafToNode,
  left,
  level,
  MAX_LEAVES,
  nodeToLeaf,
  nodeWidth,
  parent,
  right,
  root,
  sibling,
} from './tree-math.js';

/** Which node holds a public key (encryption keys of all nodes, signature keys of leaves). */
class KeyIndex {
  readonly encryption = new Map<string, number>();
  readonly signature = new Map<string, number>();
}

/** Changes a draft made to the shared key index, applied when the draft is adopted. */
class KeyDelta {
  readonly encAdded = new Map<string, number>();
  readonly encRemoved = new Set<string>();
  readonly sigAdded = new Map<string, number>();
  readonly sigRemoved = new Set<string>();
  get empty(): boolean {
    return (
      this.encAdded.size + this.encRemoved.size + this.sigAdded.size + this.sigRemoved.size === 0
    );
  }
  copy(): KeyDelta {
    const d = new KeyDelta();
    for (const [k, v] of this.encAdded) d.encAdded.set(k, v);
    for (const k of this.encRemoved) d.encRemoved.add(k);
    for (const [k, v] of this.sigAdded) d.sigAdded.set(k, v);
    for (const k of this.sigRemoved) d.sigRemoved.add(k);
    return d;
  }
}

/**
 * Credential types in use and supported across the members (§7.3), kept as
 * counts so the "supported by all members" rules are O(1) per leaf.
 */
export class CredentialStats {
  members = 0;
  readonly used = new Map<number, number>();
  readonly supported = new Map<number, number>();
  copy(): CredentialStats {
    const c = new CredentialStats();
    c.members = this.members;
    for (const [k, v] of this.used) c.used.set(k, v);
    for (const [k, v] of this.supported) c.supported.set(k, v);
    return c;
  }
  add(leaf: LeafNode, sign: 1 | -1): void {
    this.members += sign;
    const t = credentialTypeOf(leaf.credential);
    this.used.set(t, (this.used.get(t) ?? 0) + sign);
    for (const c of new Set(leaf.capabilities.credentials)) {
      this.supported.set(c, (this.supported.get(c) ?? 0) + sign);
    }
  }
}

const keyId = bytesToHex;

function encryptionKeyOf(n: Node): Uint8Array {
  return n.type === 'leaf' ? n.leaf.encryptionKey : n.parent.encryptionKey;
}

export class RatchetTree {
  private nodes: (Node | undefined)[];
  private hashes: (Uint8Array | undefined)[];
  private index: KeyIndex | undefined;
  private delta = new KeyDelta();
  private stats: CredentialStats | undefined;

  private constructor(
    readonly suite: CipherSuite,
    nodes: (Node | undefined)[],
    hashes?: (Uint8Array | undefined)[],
    index?: KeyIndex,
  ) {
    this.nodes = nodes;
    this.hashes = hashes ?? new Array(nodes.length).fill(undefined);
    this.index = index;
  }

  /** A one-leaf tree (group creation). */
  static create(suite: CipherSuite, leaf: LeafNode): RatchetTree {
    return new RatchetTree(suite, [{ type: 'leaf', leaf }]);
  }

  /**
   * A tree from the `ratchet_tree` array form (§12.4.3.3): node types must sit
   * at their positions, the last node must be non-blank, the array must fit
   * `maxLeaves` leaves, and it is padded with blanks to the next full tree.
   */
  static fromNodes(
    suite: CipherSuite,
    input: readonly (Node | undefined)[],
    maxLeaves = MAX_LEAVES,
  ): RatchetTree {
    if (input.length === 0) throw new MlsError('invalid-tree', 'empty ratchet tree');
    if (input[input.length - 1] === undefined) {
      throw new MlsError('invalid-tree', 'ratchet tree ends in a blank node');
    }
    if (input.length > nodeWidth(MAX_LEAVES))
      throw new MlsError('invalid-tree', 'ratchet tree too large');
    if (input.length > 2 * maxLeaves - 1) {
      throw new MlsError('tree-too-large', `ratchet tree has more than ${maxLeaves} leaves`);
    }
    let nLeaves = 1;
    while (nodeWidth(nLeaves) < input.length) nLeaves *= 2;
    const nodes: (Node | undefined)[] = new Array(nodeWidth(nLeaves)).fill(undefined);
    input.forEach((n, x) => {
      if (n && (n.type === 'leaf') !== isLeaf(x)) {
        throw new MlsError('invalid-tree', `node ${x} has the wrong type (${n.type})`);
      }
      nodes[x] = n;
    });
    return new RatchetTree(suite, nodes);
  }

  /**
   * Decodes `optional<Node> ratchet_tree<V>` bytes into a tree. A tree of more
   * than `maxLeaves` leaves is refused (MlsError 'tree-too-large') while its
   * nodes are counted, before the rest is decoded and before any hashing.
   */
  static decode(suite: CipherSuite, bytes: Uint8Array, maxLeaves = MAX_LEAVES): RatchetTree {
    return RatchetTree.fromNodes(
      suite,
      decode((r) => decodeRatchetTreeNodes(r, maxLeaves), bytes),
      maxLeaves,
    );
  }

  /** A draft copy: changes to it do not affect this tree until it is adopted. */
  clone(): RatchetTree {
    const t = new RatchetTree(this.suite, this.nodes.slice(), this.hashes.slice(), this.index);
    t.delta = this.delta.copy();
    t.stats = this.stats?.copy();
    return t;
  }

  /**
   * Makes this draft's key changes part of the shared index. Call once, when the
   * draft becomes the group's tree; the tree it was cloned from must not be used after.
   */
  adopt(): void {
    if (!this.index || this.delta.empty) {
      this.delta = new KeyDelta();
      return;
    }
    const { encryption, signature } = this.index;
    for (const k of this.delta.encRemoved) encryption.delete(k);
    for (const k of this.delta.sigRemoved) signature.delete(k);
    for (const [k, v] of this.delta.encAdded) encryption.set(k, v);
    for (const [k, v] of this.delta.sigAdded) signature.set(k, v);
    this.delta = new KeyDelta();
  }

  get nLeaves(): number {
    return (this.nodes.length + 1) / 2;
  }

  get width(): number {
    return this.nodes.length;
  }

  get root(): number {
    return root(this.nLeaves);
  }

  node(x: number): Node | undefined {
    return this.nodes[x];
  }

  isBlank(x: number): boolean {
    return this.nodes[x] === undefined;
  }

  /** The leaf node at a leaf index, or undefined when blank or out of range. */
  leaf(leafIndex: number): LeafNode | undefined {
    const n = this.nodes[leafToNode(leafIndex)];
    return n?.type === 'leaf' ? n.leaf : undefined;
  }

  parentNode(x: number): ParentNode | undefined {
    const n = this.nodes[x];
    return n?.type === 'parent' ? n.parent : undefined;
  }

  /** Non-blank leaves as [leafIndex, LeafNode]. */
  *leaves(): IterableIterator<[number, LeafNode]> {
    for (let x = 0; x < this.nodes.length; x += 2) {
      const n = this.nodes[x];
      if (n?.type === 'leaf') yield [x / 2, n.leaf];
    }
  }

  /** Number of non-blank leaves. */
  memberCount(): number {
    let n = 0;
    for (let x = 0; x < this.nodes.length; x += 2) if (this.nodes[x]) n++;
    return n;
  }

  // --- mutation ------------------------------------------------------------

  private put(x: number, n: Node | undefined): void {
    const old = this.nodes[x];
    if (old === n) return;
    if (this.index) {
      if (old) {
        const k = keyId(encryptionKeyOf(old));
        this.delta.encAdded.delete(k);
        this.delta.encRemoved.add(k);
        if (old.type === 'leaf') {
          const s = keyId(old.leaf.signatureKey);
          this.delta.sigAdded.delete(s);
          this.delta.sigRemoved.add(s);
        }
      }
      if (n) {
        this.delta.encAdded.set(keyId(encryptionKeyOf(n)), x);
        if (n.type === 'leaf') this.delta.sigAdded.set(keyId(n.leaf.signatureKey), x);
      }
    }
    if (this.stats) {
      if (old?.type === 'leaf') this.stats.add(old.leaf, -1);
      if (n?.type === 'leaf') this.stats.add(n.leaf, 1);
    }
    this.nodes[x] = n;
    this.invalidate(x);
  }

  /** Marks a node and its ancestors' tree hashes stale. */
  private invalidate(x: number): void {
    const r = this.root;
    for (;;) {
      this.hashes[x] = undefined;
      if (x === r) return;
      x = parent(x, this.nLeaves);
      if (this.hashes[x] === undefined) return; // ancestors of a stale node are stale
    }
  }

  setLeaf(leafIndex: number, leaf: LeafNode): void {
    this.put(leafToNode(leafIndex), { type: 'leaf', leaf });
  }

  blankLeaf(leafIndex: number): void {
    this.put(leafToNode(leafIndex), undefined);
  }

  setParent(x: number, p: ParentNode): void {
    this.put(x, { type: 'parent', parent: p });
  }

  /** Blanks every parent on a leaf's direct path (§7.4, §12.1.2-3). */
  blankDirectPath(leafIndex: number): void {
    for (const x of directPath(leafToNode(leafIndex), this.nLeaves)) {
      if (this.nodes[x]) this.put(x, undefined);
    }
  }

  /** Doubles the tree: the old tree becomes the left subtree of a new blank root. */
  private extend(): void {
    if (this.nLeaves * 2 > MAX_LEAVES)
      throw new MlsError('invalid-tree', 'tree would exceed its maximum size');
    const width = nodeWidth(this.nLeaves * 2);
    const oldLength = this.nodes.length;
    this.nodes.length = width;
    this.hashes.length = width;
    this.nodes.fill(undefined, oldLength);
    this.hashes.fill(undefined, oldLength);
  }

  /**
   * Adds a leaf at the leftmost blank leaf (extending the tree when full) and
   * records it as unmerged at every non-blank ancestor (§12.1.1). Returns its index.
   */
  addLeaf(leaf: LeafNode): number {
    let leafIndex = -1;
    for (let x = 0; x < this.nodes.length; x += 2) {
      if (!this.nodes[x]) {
        leafIndex = x / 2;
        break;
      }
    }
    if (leafIndex < 0) {
      leafIndex = this.nLeaves;
      this.extend();
    }
    this.setLeaf(leafIndex, leaf);
    for (const x of directPath(leafToNode(leafIndex), this.nLeaves)) {
      const p = this.parentNode(x);
      if (!p) continue;
      const unmerged = [...p.unmergedLeaves];
      let i = unmerged.length;
      while (i > 0 && unmerged[i - 1] > leafIndex) i--;
      unmerged.splice(i, 0, leafIndex);
      this.setParent(x, { ...p, unmergedLeaves: unmerged });
    }
    return leafIndex;
  }

  /** The leftmost blank leaf, or the first leaf of the extension if none is blank. */
  nextFreeLeaf(): number {
    for (let x = 0; x < this.nodes.length; x += 2) if (!this.nodes[x]) return x / 2;
    return this.nLeaves;
  }

  /** Removes right subtrees that hold no non-blank leaf (§7.7). */
  truncate(): void {
    let last = -1;
    for (let x = this.nodes.length - 1; x >= 0; x -= 2) {
      if (this.nodes[x]) {
        last = x / 2;
        break;
      }
    }
    if (last < 0) throw new MlsError('invalid-tree', 'a tree cannot lose its last member');
    let n = this.nLeaves;
    while (n > 1 && last < n / 2) n /= 2;
    if (n === this.nLeaves) return;
    const width = nodeWidth(n);
    for (let x = width; x < this.nodes.length; x++) if (this.nodes[x]) this.put(x, undefined);
    this.nodes.length = width;
    this.hashes.length = width;
  }

  // --- resolution and paths ---------------------------------------------------

  /**
   * Resolution of a node (§4.1.1): the node itself plus its unmerged leaves if
   * non-blank, nothing for a blank leaf, or the children's resolutions.
   * Leaves in `exclude` (new members of a commit) are left out.
   */
  resolution(x: number, exclude?: ReadonlySet<number>): number[] {
    const out: number[] = [];
    this.resolve(x, exclude, out);
    return out;
  }

  private resolve(x: number, exclude: ReadonlySet<number> | undefined, out: number[]): void {
    const n = this.nodes[x];
    if (n) {
      if (n.type === 'leaf') {
        if (!exclude?.has(x / 2)) out.push(x);
        return;
      }
      out.push(x);
      for (const l of n.parent.unmergedLeaves) if (!exclude?.has(l)) out.push(leafToNode(l));
      return;
    }
    if (isLeaf(x)) return;
    this.resolve(left(x), exclude, out);
    this.resolve(right(x), exclude, out);
  }

  /** Whether any node in the subtree under x is non-blank (its resolution is non-empty). */
  private hasContent(x: number): boolean {
    const span = (1 << level(x)) - 1;
    const hi = Math.min(x + span, this.nodes.length - 1);
    for (let i = x - span; i <= hi; i++) if (this.nodes[i]) return true;
    return false;
  }

  /**
   * Filtered direct path of a leaf (§4.1.2), with the copath child of each of
   * its nodes: direct-path nodes whose copath child has an empty resolution are skipped.
   */
  filteredDirectPath(leafIndex: number): { path: number[]; copath: number[] } {
    const x = leafToNode(leafIndex);
    const dp = directPath(x, this.nLeaves);
    const cp = copath(x, this.nLeaves);
    const path: number[] = [];
    const cps: number[] = [];
    for (let i = 0; i < dp.length; i++) {
      if (this.hasContent(cp[i])) {
        path.push(dp[i]);
        cps.push(cp[i]);
      }
    }
    return { path, copath: cps };
  }

  // --- tree hashes (§7.8) ------------------------------------------------------

  /** Tree hash of the whole tree (the root). */
  treeHash(): Uint8Array {
    return this.treeHashAt(this.root);
  }

  /** Tree hash of the subtree under x, computed from cached subtree hashes. */
  treeHashAt(x: number): Uint8Array {
    const cached = this.hashes[x];
    if (cached) return cached;
    let h: Uint8Array;
    if (isLeaf(x)) {
      h = this.leafHash(x, this.nodes[x]);
    } else {
      const n = this.nodes[x];
      h = this.parentHashInputHash(
        n?.type === 'parent' ? n.parent : undefined,
        this.treeHashAt(left(x)),
        this.treeHashAt(right(x)),
      );
    }
    this.hashes[x] = h;
    return h;
  }

  private leafHash(x: number, n: Node | undefined): Uint8Array {
    const w = new Writer(512);
    w.u8(1).u32(x / 2);
    w.optional(n?.type === 'leaf' ? n.leaf : undefined, encodeLeafNode);
    return this.suite.hash.digest(w.finish());
  }

  private parentHashInputHash(p: ParentNode | undefined, l: Uint8Array, r: Uint8Array): Uint8Array {
    const w = new Writer(256);
    w.u8(2).optional(p, encodeParentNode).opaque(l).opaque(r);
    return this.suite.hash.digest(w.finish());
  }

  /**
   * Tree hash of the subtree under x with `removed` leaves blanked and dropped
   * from every unmerged_leaves list (the "original" tree hash of §7.9).
   * Subtrees that contain none of them reuse the cached hash.
   */
  originalTreeHash(x: number, removed: readonly number[]): Uint8Array {
    const span = (1 << level(x)) - 1;
    const inside = removed.filter((l) => {
      const node = leafToNode(l);
      return node >= x - span && node <= x + span;
    });
    if (inside.length === 0) return this.treeHashAt(x);
    if (isLeaf(x)) return this.leafHash(x, undefined);
    const n = this.nodes[x];
    let p = n?.type === 'parent' ? n.parent : undefined;
    if (p) {
      const drop = new Set(inside);
      p = { ...p, unmergedLeaves: p.unmergedLeaves.filter((l) => !drop.has(l)) };
    }
    return this.parentHashInputHash(
      p,
      this.originalTreeHash(left(x), inside),
      this.originalTreeHash(right(x), inside),
    );
  }

  // --- parent hashes (§7.9) ----------------------------------------------------

  /**
   * Parent hash of parent node p with copath child s:
   * Hash(ParentHashInput{p.encryption_key, p.parent_hash, original_sibling_tree_hash}).
   */
  parentHash(p: number, s: number): Uint8Array {
    const pn = this.parentNode(p);
    if (!pn) throw new MlsError('invalid-tree', `parent hash of blank node ${p}`);
    const w = new Writer(256);
    w.opaque(pn.encryptionKey).opaque(pn.parentHash);
    w.opaque(this.originalTreeHash(s, pn.unmergedLeaves));
    return this.suite.hash.digest(w.finish());
  }

  /**
   * Sets parent_hash along a filtered direct path, top down (§7.9): the root's
   * is empty, each other node's is the parent hash of the next node up.
   * Returns the parent hash the leaf must carry.
   */
  setPathParentHashes(path: readonly number[], copathOf: readonly number[]): Uint8Array {
    let above: Uint8Array = new Uint8Array(0);
    for (let i = path.length - 1; i >= 0; i--) {
      const p = this.parentNode(path[i])!;
      this.setParent(path[i], { ...p, parentHash: above });
      above = this.parentHash(path[i], copathOf[i]);
    }
    return above;
  }

  /**
   * Verifies that every non-blank parent node is parent-hash valid (§7.9.2),
   * top down: each has exactly one descendant D whose parent_hash matches and
   * which is in the resolution of the child on D's side, with the parent's
   * unmerged leaves in that subtree making up the rest of the resolution.
   */
  verifyParentHashes(): void {
    for (let p = 1; p < this.nodes.length; p += 2) {
      const pn = this.parentNode(p);
      if (!pn) continue;
      let matches = 0;
      for (const [c, s] of [
        [left(p), right(p)],
        [right(p), left(p)],
      ] as const) {
        const unmergedNodes = new Set(pn.unmergedLeaves.map(leafToNode));
        const res = this.resolution(c);
        const candidates = res.filter((d) => !unmergedNodes.has(d));
        if (candidates.length !== 1) continue;
        const d = candidates[0];
        // every unmerged leaf of p under c must be in the resolution of c
        const span = (1 << level(c)) - 1;
        const underC = [...unmergedNodes].filter((u) => u >= c - span && u <= c + span);
        if (underC.length !== res.length - 1) continue;
        const dNode = this.nodes[d]!;
        const dParentHash =
          dNode.type === 'parent'
            ? dNode.parent.parentHash
            : dNode.leaf.source === 'commit'
              ? dNode.leaf.parentHash
              : undefined;
        if (!dParentHash) continue;
        if (bytesEqual(dParentHash, this.parentHash(p, s))) matches++;
      }
      if (matches !== 1) {
        throw new MlsError(
          'invalid-tree',
          `parent node ${p} is not parent-hash valid (${matches} links)`,
        );
      }
    }
  }

  /**
   * Structural checks of a received tree (§12.4.3.1) besides parent hashes and
   * leaf validation: unmerged leaves are non-blank descendants listed at every
   * non-blank node between them and the parent, and no encryption key repeats.
   */
  verifyStructure(): void {
    const n = this.nLeaves;
    const seen = new Set<string>();
    for (let x = 0; x < this.nodes.length; x++) {
      const node = this.nodes[x];
      if (!node) continue;
      const k = keyId(encryptionKeyOf(node));
      if (seen.has(k))
        throw new MlsError('invalid-tree', `encryption key of node ${x} appears twice`);
      seen.add(k);
      if (node.type !== 'parent') continue;
      const unmerged = node.parent.unmergedLeaves;
      for (let i = 0; i < unmerged.length; i++) {
        const l = unmerged[i];
        if (i > 0 && unmerged[i - 1] >= l)
          throw new MlsError('invalid-tree', `unmerged leaves of ${x} not sorted`);
        const ln = leafToNode(l);
        if (ln >= this.nodes.length || !this.nodes[ln]) {
          throw new MlsError('invalid-tree', `unmerged leaf ${l} of node ${x} is blank`);
        }
        const dp = directPath(ln, n);
        const at = dp.indexOf(x);
        if (at < 0) throw new MlsError('invalid-tree', `unmerged leaf ${l} is not below node ${x}`);
        for (let j = 0; j < at; j++) {
          const mid = this.parentNode(dp[j]);
          if (mid && !mid.unmergedLeaves.includes(l)) {
            throw new MlsError('invalid-tree', `unmerged leaf ${l} missing at node ${dp[j]}`);
          }
        }
      }
    }
  }

  // --- key uniqueness -----------------------------------------------------------

  private ensureIndex(): KeyIndex {
    if (this.index) return this.index;
    const index = new KeyIndex();
    this.nodes.forEach((node, x) => {
      if (!node) return;
      index.encryption.set(keyId(encryptionKeyOf(node)), x);
      if (node.type === 'leaf') index.signature.set(keyId(node.leaf.signatureKey), x);
    });
    this.index = index;
    this.delta = new KeyDelta();
    return index;
  }

  /** Node index holding an HPKE public key, if any node does. */
  findEncryptionKey(key: Uint8Array): number | undefined {
    const index = this.ensureIndex();
    const k = keyId(key);
    const added = this.delta.encAdded.get(k);
    if (added !== undefined) return added;
    if (this.delta.encRemoved.has(k)) return undefined;
    return index.encryption.get(k);
  }

  /** Leaf index of the member with a signature key, if any. */
  findSignatureKey(key: Uint8Array): number | undefined {
    const index = this.ensureIndex();
    const k = keyId(key);
    const added = this.delta.sigAdded.get(k);
    if (added !== undefined) return nodeToLeaf(added);
    if (this.delta.sigRemoved.has(k)) return undefined;
    const x = index.signature.get(k);
    return x === undefined ? undefined : nodeToLeaf(x);
  }

  /** Counts of credential types used and supported by the current members. */
  credentialStats(): CredentialStats {
    if (this.stats) return this.stats;
    const stats = new CredentialStats();
    for (const [, leaf] of this.leaves()) stats.add(leaf, 1);
    this.stats = stats;
    return stats;
  }

  // --- encoding ----------------------------------------------------------------

  /** The array form without trailing blanks (§12.4.3.3). */
  toNodes(): (Node | undefined)[] {
    let end = this.nodes.length;
    while (end > 0 && !this.nodes[end - 1]) end--;
    return this.nodes.slice(0, end);
  }

  /** `optional<Node> ratchet_tree<V>` bytes. */
  encode(): Uint8Array {
    return encode(encodeRatchetTreeNodes, this.toNodes());
  }

  /** Sibling of a node in this tree. */
  sibling(x: number): number {
    return sibling(x, this.nLeaves);
  }
}

/** Reads a ratchet tree from a Reader (for embedding in other structures). */
export function readRatchetTree(suite: CipherSuite, r: Reader): RatchetTree {
  return RatchetTree.fromNodes(suite, decodeRatchetTreeNodes(r));
}
