// TreeKEM (RFC 9420 §7.4-7.6): creating an UpdatePath, merging a received one
// into the tree (with parent-hash verification), and decrypting the one path
// secret meant for us. Work is proportional to the path length, i.e. log N
// plus the size of the copath resolutions.
import type { CipherSuite } from '../crypto/cipher-suite.js';
import { CryptoError } from '../crypto/errors.js';
import { bytesEqual } from './bytes.js';
import { MlsError } from './errors.js';
import { type LeafNode, type LeafNodeContent, signLeafNode } from './leaf-node.js';
import type { RatchetTree } from './ratchet-tree.js';
import { isAncestor, leafToNode } from './tree-math.js';
import type { UpdatePath, UpdatePathNode } from './update-path.js';

/** An HPKE private key held for a tree node, with the public key it belongs to. */
export interface NodeKey {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** node_priv, node_pub = KEM.DeriveKeyPair(DeriveSecret(path_secret, "node")) (§7.4). */
export function nodeKeyPair(suite: CipherSuite, pathSecret: Uint8Array): NodeKey {
  return suite.hpke.deriveKeyPair(suite.deriveSecret(pathSecret, 'node'));
}

/** What the committer gets back from creating an UpdatePath. */
export interface CreatedUpdatePath {
  readonly updatePath: UpdatePath;
  readonly commitSecret: Uint8Array;
  /** Path secret of each node on the filtered direct path (for Welcome messages). */
  readonly pathSecrets: Map<number, Uint8Array>;
  /** New keys for the committer's leaf and its filtered direct path. */
  readonly keys: Map<number, NodeKey>;
}

/** Leaf fields the committer keeps (everything but the key, source and signature). */
export type LeafTemplate = Pick<
  LeafNodeContent,
  'signatureKey' | 'credential' | 'capabilities' | 'extensions'
>;

/**
 * Creates an UpdatePath for `leafIndex` on a draft tree (already carrying the
 * commit's proposals) and applies it to the draft. `exclude` holds the leaves
 * added by this commit (§7.6); `provisionalContext(treeHash)` returns the
 * serialized provisional GroupContext for the updated tree.
 */
export function createUpdatePath(
  suite: CipherSuite,
  tree: RatchetTree,
  leafIndex: number,
  groupId: Uint8Array,
  template: LeafTemplate,
  signaturePrivateKey: Uint8Array,
  exclude: ReadonlySet<number>,
  provisionalContext: (treeHash: Uint8Array) => Uint8Array,
): CreatedUpdatePath {
  tree.blankDirectPath(leafIndex);
  const { path, copath } = tree.filteredDirectPath(leafIndex);
  const leafSecret = suite.randomBytes(suite.hash.size);
  const leafKey = nodeKeyPair(suite, leafSecret);
  const keys = new Map<number, NodeKey>([[leafToNode(leafIndex), leafKey]]);
  const pathSecrets = new Map<number, Uint8Array>();
  const secrets: Uint8Array[] = [];
  let ps = suite.deriveSecret(leafSecret, 'path');
  for (const x of path) {
    const key = nodeKeyPair(suite, ps);
    keys.set(x, key);
    pathSecrets.set(x, ps);
    secrets.push(ps);
    tree.setParent(x, {
      encryptionKey: key.publicKey,
      parentHash: new Uint8Array(0),
      unmergedLeaves: [],
    });
    ps = suite.deriveSecret(ps, 'path');
  }
  const commitSecret = ps;
  const parentHash = tree.setPathParentHashes(path, copath);
  const leaf = signLeafNode(
    suite,
    signaturePrivateKey,
    { ...template, encryptionKey: leafKey.publicKey, source: 'commit', parentHash },
    groupId,
    leafIndex,
  );
  tree.setLeaf(leafIndex, leaf);
  const context = provisionalContext(tree.treeHash());
  const nodes: UpdatePathNode[] = path.map((x, i) => ({
    encryptionKey: keys.get(x)!.publicKey,
    encryptedPathSecret: tree.resolution(copath[i], exclude).map((r) => {
      const pk = encryptionKeyAt(tree, r);
      const { kemOutput, ciphertext } = suite.encryptWithLabel(
        pk,
        'UpdatePathNode',
        context,
        secrets[i],
      );
      return { kemOutput, ciphertext };
    }),
  }));
  return { updatePath: { leafNode: leaf, nodes }, commitSecret, pathSecrets, keys };
}

function encryptionKeyAt(tree: RatchetTree, x: number): Uint8Array {
  const n = tree.node(x)!;
  return n.type === 'leaf' ? n.leaf.encryptionKey : n.parent.encryptionKey;
}

/**
 * Merges a received UpdatePath into a draft tree (§7.5): blanks the sender's
 * direct path, installs the new public keys, recomputes parent hashes and
 * checks the leaf's parent_hash, and checks every node carries one ciphertext
 * per member of its copath resolution (new members `exclude`d).
 */
export function applyUpdatePath(
  tree: RatchetTree,
  senderLeaf: number,
  updatePath: UpdatePath,
  exclude: ReadonlySet<number>,
): void {
  tree.blankDirectPath(senderLeaf);
  const { path, copath } = tree.filteredDirectPath(senderLeaf);
  if (updatePath.nodes.length !== path.length) {
    throw new MlsError(
      'invalid-commit',
      `update path has ${updatePath.nodes.length} nodes, the filtered direct path ${path.length}`,
    );
  }
  path.forEach((x, i) => {
    const n = updatePath.nodes[i];
    const expected = tree.resolution(copath[i], exclude).length;
    if (n.encryptedPathSecret.length !== expected) {
      throw new MlsError(
        'invalid-commit',
        `update path node ${x} has ${n.encryptedPathSecret.length} ciphertexts, expected ${expected}`,
      );
    }
    tree.setParent(x, {
      encryptionKey: n.encryptionKey,
      parentHash: new Uint8Array(0),
      unmergedLeaves: [],
    });
  });
  const parentHash = tree.setPathParentHashes(path, copath);
  const leaf: LeafNode = updatePath.leafNode;
  if (leaf.source !== 'commit')
    throw new MlsError('invalid-leaf-node', 'update path leaf must have source commit');
  if (!bytesEqual(leaf.parentHash, parentHash)) {
    throw new MlsError('invalid-tree', 'update path leaf parent hash does not match the tree');
  }
  tree.setLeaf(senderLeaf, leaf);
}

/** What a receiver learns from an UpdatePath. */
export interface DecryptedUpdatePath {
  readonly commitSecret: Uint8Array;
  /** The path secret decrypted (at the lowest common ancestor with the sender). */
  readonly pathSecret: Uint8Array;
  /** Keys derived for the sender's filtered direct path from that node up. */
  readonly keys: Map<number, NodeKey>;
}

/**
 * Decrypts the path secret meant for `myLeaf` (after applyUpdatePath) and
 * derives the rest of the path, checking each derived public key against the
 * UpdatePath (§7.5). `myKeys` are this member's node keys in the old tree.
 */
export function decryptUpdatePath(
  suite: CipherSuite,
  tree: RatchetTree,
  senderLeaf: number,
  myLeaf: number,
  updatePath: UpdatePath,
  exclude: ReadonlySet<number>,
  context: Uint8Array,
  myKeys: ReadonlyMap<number, NodeKey>,
): DecryptedUpdatePath {
  const { path, copath } = tree.filteredDirectPath(senderLeaf);
  const me = leafToNode(myLeaf);
  const i = path.findIndex((x) => isAncestor(x, me));
  if (i < 0) throw new MlsError('invalid-commit', 'no update path node covers this member');
  const res = tree.resolution(copath[i], exclude);
  const j = res.findIndex((x) => {
    const k = myKeys.get(x);
    return k !== undefined && bytesEqual(k.publicKey, encryptionKeyAt(tree, x));
  });
  if (j < 0)
    throw new MlsError('decryption-failed', 'no key for any node of the copath resolution');
  const ct = updatePath.nodes[i].encryptedPathSecret[j];
  let ps: Uint8Array;
  try {
    ps = suite.decryptWithLabel(
      myKeys.get(res[j])!.privateKey,
      'UpdatePathNode',
      context,
      ct.kemOutput,
      ct.ciphertext,
    );
  } catch (e) {
    if (e instanceof CryptoError)
      throw new MlsError('decryption-failed', 'path secret did not decrypt');
    throw e;
  }
  const pathSecret = ps;
  const keys = new Map<number, NodeKey>();
  for (let k = i; k < path.length; k++) {
    const key = nodeKeyPair(suite, ps);
    if (!bytesEqual(key.publicKey, updatePath.nodes[k].encryptionKey)) {
      throw new MlsError(
        'invalid-commit',
        `derived key for node ${path[k]} does not match the update path`,
      );
    }
    keys.set(path[k], key);
    ps = suite.deriveSecret(ps, 'path');
  }
  return { commitSecret: ps, pathSecret, keys };
}

/**
 * Keys a joiner derives from the path secret in its Welcome (§12.4.3.1): from
 * the lowest common ancestor with the committer up the committer's filtered
 * direct path, each checked against the tree.
 */
export function keysFromPathSecret(
  suite: CipherSuite,
  tree: RatchetTree,
  committerLeaf: number,
  myLeaf: number,
  pathSecret: Uint8Array,
): Map<number, NodeKey> {
  const { path } = tree.filteredDirectPath(committerLeaf);
  const me = leafToNode(myLeaf);
  const i = path.findIndex((x) => isAncestor(x, me));
  if (i < 0)
    throw new MlsError(
      'invalid-welcome',
      'path secret given but no common ancestor with the committer',
    );
  const keys = new Map<number, NodeKey>();
  let ps = pathSecret;
  for (let k = i; k < path.length; k++) {
    const key = nodeKeyPair(suite, ps);
    if (!bytesEqual(key.publicKey, encryptionKeyAt(tree, path[k]))) {
      throw new MlsError('invalid-welcome', `path secret does not match node ${path[k]}`);
    }
    keys.set(path[k], key);
    ps = suite.deriveSecret(ps, 'path');
  }
  return keys;
}
