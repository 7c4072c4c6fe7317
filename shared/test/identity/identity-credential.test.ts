// Canopy identity credentials: the AS binds an identity to an MLS signature key;
// members accept only credentials the AS issued, for that key and meeting, and
// a replacement only from the same user.
import { describe, expect, test } from 'vitest';
import { Writer } from '../../src/codec/index.js';
import {
  type CanopyIdentity,
  checkMemberCredential,
  IdentityError,
  identityCredentialValidator,
  issueIdentityCredential,
  readIdentity,
  verifyIdentityCredential,
} from '../../src/identity/index.js';
import { generateKeyPackage, MlsError, MlsGroup } from '../../src/mls/index.js';
import { suiteOrUndefined } from '../support/suites.js';

const suite = suiteOrUndefined(1)!;
const asKey = suite.signature.generatePrivateKey();
const asPub = suite.signature.publicKey(asKey);
const ada: CanopyIdentity = {
  meetingId: 'm-0123456789abcdef',
  userId: 'u-ada',
  displayName: 'Ada Lovelace',
  role: 'host',
};

function member(identity: CanopyIdentity = ada, issuer = asKey) {
  const signaturePrivateKey = suite.signature.generatePrivateKey();
  const signaturePublicKey = suite.signature.publicKey(signaturePrivateKey);
  const credential = issueIdentityCredential(suite, issuer, identity, signaturePublicKey);
  return { credential, signaturePrivateKey, signaturePublicKey };
}

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof IdentityError) return e.code;
    throw e;
  }
  return undefined;
}

describe('identity credential', () => {
  test('issued and verified for its key', () => {
    const m = member();
    expect(verifyIdentityCredential(suite, asPub, m.credential, m.signaturePublicKey)).toEqual(ada);
    expect(readIdentity(m.credential)).toEqual(ada);
  });

  test('refused: another AS, another key, a flipped byte anywhere', () => {
    const m = member();
    const other = member(ada, suite.signature.generatePrivateKey());
    expect(
      code(() =>
        verifyIdentityCredential(suite, asPub, other.credential, other.signaturePublicKey),
      ),
    ).toBe('bad-signature');
    const stranger = suite.signature.publicKey(suite.signature.generatePrivateKey());
    expect(code(() => verifyIdentityCredential(suite, asPub, m.credential, stranger))).toBe(
      'key-mismatch',
    );
    if (m.credential.type !== 'basic') throw new Error('basic expected');
    const bytes = m.credential.identity;
    for (let i = 0; i < bytes.length; i++) {
      const flipped = bytes.slice();
      flipped[i] ^= 0x01;
      const c = code(() =>
        verifyIdentityCredential(
          suite,
          asPub,
          { type: 'basic', identity: flipped },
          m.signaturePublicKey,
        ),
      );
      expect(c, `byte ${i}`).toBeDefined();
    }
  });

  test('malformed bytes are a typed error, never a crash', () => {
    const m = member();
    if (m.credential.type !== 'basic') throw new Error('basic expected');
    const bytes = m.credential.identity;
    for (let n = 0; n < bytes.length; n++) {
      const c = { type: 'basic' as const, identity: bytes.subarray(0, n) };
      expect(code(() => verifyIdentityCredential(suite, asPub, c, m.signaturePublicKey))).toBe(
        'not-canopy-credential',
      );
      expect(readIdentity(c)).toBeUndefined();
    }
    const trailing = { type: 'basic' as const, identity: Uint8Array.from([...bytes, 0]) };
    expect(code(() => verifyIdentityCredential(suite, asPub, trailing, m.signaturePublicKey))).toBe(
      'not-canopy-credential',
    );
    expect(
      code(() =>
        verifyIdentityCredential(
          suite,
          asPub,
          { type: 'x509', certificates: [] },
          m.signaturePublicKey,
        ),
      ),
    ).toBe('not-canopy-credential');
    // Invalid UTF-8 in the display name, an unknown role, an unknown version.
    const forge = (name: Uint8Array, role: number, version = 1) => ({
      type: 'basic' as const,
      identity: new Writer()
        .u16(version)
        .opaque(Uint8Array.from([0x6d]))
        .opaque(Uint8Array.from([0x75]))
        .opaque(name)
        .u8(role)
        .opaque(m.signaturePublicKey)
        .opaque(new Uint8Array(64))
        .finish(),
    });
    expect(
      code(() =>
        verifyIdentityCredential(
          suite,
          asPub,
          forge(Uint8Array.from([0xff, 0xfe]), 1),
          m.signaturePublicKey,
        ),
      ),
    ).toBe('not-canopy-credential');
    expect(
      code(() =>
        verifyIdentityCredential(
          suite,
          asPub,
          forge(Uint8Array.from([0x41]), 9),
          m.signaturePublicKey,
        ),
      ),
    ).toBe('not-canopy-credential');
    expect(
      code(() =>
        verifyIdentityCredential(
          suite,
          asPub,
          forge(Uint8Array.from([0x41]), 1, 2),
          m.signaturePublicKey,
        ),
      ),
    ).toBe('not-canopy-credential');
    expect(
      code(() =>
        verifyIdentityCredential(
          suite,
          asPub,
          forge(Uint8Array.from([0x41]), 1),
          m.signaturePublicKey,
        ),
      ),
    ).toBe('bad-signature');
  });

  test('the AS refuses identities out of range', () => {
    const key = member().signaturePublicKey;
    for (const bad of [
      { ...ada, userId: '' },
      { ...ada, userId: 'a/b' },
      { ...ada, meetingId: 'x'.repeat(65) },
      { ...ada, displayName: '' },
      { ...ada, displayName: 'x'.repeat(65) },
      { ...ada, displayName: 'Eve\u202e\n' },
      { ...ada, displayName: ' padded' },
      { ...ada, role: 'admin' as 'host' },
    ]) {
      expect(
        code(() => issueIdentityCredential(suite, asKey, bad, key)),
        JSON.stringify(bad),
      ).toBe('invalid-identity');
    }
  });

  test('member check: meeting, and the successor rule', () => {
    const m = member();
    const sameUserNewKey = member({ ...ada, displayName: 'Ada L.' });
    const otherUser = member({ ...ada, userId: 'u-eve' });
    const check = (c: ReturnType<typeof member>, previous?: ReturnType<typeof member>) =>
      code(() =>
        checkMemberCredential(
          suite,
          asPub,
          ada.meetingId,
          c.credential,
          c.signaturePublicKey,
          previous && {
            credential: previous.credential,
            signatureKey: previous.signaturePublicKey,
          },
        ),
      );
    expect(check(m)).toBeUndefined();
    expect(check(sameUserNewKey, m)).toBeUndefined();
    expect(check(otherUser, m)).toBe('not-successor');
    expect(check(member({ ...ada, meetingId: 'another-meeting' }))).toBe('wrong-meeting');
    const validate = identityCredentialValidator(suite, asPub, ada.meetingId);
    expect(validate(m.credential, m.signaturePublicKey)).toBe(true);
    expect(validate(m.credential, otherUser.signaturePublicKey)).toBe(false);
  });

  test('an MLS group with the validator refuses to add a member the AS did not vouch for', () => {
    const validateCredential = identityCredentialValidator(suite, asPub, ada.meetingId);
    const group = MlsGroup.create({ suite, identity: member(), validateCredential });
    const forged = member({ ...ada, userId: 'u-mallory' }, suite.signature.generatePrivateKey());
    const kp = generateKeyPackage(suite, forged);
    expect(() => group.commit({ add: [kp.message] })).toThrow(MlsError);
    expect(group.epoch).toBe(0n);
    const genuine = generateKeyPackage(
      suite,
      member({ ...ada, userId: 'u-bob', role: 'participant' }),
    );
    group.commit({ add: [genuine.message] });
    expect(group.mergePendingCommit()).toBeDefined();
    expect(group.epoch).toBe(1n);
  });
});

describe('successor rule through MLS (RFC 9420 §5.3.1)', () => {
  const validateCredential = identityCredentialValidator(suite, asPub, ada.meetingId);

  test("a member cannot take another user's identity by a commit path; renewing its own is fine", () => {
    const me = member();
    const group = MlsGroup.create({ suite, identity: me, validateCredential });
    const asOther = issueIdentityCredential(
      suite,
      asKey,
      { ...ada, userId: 'u-eve' },
      me.signaturePublicKey,
    );
    expect(() => group.commit({ credential: asOther })).toThrow(MlsError);
    expect(group.epoch).toBe(0n);
    const renamed = issueIdentityCredential(
      suite,
      asKey,
      { ...ada, displayName: 'Ada K.' },
      me.signaturePublicKey,
    );
    group.commit({ credential: renamed });
    group.mergePendingCommit();
    expect(group.epoch).toBe(1n);
  });
});
