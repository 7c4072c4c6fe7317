// External senders (the delivery service adds and removes members), external
// commits, and the validator that follows a group from public messages alone.
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { describe, expect, test } from 'vitest';
import { encode } from '../../src/codec/index.js';
import { encodeCredential } from '../../src/mls/credential.js';
import { encodeExternalSenders } from '../../src/mls/extensions.js';
import { createExternalProposal } from '../../src/mls/external-sender.js';
import { MlsGroup } from '../../src/mls/group.js';
import { type ClientIdentity, generateIdentity } from '../../src/mls/identity.js';
import type { CredentialValidator } from '../../src/mls/leaf-validation.js';
import { parseMlsMessage, serializeMlsMessage } from '../../src/mls/mls-message.js';
import { GroupValidator } from '../../src/mls/validator.js';
import { expectUnchanged, Harness } from '../support/mls-harness.js';
import { suiteOrUndefined } from '../support/suites.js';
import { toHex } from '../support/vectors.js';

const suite = suiteOrUndefined(1)!;

function dsGroup() {
  const ds = generateIdentity(suite, { type: 'basic', identity: utf8ToBytes('canopy-ds') });
  const h = new Harness(suite);
  const creatorId = generateIdentity(suite, { type: 'basic', identity: utf8ToBytes('host') });
  const host = MlsGroup.create({
    suite,
    identity: creatorId,
    extensions: [
      encodeExternalSenders([{ signatureKey: ds.signaturePublicKey, credential: ds.credential }]),
    ],
  });
  h.members.set('host', host);
  const validator = GroupValidator.fromGroupInfo(suite, host.groupInfo({ withRatchetTree: true }));
  return { ds, h, host, validator };
}

function stateOf(g: MlsGroup) {
  return {
    epoch: g.epoch,
    auth: toHex(g.epochAuthenticator),
    tree: toHex(g.treeHash),
    pending: g.pendingProposals().length,
  };
}

describe('external senders', () => {
  test('the delivery service adds and removes members with external proposals', () => {
    const { ds, h, host, validator } = dsGroup();
    const alice = h.bundle('alice');
    const add = createExternalProposal(suite, {
      groupId: host.groupId,
      epoch: host.epoch,
      senderIndex: 0,
      signaturePrivateKey: ds.signaturePrivateKey,
      proposal: { type: 'add', keyPackage: alice.keyPackage },
    });
    expect(validator.process(add).kind).toBe('proposal');
    const r = host.process(add);
    expect(r.kind === 'proposal' && r.sender).toEqual({ type: 'external', senderIndex: 0 });
    const out = host.commit();
    expect(out.added.map((m) => toHex(m.signatureKey))).toEqual([
      toHex(alice.keyPackage.leafNode.signatureKey),
    ]);
    expect(validator.process(out.commit).kind).toBe('commit');
    validator.acceptGroupInfo(out.groupInfo);
    h.deliver('host', out, [alice]);
    h.expectAgreement();
    expect(toHex(validator.treeHash)).toBe(toHex(host.treeHash));

    // removal by the DS: every member sees who proposed it
    const aliceGroup = h.members.get('alice')!;
    const remove = createExternalProposal(suite, {
      groupId: host.groupId,
      epoch: host.epoch,
      senderIndex: 0,
      signaturePrivateKey: ds.signaturePrivateKey,
      proposal: { type: 'remove', removed: aliceGroup.myLeafIndex },
    });
    validator.process(remove);
    for (const g of h.members.values()) expect(g.process(remove).kind).toBe('proposal');
    const out2 = host.commit();
    validator.process(out2.commit);
    const seen = aliceGroup.process(out2.commit);
    expect(seen.kind === 'commit' && seen.removedSelf).toBe(true);
    h.members.delete('alice');
    h.deliver('host', out2);
    h.expectAgreement();
    expect(validator.members().length).toBe(1);
  });

  test('an external proposal from a sender not in external_senders is rejected and changes nothing', () => {
    const { h, host, validator } = dsGroup();
    const impostor = generateIdentity(suite, { type: 'basic', identity: utf8ToBytes('impostor') });
    const bob = h.bundle('bob');
    const forged = (senderIndex: number) =>
      createExternalProposal(suite, {
        groupId: host.groupId,
        epoch: host.epoch,
        senderIndex,
        signaturePrivateKey: impostor.signaturePrivateKey,
        proposal: { type: 'add', keyPackage: bob.keyPackage },
      });
    const before = stateOf(host);
    expect(() => host.process(forged(0))).toThrow(
      expect.objectContaining({ code: 'invalid-signature' }),
    );
    expect(() => host.process(forged(1))).toThrow(
      expect.objectContaining({ code: 'unknown-sender' }),
    );
    expect(() => validator.process(forged(0))).toThrow(
      expect.objectContaining({ code: 'invalid-signature' }),
    );
    expect(stateOf(host)).toEqual(before);
    expect(validator.pendingProposals()).toEqual([]);
    // a group without external_senders accepts none
    const plain = new Harness(suite).create('solo');
    expect(() =>
      plain.process(
        createExternalProposal(suite, {
          groupId: plain.groupId,
          epoch: plain.epoch,
          senderIndex: 0,
          signaturePrivateKey: impostor.signaturePrivateKey,
          proposal: { type: 'remove', removed: 0 },
        }),
      ),
    ).toThrow(expect.objectContaining({ code: 'unknown-sender' }));
  });

  test('external senders cannot propose ExternalInit (only add, remove, psk, reinit, GCE)', () => {
    const { ds, host } = dsGroup();
    expect(() =>
      createExternalProposal(suite, {
        groupId: host.groupId,
        epoch: host.epoch,
        senderIndex: 0,
        signaturePrivateKey: ds.signaturePrivateKey,
        proposal: { type: 'external_init', kemOutput: new Uint8Array(32) },
      }),
    ).toThrow(expect.objectContaining({ code: 'invalid-value' }));
  });
});

describe('external commits', () => {
  test('a new member joins by external commit; everyone agrees', () => {
    const h = new Harness(suite);
    const a = h.create('a');
    const b = h.bundle('b');
    h.deliver('a', a.commit({ add: [b.keyPackage] }), [b]);
    const validator = GroupValidator.fromGroupInfo(suite, a.groupInfo({ withRatchetTree: true }));
    const joiner = generateIdentity(suite, { type: 'basic', identity: utf8ToBytes('x') });
    const { group, commit } = MlsGroup.joinByExternalCommit(a.groupInfo(), joiner, suite, {
      ratchetTree: a.ratchetTree(),
    });
    expect(validator.process(commit).kind).toBe('commit');
    for (const g of h.members.values()) {
      const r = g.process(commit);
      expect(r.kind === 'commit' && r.committer).toEqual({ type: 'new_member_commit' });
    }
    h.members.set('x', group);
    h.expectAgreement();
    expect(toHex(validator.treeHash)).toBe(toHex(group.treeHash));
    // and the newcomer can commit normally afterwards
    h.deliver('x', group.commit({}));
    h.expectAgreement();
  });

  test('a resync external commit replaces the member it removes', () => {
    const h = new Harness(suite);
    const a = h.create('a');
    const b = h.bundle('b');
    h.deliver('a', a.commit({ add: [b.keyPackage] }), [b]);
    const old = h.members.get('b')!;
    const { group, commit } = MlsGroup.joinByExternalCommit(
      a.groupInfo({ withRatchetTree: true }),
      b.identity,
      suite,
      {
        resync: old.myLeafIndex,
      },
    );
    const r = a.process(commit);
    expect(r.kind === 'commit' && r.removed.map((m) => m.leafIndex)).toEqual([old.myLeafIndex]);
    h.members.set('b', group);
    h.expectAgreement();
  });
});

describe('external commits may only remove the joiner itself (resync, §12.4.3.2)', () => {
  /** host and b, with `validate` as credential validator; a DS validator with the same hook. */
  function groupWith(validate?: CredentialValidator) {
    const h = new Harness(suite);
    const id = generateIdentity(suite, { type: 'basic', identity: utf8ToBytes('host') });
    const host = MlsGroup.create({ suite, identity: id, validateCredential: validate });
    h.members.set('host', host);
    const b = h.bundle('b');
    const out = host.commit({ add: [b.keyPackage] });
    h.deliver('host', out);
    h.members.set(
      'b',
      MlsGroup.joinFromWelcome(out.welcome!, b, suite, { validateCredential: validate }),
    );
    const ds = GroupValidator.fromGroupInfo(suite, out.groupInfo, out.ratchetTree, {
      validateCredential: validate,
    });
    return { h, host, bLeaf: h.members.get('b')!.myLeafIndex, ds };
  }
  const dsState = (ds: GroupValidator) => ({ epoch: ds.epoch, tree: toHex(ds.treeHash) });
  const mallory = generateIdentity(suite, { type: 'basic', identity: utf8ToBytes('mallory') });
  const sameIdentity: CredentialValidator = (c, _k, previous) =>
    !previous ||
    toHex(encode(encodeCredential, c)) === toHex(encode(encodeCredential, previous.credential));

  /** An external commit by `who` removing `leaf`; the joiner's own check is bypassed. */
  function evict(host: MlsGroup, who: ClientIdentity, leaf: number): Uint8Array {
    return MlsGroup.joinByExternalCommit(host.groupInfo({ withRatchetTree: true }), who, suite, {
      resync: leaf,
      validateCredential: () => true,
    }).commit;
  }

  test('without a validator: evicting another member is refused by members and the DS', () => {
    const { host, bLeaf, ds } = groupWith(undefined);
    const commit = evict(host, mallory, bLeaf);
    expectUnchanged(host, () => host.process(commit), 'invalid-commit');
    const before = dsState(ds);
    expect(() => ds.process(commit)).toThrow(expect.objectContaining({ code: 'invalid-commit' }));
    expect(dsState(ds)).toEqual(before);
    // the joiner's own side refuses to build it
    expect(() =>
      MlsGroup.joinByExternalCommit(host.groupInfo({ withRatchetTree: true }), mallory, suite, {
        resync: bLeaf,
      }),
    ).toThrow(expect.objectContaining({ code: 'invalid-commit' }));
  });

  test('with a validator: it decides whether the joiner succeeds the removed leaf', () => {
    const { h, host, bLeaf, ds } = groupWith(sameIdentity);
    const commit = evict(host, mallory, bLeaf);
    expectUnchanged(host, () => host.process(commit), 'invalid-commit');
    const before = dsState(ds);
    expect(() => ds.process(commit)).toThrow(expect.objectContaining({ code: 'invalid-commit' }));
    expect(dsState(ds)).toEqual(before);
    // b itself, on a new device (new signature key, same identity), may resync
    const bAgain = generateIdentity(suite, { type: 'basic', identity: utf8ToBytes('b') });
    const { group, commit: resync } = MlsGroup.joinByExternalCommit(
      host.groupInfo({ withRatchetTree: true }),
      bAgain,
      suite,
      { resync: bLeaf, validateCredential: sameIdentity },
    );
    expect(ds.process(resync)).toMatchObject({ kind: 'commit' });
    const r = host.process(resync);
    expect(r.kind === 'commit' && r.removed.map((m) => m.leafIndex)).toEqual([bLeaf]);
    h.members.delete('b');
    h.members.set('b', group);
    h.expectAgreement();
  });
});

describe('validator', () => {
  test('follows a group, rejects forged and stale commits without changing state, serves joiners', () => {
    const h = new Harness(suite);
    const a = h.create('a');
    const validator = GroupValidator.fromGroupInfo(suite, a.groupInfo({ withRatchetTree: true }));
    for (let i = 0; i < 4; i++) {
      const joiners = [h.bundle(), h.bundle()];
      const out = a.commit({ add: joiners.map((j) => j.keyPackage) });
      validator.process(out.commit);
      validator.acceptGroupInfo(out.groupInfo);
      h.deliver('a', out, joiners);
    }
    expect(toHex(validator.treeHash)).toBe(toHex(a.treeHash));
    const before = { epoch: validator.epoch, tree: toHex(validator.treeHash) };

    const committer = [...h.members.values()][3];
    const out = committer.commit({});
    // forged: flip a byte of the signature
    const m = parseMlsMessage(out.commit);
    if (m.wireFormat !== 'public_message') throw new Error('expected a PublicMessage');
    const sig = m.publicMessage.auth.signature.slice();
    sig[5] ^= 1;
    const forged = serializeMlsMessage({
      wireFormat: 'public_message',
      publicMessage: { ...m.publicMessage, auth: { ...m.publicMessage.auth, signature: sig } },
    });
    expect(() => validator.process(forged)).toThrow(
      expect.objectContaining({ code: 'invalid-signature' }),
    );
    expect({ epoch: validator.epoch, tree: toHex(validator.treeHash) }).toEqual(before);

    // the GroupInfo of another epoch is refused
    expect(() => validator.acceptGroupInfo(out.groupInfo)).toThrow(
      expect.objectContaining({ code: 'wrong-epoch' }),
    );
    validator.process(out.commit);
    expect(() => validator.process(out.commit)).toThrow(
      expect.objectContaining({ code: 'wrong-epoch' }),
    );
    const name = [...h.members.entries()].find(([, g]) => g === committer)![0];
    h.deliver(name, out);
    validator.acceptGroupInfo(out.groupInfo);

    // a joiner whose Welcome carries no tree gets it from the validator
    const late = h.bundle('late');
    const out2 = a.commit({ add: [late.keyPackage], ratchetTreeInWelcome: false });
    validator.process(out2.commit);
    h.deliver('a', out2);
    const lateGroup = MlsGroup.joinFromWelcome(out2.welcome!, late, suite, {
      ratchetTree: validator.ratchetTree(),
    });
    h.members.set('late', lateGroup);
    h.expectAgreement();
    // a new validator can start from the stored GroupInfo and tree
    validator.acceptGroupInfo(out2.groupInfo);
    const again = GroupValidator.fromGroupInfo(
      suite,
      validator.groupInfo()!,
      validator.ratchetTree(),
    );
    expect(toHex(again.treeHash)).toBe(toHex(lateGroup.treeHash));
  });
});
