// The credential successor rule (RFC 9420 §5.3.1): when an Update proposal or a
// commit's UpdatePath replaces a member's leaf, the CredentialValidator sees the
// replaced credential as `previous` and decides whether the new one may follow
// it. An identity swap the validator refuses is a typed error that changes
// nothing, for members and for the delivery service's validator alike.
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { describe, expect, test } from 'vitest';
import { bytesEqual } from '../../src/mls/bytes.js';
import type { Credential } from '../../src/mls/credential.js';
import { MlsGroup } from '../../src/mls/group.js';
import { generateIdentity, generateKeyPackage } from '../../src/mls/identity.js';
import type { CredentialValidator } from '../../src/mls/leaf-validation.js';
import { GroupValidator } from '../../src/mls/validator.js';
import { expectUnchanged } from '../support/mls-harness.js';
import { suiteOrUndefined } from '../support/suites.js';
import { toHex } from '../support/vectors.js';

const suite = suiteOrUndefined(1)!;
const basic = (name: string): Credential => ({ type: 'basic', identity: utf8ToBytes(name) });

/** Accepts any credential, but a replacement only for the same identity. */
const sameIdentity: CredentialValidator = (credential, _key, previous) =>
  !previous ||
  (credential.type === 'basic' &&
    previous.credential.type === 'basic' &&
    bytesEqual(credential.identity, previous.credential.identity));

/** Records every call, and accepts everything. */
function recording() {
  const calls: { name: string; previous?: string }[] = [];
  const name = (c: Credential) => (c.type === 'basic' ? new TextDecoder().decode(c.identity) : '');
  const validate: CredentialValidator = (credential, _key, previous) => {
    calls.push({
      name: name(credential),
      ...(previous ? { previous: name(previous.credential) } : {}),
    });
    return true;
  };
  return { calls, validate };
}

/** a (no validator) and b, joined with `validate`; plus a DS validator with the same hook. */
function pair(validate?: CredentialValidator) {
  const a = MlsGroup.create({
    suite,
    identity: generateIdentity(suite, { type: 'basic', identity: utf8ToBytes('alice') }),
  });
  const bKp = generateKeyPackage(suite, generateIdentity(suite, basic('bob')));
  const out = a.commit({ add: [bKp.keyPackage] });
  a.mergePendingCommit();
  const b = MlsGroup.joinFromWelcome(out.welcome!, bKp, suite, { validateCredential: validate });
  const ds = GroupValidator.fromGroupInfo(suite, out.groupInfo, out.ratchetTree, {
    validateCredential: validate,
  });
  return { a, b, ds };
}

function dsState(ds: GroupValidator) {
  return { epoch: ds.epoch, tree: toHex(ds.treeHash), pending: ds.pendingProposals().length };
}

describe('credential successor rule', () => {
  test('an identity swap by Update is refused when the validator refuses it', () => {
    const { a, b, ds } = pair(sameIdentity);
    const swap = a.proposeUpdate(undefined, { credential: basic('mallory') });
    expectUnchanged(b, () => b.process(swap), 'invalid-leaf-node');
    const before = dsState(ds);
    expect(() => ds.process(swap)).toThrow(expect.objectContaining({ code: 'invalid-leaf-node' }));
    expect(dsState(ds)).toEqual(before);
    // an Update that keeps the identity passes
    const { a: a2, b: b2, ds: ds2 } = pair(sameIdentity);
    const keep = a2.proposeUpdate();
    expect(b2.process(keep).kind).toBe('proposal');
    expect(ds2.process(keep).kind).toBe('proposal');
  });

  test('an identity swap by commit path is refused when the validator refuses it', () => {
    const { a, b, ds } = pair(sameIdentity);
    const out = a.commit({ credential: basic('mallory') });
    expectUnchanged(b, () => b.process(out.commit), 'invalid-leaf-node');
    const before = dsState(ds);
    expect(() => ds.process(out.commit)).toThrow(
      expect.objectContaining({ code: 'invalid-leaf-node' }),
    );
    expect(dsState(ds)).toEqual(before);
    // a plain commit (same credential) passes the same validators
    a.discardPendingCommit();
    const plain = a.commit({});
    expect(ds.process(plain.commit).kind).toBe('commit');
    expect(b.process(plain.commit).kind).toBe('commit');
  });

  test('a validator that allows the change sees the previous credential and accepts it', () => {
    const { calls, validate } = recording();
    const { a, b, ds } = pair(validate);
    calls.length = 0;
    const update = a.proposeUpdate(undefined, { credential: basic('alice-renewed') });
    expect(b.process(update).kind).toBe('proposal');
    expect(ds.process(update).kind).toBe('proposal');
    expect(calls).toContainEqual({ name: 'alice-renewed', previous: 'alice' });
    const out = b.commit({});
    expect(ds.process(out.commit).kind).toBe('commit');
    expect(a.process(out.commit).kind).toBe('commit');
    b.mergePendingCommit();
    expect(b.members()[0].credential).toEqual(basic('alice-renewed'));

    calls.length = 0;
    const byPath = a.commit({ credential: basic('alice-2027') });
    expect(ds.process(byPath.commit).kind).toBe('commit');
    expect(b.process(byPath.commit).kind).toBe('commit');
    a.mergePendingCommit();
    expect(calls).toContainEqual({ name: 'alice-2027', previous: 'alice-renewed' });
    expect(b.members()[0].credential).toEqual(basic('alice-2027'));
    expect(toHex(b.epochAuthenticator)).toBe(toHex(a.epochAuthenticator));
  });

  test('without a validator, a member may change its credential (documented)', () => {
    const { a, b, ds } = pair(undefined);
    const out = a.commit({ credential: basic('anyone') });
    expect(ds.process(out.commit).kind).toBe('commit');
    expect(b.process(out.commit).kind).toBe('commit');
  });

  test("a member's own validator refuses its own swap before anything is sent", () => {
    const a = MlsGroup.create({
      suite,
      identity: generateIdentity(suite, basic('alice')),
      validateCredential: sameIdentity,
    });
    expectUnchanged(a, () => a.commit({ credential: basic('mallory') }), 'invalid-leaf-node');
    expectUnchanged(
      a,
      () => a.proposeUpdate(undefined, { credential: basic('mallory') }),
      'invalid-leaf-node',
    );
  });
});
