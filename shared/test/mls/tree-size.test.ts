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
import { Harness } from '../support/mls-harness.js';
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
    const joiner = generateIdentity(suite, { type: 'basic', identity: utf8ToBytes('x') });
    const { commit } = MlsGroup.joinByExternalCommit(a.groupInfo(), joiner, suite, {
      ratchetTree: a.ratchetTree(),
      ...options,
    });
    expect(validator.process(commit).kind).toBe('commit');
  });
});
