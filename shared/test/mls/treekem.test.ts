import { afterAll, describe, expect, test } from 'vitest';
import { decode } from '../../src/codec/index.js';
import type { CipherSuite } from '../../src/crypto/index.js';
import { groupContext, serializeGroupContext } from '../../src/mls/group-context.js';
import { RatchetTree } from '../../src/mls/ratchet-tree.js';
import { leafToNode } from '../../src/mls/tree-math.js';
import {
  applyUpdatePath,
  createUpdatePath,
  decryptUpdatePath,
  type NodeKey,
  nodeKeyPair,
} from '../../src/mls/treekem.js';
import { decodeUpdatePath } from '../../src/mls/update-path.js';
import { suiteOrUndefined } from '../support/suites.js';
import { hex, loadVectors, toHex, VectorTally } from '../support/vectors.js';

interface TreeKemVector {
  cipher_suite: number;
  group_id: string;
  epoch: number;
  confirmed_transcript_hash: string;
  ratchet_tree: string;
  leaves_private: {
    index: number;
    encryption_priv: string;
    signature_priv: string;
    path_secrets: { node: number; path_secret: string }[];
  }[];
  update_paths: {
    sender: number;
    update_path: string;
    path_secrets: (string | null)[];
    commit_secret: string;
    tree_hash_after: string;
  }[];
}

const NONE = new Set<number>();

function privateState(
  suite: CipherSuite,
  tree: RatchetTree,
  lp: TreeKemVector['leaves_private'][number],
) {
  const keys = new Map<number, NodeKey>();
  const leafPriv = hex(lp.encryption_priv);
  keys.set(leafToNode(lp.index), {
    privateKey: leafPriv,
    publicKey: suite.hpke.publicKey(leafPriv),
  });
  for (const { node, path_secret } of lp.path_secrets)
    keys.set(node, nodeKeyPair(suite, hex(path_secret)));
  // consistent with the public tree: every key sits on a non-blank node with that public key
  for (const [x, k] of keys) {
    const n = tree.node(x);
    expect(n, `node ${x}`).toBeDefined();
    const pk = n!.type === 'leaf' ? n!.leaf.encryptionKey : n!.parent.encryptionKey;
    expect(toHex(pk)).toBe(toHex(k.publicKey));
  }
  return keys;
}

describe('treekem.json', () => {
  const tally = new VectorTally('treekem.json');
  afterAll(() => tally.report());
  const vectors = loadVectors<TreeKemVector[]>('mls/treekem.json');
  test.each(vectors.map((v, i) => [i, v] as const))('vector %i', (_i, v) => {
    const suite = suiteOrUndefined(v.cipher_suite);
    if (!suite) return tally.skip(v.cipher_suite);
    const groupId = hex(v.group_id);
    const tree = RatchetTree.decode(suite, hex(v.ratchet_tree));
    const ctx = (treeHash: Uint8Array) =>
      serializeGroupContext(
        groupContext({
          cipherSuite: v.cipher_suite,
          groupId,
          epoch: BigInt(v.epoch),
          treeHash,
          confirmedTranscriptHash: hex(v.confirmed_transcript_hash),
          extensions: [],
        }),
      );
    const priv = new Map(v.leaves_private.map((lp) => [lp.index, privateState(suite, tree, lp)]));
    const sigPriv = new Map(v.leaves_private.map((lp) => [lp.index, hex(lp.signature_priv)]));

    for (const up of v.update_paths) {
      const path = decode(decodeUpdatePath, hex(up.update_path));
      const merged = tree.clone();
      applyUpdatePath(merged, up.sender, path, NONE);
      expect(toHex(merged.treeHash())).toBe(up.tree_hash_after);
      const context = ctx(merged.treeHash());
      for (const [j] of tree.leaves()) {
        if (j === up.sender) continue;
        const d = decryptUpdatePath(suite, merged, up.sender, j, path, NONE, context, priv.get(j)!);
        expect(toHex(d.pathSecret), `path secret of leaf ${j}`).toBe(up.path_secrets[j]);
        expect(toHex(d.commitSecret)).toBe(up.commit_secret);
      }
      // a fresh update path from the same sender is processed by everyone to the same commit secret
      const draft = tree.clone();
      const senderLeaf = tree.leaf(up.sender)!;
      const created = createUpdatePath(
        suite,
        draft,
        up.sender,
        groupId,
        senderLeaf,
        sigPriv.get(up.sender)!,
        NONE,
        ctx,
      );
      const context2 = ctx(draft.treeHash());
      for (const [j] of tree.leaves()) {
        if (j === up.sender) continue;
        const receiver = tree.clone();
        applyUpdatePath(receiver, up.sender, created.updatePath, NONE);
        expect(toHex(receiver.treeHash())).toBe(toHex(draft.treeHash()));
        const d = decryptUpdatePath(
          suite,
          receiver,
          up.sender,
          j,
          created.updatePath,
          NONE,
          context2,
          priv.get(j)!,
        );
        expect(toHex(d.commitSecret)).toBe(toHex(created.commitSecret));
      }
      draft.verifyParentHashes();
    }
    tally.pass(v.cipher_suite);
  });
});
