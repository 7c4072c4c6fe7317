// Invalid input raises a typed error and leaves the group exactly as it was:
// the genuine message still processes afterwards.
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { describe, expect, test } from 'vitest';
import { MlsGroup } from '../../src/mls/group.js';
import { generateIdentity, generateKeyPackage } from '../../src/mls/identity.js';
import { parseMlsMessage, serializeMlsMessage } from '../../src/mls/mls-message.js';
import { expectUnchanged, Harness } from '../support/mls-harness.js';
import { suiteOrUndefined } from '../support/suites.js';

const suite = suiteOrUndefined(1)!;

function threeMembers() {
  const h = new Harness(suite);
  const a = h.create('a');
  const b = h.bundle('b');
  const c = h.bundle('c');
  h.deliver('a', a.commit({ add: [b.keyPackage, c.keyPackage] }), [b, c]);
  return { h, a, b: h.members.get('b')!, c: h.members.get('c')! };
}

/** Rewrites a PublicMessage commit with `edit` applied to its parts. */
// biome-ignore lint/suspicious/noExplicitAny: surgery on a decoded message, field by field
function tamper(bytes: Uint8Array, edit: (pm: any) => any): Uint8Array {
  const m = parseMlsMessage(bytes);
  if (m.wireFormat !== 'public_message') throw new Error('expected a PublicMessage');
  return serializeMlsMessage({
    wireFormat: 'public_message',
    publicMessage: edit(structuredClone(m.publicMessage)),
  });
}

describe('atomicity', () => {
  test('tampered commits are rejected with typed errors and change nothing', () => {
    const { h, a, b } = threeMembers();
    const out = a.commit({ remove: [h.members.get('c')!.myLeafIndex] });
    const flip = (x: Uint8Array, i = 0) => {
      const y = x.slice();
      y[i] ^= 1;
      return y;
    };
    const bad = [
      tamper(out.commit, (pm) => ({ ...pm, membershipTag: flip(pm.membershipTag) })),
      tamper(out.commit, (pm) => ({
        ...pm,
        auth: { ...pm.auth, confirmationTag: flip(pm.auth.confirmationTag) },
      })),
      tamper(out.commit, (pm) => ({
        ...pm,
        auth: { ...pm.auth, signature: flip(pm.auth.signature, 3) },
      })),
      out.commit.slice(0, out.commit.length - 5),
      new Uint8Array([0, 1, 0, 1, 255]),
    ];
    for (const x of bad) expectUnchanged(b, () => b.process(x));
    // a corrupted path ciphertext: decryption fails, typed, nothing changes
    const badPath = tamper(out.commit, (pm) => {
      const node = pm.content.commit.path.nodes.at(-1);
      node.encryptedPathSecret[0].ciphertext = flip(node.encryptedPathSecret[0].ciphertext);
      return pm;
    });
    expectUnchanged(b, () => b.process(badPath));
    // the genuine commit still works afterwards
    h.members.delete('c');
    h.deliver('a', out);
    h.expectAgreement();
  });

  test('invalid requests are typed errors that change nothing', () => {
    const { a } = threeMembers();
    expectUnchanged(a, () => a.commit({ remove: [a.myLeafIndex] }));
    expectUnchanged(a, () => a.commit({ remove: [57] }));
    expectUnchanged(a, () => a.proposeRemove(40));
    expectUnchanged(a, () => a.process(a.groupInfo()));
    const stranger = generateIdentity(suite, { type: 'basic', identity: utf8ToBytes('s') });
    const other = MlsGroup.create({ suite, identity: stranger });
    expectUnchanged(a, () => a.process(other.commit({}).commit));
    // adds given as wire bytes must be KeyPackage MLSMessages
    const d = generateKeyPackage(suite, stranger);
    expectUnchanged(a, () => a.commit({ add: [a.groupInfo()] }));
    expectUnchanged(a, () => a.commit({ add: [d.message.slice(0, -1)] }));
    expectUnchanged(a, () => a.proposeAdd(a.groupInfo()));
    expect(() => a.commit({ add: [a.groupInfo()] })).toThrow(
      expect.objectContaining({ code: 'invalid-key-package' }),
    );
  });

  test('KeyPackages can be added as the MLSMessage bytes clients publish', () => {
    const { h, a } = threeMembers();
    const d = h.bundle('d');
    const e = h.bundle('e');
    h.deliver('a', a.commit({ add: [d.message] }), [d]);
    const proposal = h.members.get('b')!.proposeAdd(e.message);
    for (const [name, g] of h.members) if (name !== 'b') g.process(proposal);
    h.deliver('a', a.commit({}), [e]);
    expect(a.members()).toHaveLength(5);
    h.expectAgreement();
  });

  test('groups can send handshake messages as PrivateMessages', () => {
    const h = new Harness(suite);
    const id = generateIdentity(suite, { type: 'basic', identity: utf8ToBytes('p') });
    const a = MlsGroup.create({ suite, identity: id, handshakeWireFormat: 'private_message' });
    h.members.set('a', a);
    const b = h.bundle('b');
    h.deliver('a', a.commit({ add: [b.keyPackage] }), [b]);
    const out = a.commit({});
    expect(parseMlsMessage(out.commit).wireFormat).toBe('private_message');
    h.deliver('a', out);
    h.expectAgreement();
  });

  test('a PrivateMessage that fails authentication changes nothing, not even the secret tree', () => {
    const h = new Harness(suite);
    const id = generateIdentity(suite, { type: 'basic', identity: utf8ToBytes('p') });
    const a = MlsGroup.create({ suite, identity: id, handshakeWireFormat: 'private_message' });
    h.members.set('a', a);
    const bKp = h.bundle('b');
    const out = a.commit({ add: [bKp.keyPackage] });
    h.deliver('a', out);
    const b = MlsGroup.joinFromWelcome(out.welcome!, bKp, suite, {
      handshakeWireFormat: 'private_message',
    });
    // b's first messages: a has no ratchet for b yet, and a failed one must not create it
    const application = b.encrypt(utf8ToBytes('hello'));
    const proposal = b.proposeRemove(a.myLeafIndex);
    const tamperedContent = (bytes: Uint8Array) => {
      const y = bytes.slice();
      y[y.length - 1] ^= 1; // the content ciphertext's tag; the sender data still decrypts
      return y;
    };
    for (const x of [application, proposal]) {
      expect(parseMlsMessage(x).wireFormat).toBe('private_message');
      expectUnchanged(a, () => a.process(tamperedContent(x)), 'decryption-failed');
    }
    // the genuine messages still decrypt afterwards
    expect(a.process(application)).toMatchObject({
      kind: 'application',
      data: utf8ToBytes('hello'),
    });
    expect(a.process(proposal)).toMatchObject({ kind: 'proposal' });
  });
});
