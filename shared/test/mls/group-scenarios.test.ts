// Scenario tests of the group state machine: groups changed by many members in
// random order agree at every step; invalid operations change nothing.
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { describe, expect, test } from 'vitest';
import { MlsError } from '../../src/mls/errors.js';
import type { CommitOutput } from '../../src/mls/group.js';
import { GroupValidator } from '../../src/mls/validator.js';
import { Harness, prng } from '../support/mls-harness.js';
import { suiteOrUndefined } from '../support/suites.js';
import { toHex } from '../support/vectors.js';

describe('group scenarios (suite 1)', () => {
  const suite = suiteOrUndefined(1)!;

  test('create, add five at once, everyone agrees; application data flows', () => {
    const h = new Harness(suite);
    const a = h.create('a');
    const joiners = [1, 2, 3, 4, 5].map(() => h.bundle());
    const out = a.commit({ add: joiners.map((j) => j.keyPackage) });
    expect(out.added.length).toBe(5);
    h.deliver('a', out, joiners);
    h.expectAgreement();
    const b = h.members.get(joiners[2].name)!;
    const msg = b.encrypt(utf8ToBytes('hello'));
    for (const [name, g] of h.members) {
      if (g === b) continue;
      const r = g.process(msg);
      expect(r.kind, name).toBe('application');
      if (r.kind === 'application') expect(new TextDecoder().decode(r.data)).toBe('hello');
    }
  });

  test('random adds, removes, updates and proposals by reference keep everyone, and the validator, in agreement', () => {
    const rand = prng(20261123);
    const h = new Harness(suite);
    const a = h.create('a');
    // the delivery service's view: public messages only, no secrets
    const validator = GroupValidator.fromGroupInfo(suite, a.groupInfo({ withRatchetTree: true }));
    const deliver = (
      name: string,
      out: CommitOutput,
      joiners: Parameters<Harness['deliver']>[2],
    ) => {
      validator.process(out.commit);
      validator.acceptGroupInfo(out.groupInfo);
      h.deliver(name, out, joiners);
    };
    const b = h.bundle('b');
    deliver('a', a.commit({ add: [b.keyPackage] }), [b]);
    h.expectAgreement();
    for (let step = 0; step < 30; step++) {
      const names = [...h.members.keys()];
      const committerName = names[Math.floor(rand() * names.length)];
      const committer = h.members.get(committerName)!;
      const op = rand();
      if (op < 0.4 || names.length < 3) {
        const joiners = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => h.bundle());
        deliver(
          committerName,
          committer.commit({ add: joiners.map((j) => j.keyPackage) }),
          joiners,
        );
      } else if (op < 0.65) {
        const others = committer.members().filter((m) => m.leafIndex !== committer.myLeafIndex);
        const victim = others[Math.floor(rand() * others.length)];
        deliver(committerName, committer.commit({ remove: [victim.leafIndex] }), []);
      } else if (op < 0.8) {
        deliver(committerName, committer.commit({}), []);
      } else {
        // another member proposes (update or remove); the committer commits by reference
        const proposerName = names.find((n) => n !== committerName)!;
        const proposer = h.members.get(proposerName)!;
        const proposal =
          rand() < 0.5
            ? proposer.proposeUpdate()
            : proposer.proposeRemove(
                committer
                  .members()
                  .find(
                    (m) =>
                      m.leafIndex !== committer.myLeafIndex && m.leafIndex !== proposer.myLeafIndex,
                  )?.leafIndex ?? proposer.myLeafIndex,
              );
        for (const [name, g] of h.members) if (name !== proposerName) g.process(proposal);
        validator.process(proposal);
        deliver(committerName, committer.commit({}), []);
      }
      h.expectAgreement();
      const member = h.members.values().next().value!;
      expect(validator.epoch).toBe(member.epoch);
      expect(toHex(validator.treeHash)).toBe(toHex(member.treeHash));
      expect(validator.members().map((m) => m.leafIndex)).toEqual(
        member.members().map((m) => m.leafIndex),
      );
    }
  });

  test('a removed member cannot process anything of later epochs', () => {
    const h = new Harness(suite);
    const a = h.create('a');
    const b = h.bundle('b');
    const c = h.bundle('c');
    h.deliver('a', a.commit({ add: [b.keyPackage, c.keyPackage] }), [b, c]);
    const bGroup = h.members.get('b')!;
    const out = a.commit({ remove: [bGroup.myLeafIndex] });
    const r = bGroup.process(out.commit);
    expect(r.kind === 'commit' && r.removedSelf).toBe(true);
    expect(bGroup.status).toBe('removed');
    h.members.delete('b');
    h.deliver('a', out);
    const next = a.commit({});
    h.deliver('a', next);
    expect(() => bGroup.process(next.commit)).toThrow(
      expect.objectContaining({ code: 'invalid-state' }),
    );
    expect(() => bGroup.process(a.encrypt(utf8ToBytes('secret')))).toThrow(MlsError);
    h.expectAgreement();
  });

  test('a commit for an old epoch is rejected without changing state', () => {
    const h = new Harness(suite);
    const a = h.create('a');
    const b = h.bundle('b');
    h.deliver('a', a.commit({ add: [b.keyPackage] }), [b]);
    const bGroup = h.members.get('b')!;
    const first = a.commit({});
    h.deliver('a', first);
    const before = { epoch: bGroup.epoch, auth: toHex(bGroup.epochAuthenticator) };
    expect(() => bGroup.process(first.commit)).toThrow(
      expect.objectContaining({ code: 'wrong-epoch' }),
    );
    expect({ epoch: bGroup.epoch, auth: toHex(bGroup.epochAuthenticator) }).toEqual(before);
    h.expectAgreement();
  });

  test('two commits race for one epoch: the loser discards and rebases', () => {
    const h = new Harness(suite);
    const a = h.create('a');
    const b = h.bundle('b');
    const c = h.bundle('c');
    h.deliver('a', a.commit({ add: [b.keyPackage, c.keyPackage] }), [b, c]);
    const bGroup = h.members.get('b')!;
    const fromA = a.commit({});
    const fromB = bGroup.commit({});
    // the DS accepts A's commit; B processes it, which drops its own pending commit
    h.deliver('a', fromA);
    expect(bGroup.hasPendingCommit).toBe(false);
    h.expectAgreement();
    expect(() => a.process(fromB.commit)).toThrow(expect.objectContaining({ code: 'wrong-epoch' }));
    h.deliver('b', bGroup.commit({}));
    h.expectAgreement();
  });
});
