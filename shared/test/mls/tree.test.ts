// tree-validation.json and tree-operations.json against the ratchet tree.
import { afterAll, describe, expect, test } from 'vitest';
import { decode } from '../../src/codec/index.js';
import { verifyLeafNodeSignature } from '../../src/mls/leaf-node.js';
import { decodeProposal } from '../../src/mls/proposal.js';
import { RatchetTree } from '../../src/mls/ratchet-tree.js';
import { suiteOrUndefined } from '../support/suites.js';
import { hex, loadVectors, toHex, VectorTally } from '../support/vectors.js';

interface TreeValidationVector {
  cipher_suite: number;
  tree: string;
  group_id: string;
  resolutions: number[][];
  tree_hashes: string[];
}

describe('tree-validation.json', () => {
  const tally = new VectorTally('tree-validation.json');
  afterAll(() => tally.report());
  const vectors = loadVectors<TreeValidationVector[]>('mls/tree-validation.json');
  test.each(vectors.map((v, i) => [i, v] as const))('vector %i', (_i, v) => {
    const suite = suiteOrUndefined(v.cipher_suite);
    if (!suite) return tally.skip(v.cipher_suite);
    const tree = RatchetTree.decode(suite, hex(v.tree));
    expect(tree.width).toBe(v.resolutions.length);
    for (let x = 0; x < tree.width; x++) {
      expect(tree.resolution(x), `resolution(${x})`).toEqual(v.resolutions[x]);
      expect(toHex(tree.treeHashAt(x)), `tree hash ${x}`).toBe(v.tree_hashes[x]);
    }
    tree.verifyParentHashes();
    tree.verifyStructure();
    for (const [i, leaf] of tree.leaves()) {
      expect(verifyLeafNodeSignature(suite, leaf, hex(v.group_id), i), `leaf ${i}`).toBe(true);
    }
    tally.pass(v.cipher_suite);
  });

  test('a corrupted parent hash is detected', () => {
    const v = vectors.find((x) => x.cipher_suite === 1 && x.tree.length > 2000)!;
    const suite = suiteOrUndefined(1)!;
    const tree = RatchetTree.decode(suite, hex(v.tree));
    const x = [...Array(tree.width).keys()].find((i) => tree.parentNode(i)?.parentHash.length)!;
    const p = tree.parentNode(x)!;
    const bad = p.parentHash.slice();
    bad[0] ^= 1;
    tree.setParent(x, { ...p, parentHash: bad });
    expect(() => tree.verifyParentHashes()).toThrow(
      expect.objectContaining({ code: 'invalid-tree' }),
    );
  });
});

interface TreeOperationsVector {
  cipher_suite: number;
  tree_before: string;
  proposal: string;
  proposal_sender: number;
  tree_hash_before: string;
  tree_after: string;
  tree_hash_after: string;
}

describe('tree-operations.json', () => {
  const tally = new VectorTally('tree-operations.json');
  afterAll(() => tally.report());
  const vectors = loadVectors<TreeOperationsVector[]>('mls/tree-operations.json');
  test.each(vectors.map((v, i) => [i, v] as const))('vector %i', (_i, v) => {
    const suite = suiteOrUndefined(v.cipher_suite);
    if (!suite) return tally.skip(v.cipher_suite);
    const tree = RatchetTree.decode(suite, hex(v.tree_before));
    expect(toHex(tree.treeHash())).toBe(v.tree_hash_before);
    const draft = tree.clone();
    const p = decode(decodeProposal, hex(v.proposal));
    if (p.type === 'add') draft.addLeaf(p.keyPackage.leafNode);
    else if (p.type === 'update') {
      draft.setLeaf(v.proposal_sender, p.leafNode);
      draft.blankDirectPath(v.proposal_sender);
    } else if (p.type === 'remove') {
      draft.blankLeaf(p.removed);
      draft.blankDirectPath(p.removed);
      draft.truncate();
    } else throw new Error(`unexpected proposal ${p.type}`);
    expect(toHex(draft.encode())).toBe(v.tree_after);
    expect(toHex(draft.treeHash())).toBe(v.tree_hash_after);
    // the original tree is untouched by its draft
    expect(toHex(tree.treeHash())).toBe(v.tree_hash_before);
    expect(toHex(tree.encode())).toBe(v.tree_before);
    tally.pass(v.cipher_suite);
  });
});
