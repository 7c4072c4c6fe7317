// The cap on received ratchet trees (maxLeaves): a tree larger than the group
// options allow is refused while it is decoded — before its remaining nodes are
// decoded and before any hashing — in a Welcome, a supplied tree, an external
// join and the delivery service's validator. A tree at the limit is accepted.
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { decode, Writer } from '../../src/codec/index.js';
import { MlsGroup } from '../../src/mls/group.js';
import { generateIdentity } from '../../src/mls/identity.js';
import { DEFAULT_MAX_LEAVES } from '../../src/mls/leaf-validation.js';
import { decodeRatchetTreeNodes, encodeNode } from '../../src/mls/node.js';
import { RatchetTree } from '../../src/mls/ratchet-tree.js';
import { GroupValidator } from '../../src/mls/validator.js';
import { expectUnchanged, Harness } from '../support/mls-harness.js';
import { suiteOrUndefined } from '../support/suites.js';

const suite = suiteOrUndefined(1)!;
const tooLarge = expect.objectContaining({ code: 'tree-too-large' });

/** A group of `n` leaves and the commit that added its last member (with a Welcome). */
function groupOf(n: number) {
  const h = new Harness(suite);
  const a = h.create('a');
  if (n > 2) {
    a.commit({ add: Array.from({ length: n - 2 }, () => h.bundle().keyPackage) });
    a.mergePendingCommit();
  }
  const last = h.bundle('last');
  const out = a.commit({ add: [last.keyPackage] });
  a.mergePendingCommit();
  expect(a.members()).toHaveLength(n);
  return { a, last, out };
}

afterEach(() => vi.restoreAllMocks());

describe('maxLeaves', () => {
  test('the default allows 2^14 leaves (10,000 participants)', () => {
    expect(DEFAULT_MAX_LEAVES).toBe(2 ** 14);
  });

  test('a 16-leaf tree is refused under maxLeaves 8 before any hashing, everywhere', () => {
    const { a, last, out } = groupOf(16);
    const hashing = vi.spyOn(RatchetTree.prototype, 'treeHash');
    const options = { maxLeaves: 8 };
    expect(() => MlsGroup.joinFromWelcome(out.welcome!, last, suite, options)).toThrow(tooLarge);
    expect(() =>
      GroupValidator.fromGroupInfo(
        suite,
        a.groupInfo({ withRatchetTree: true }),
        undefined,
        options,
      ),
    ).toThrow(tooLarge);
    expect(() =>
      GroupValidator.fromGroupInfo(suite, a.groupInfo(), a.ratchetTree(), options),
    ).toThrow(tooLarge);
    const joiner = generateIdentity(suite, { type: 'basic', identity: utf8ToBytes('x') });
    expect(() =>
      MlsGroup.joinByExternalCommit(a.groupInfo(), joiner, suite, {
        ratchetTree: a.ratchetTree(),
        ...options,
      }),
    ).toThrow(tooLarge);
    expect(hashing).not.toHaveBeenCalled();
    // the same tree is accepted when the limit allows it
    expect(MlsGroup.joinFromWelcome(out.welcome!, last, suite, { maxLeaves: 16 }).epoch).toBe(
      a.epoch,
    );
  });

  test('the node past the limit is never decoded', () => {
    const { a } = groupOf(16);
    const nodes = decode((r) => decodeRatchetTreeNodes(r), a.ratchetTree());
    expect(nodes).toHaveLength(31);
    // the 15 nodes of an 8-leaf tree, then a node that cannot be decoded (type 99)
    const tree = new Writer()
      .prefixed((w) => {
        for (const n of nodes.slice(0, 15)) w.optional(n, encodeNode);
        w.u8(1).u8(99);
      })
      .finish();
    expect(() =>
      GroupValidator.fromGroupInfo(suite, a.groupInfo(), tree, { maxLeaves: 8 }),
    ).toThrow(tooLarge);
    // under a higher limit the decoder reaches the bad node
    expect(() =>
      GroupValidator.fromGroupInfo(suite, a.groupInfo(), tree, { maxLeaves: 16 }),
    ).toThrow(expect.objectContaining({ code: 'invalid-tree' }));
  });

  test('a tree exactly at the limit is accepted', () => {
    const { a, last, out } = groupOf(8);
    const options = { maxLeaves: 8 };
    expect(MlsGroup.joinFromWelcome(out.welcome!, last, suite, options).members()).toHaveLength(8);
    const validator = GroupValidator.fromGroupInfo(suite, a.groupInfo(), a.ratchetTree(), options);
    expect(validator.members()).toHaveLength(8);
    // with a blank leaf inside the 8, an external joiner reads the tree and takes it
    a.commit({ remove: [3] });
    a.mergePendingCommit();
    const ds = GroupValidator.fromGroupInfo(suite, a.groupInfo(), a.ratchetTree(), options);
    const joiner = generateIdentity(suite, { type: 'basic', identity: utf8ToBytes('x') });
    const { group, commit } = MlsGroup.joinByExternalCommit(a.groupInfo(), joiner, suite, {
      ratchetTree: a.ratchetTree(),
      ...options,
    });
    expect(group.myLeafIndex).toBe(3);
    expect(ds.process(commit).kind).toBe('commit');
  });

  test('commits that would grow the tree past the limit are refused, made or received', () => {
    const h = new Harness(suite);
    const limited = { maxLeaves: 4 };
    const a = MlsGroup.create({
      suite,
      identity: generateIdentity(suite, { type: 'basic', identity: utf8ToBytes('a') }),
    });
    const b = h.bundle('b');
    const out = a.commit({ add: [b.keyPackage, h.bundle().keyPackage, h.bundle().keyPackage] });
    a.mergePendingCommit();
    const bGroup = MlsGroup.joinFromWelcome(out.welcome!, b, suite, limited);
    const ds = GroupValidator.fromGroupInfo(suite, out.groupInfo, out.ratchetTree, limited);
    // a (no limit set, default 2^14) adds a fifth member; b and the DS, limited to 4, refuse
    const fifth = a.commit({ add: [h.bundle().keyPackage] });
    expectUnchanged(bGroup, () => bGroup.process(fifth.commit), 'tree-too-large');
    expect(() => ds.process(fifth.commit)).toThrow(tooLarge);
    expect(ds.epoch).toBe(bGroup.epoch);
    a.discardPendingCommit();
    // so is an external joiner that would take the fifth leaf
    const joiner = generateIdentity(suite, { type: 'basic', identity: utf8ToBytes('x') });
    const { commit } = MlsGroup.joinByExternalCommit(
      a.groupInfo({ withRatchetTree: true }),
      joiner,
      suite,
    );
    expectUnchanged(bGroup, () => bGroup.process(commit), 'tree-too-large');
    expect(() => ds.process(commit)).toThrow(tooLarge);
    expect(() =>
      MlsGroup.joinByExternalCommit(a.groupInfo({ withRatchetTree: true }), joiner, suite, limited),
    ).toThrow(tooLarge);
    // and b itself never makes one
    expectUnchanged(
      bGroup,
      () => bGroup.commit({ add: [h.bundle().keyPackage] }),
      'tree-too-large',
    );
    // a removal frees a leaf: the next Add takes it and stays within the limit
    const removal = bGroup.commit({ remove: [a.myLeafIndex] });
    expect(ds.process(removal.commit).kind).toBe('commit');
    bGroup.mergePendingCommit();
    const refill = bGroup.commit({ add: [h.bundle().keyPackage] });
    expect(ds.process(refill.commit).kind).toBe('commit');
  });
});
