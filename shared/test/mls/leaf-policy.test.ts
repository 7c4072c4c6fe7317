// Key-package lifetimes (RFC 9420 §7.2, §7.3): what a member adds is always
// checked against the clock and the longest lifetime allowed (MUST); what it
// receives is checked when the application sets a clock or a maximum. A refusal
// is a typed error that changes nothing.
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { describe, expect, test } from 'vitest';
import { type GroupOptions, MlsGroup } from '../../src/mls/group.js';
import { generateIdentity, generateKeyPackage } from '../../src/mls/identity.js';
import { DEFAULT_MAX_KEY_PACKAGE_LIFETIME } from '../../src/mls/leaf-validation.js';
import { GroupValidator } from '../../src/mls/validator.js';
import { expectUnchanged } from '../support/mls-harness.js';
import { suiteOrUndefined } from '../support/suites.js';

const suite = suiteOrUndefined(1)!;
const DAY = 86400n;
const T = 1_800_000_000n; // a fixed "now" (2027-01-15)

function identity(name: string) {
  return generateIdentity(suite, { type: 'basic', identity: utf8ToBytes(name) });
}

function keyPackage(name: string, notBefore: bigint, notAfter: bigint) {
  return generateKeyPackage(suite, identity(name), { lifetime: { notBefore, notAfter } });
}

/** A two-member group (a, b) whose members use the given options. */
function pair(aOptions: GroupOptions, bOptions: GroupOptions, bValidUntil = T + 30n * DAY) {
  const a = MlsGroup.create({ suite, identity: identity('a'), ...aOptions });
  const bKp = keyPackage('b', T - DAY, bValidUntil);
  const out = a.commit({ add: [bKp.keyPackage] });
  a.mergePendingCommit();
  const b = MlsGroup.joinFromWelcome(out.welcome!, bKp, suite, bOptions);
  return { a, b, groupInfo: out.groupInfo, tree: out.ratchetTree };
}

describe('key-package lifetimes', () => {
  const at = (t: bigint) => () => t;

  test('a member never adds an expired, not-yet-valid or over-long KeyPackage (§7.3 MUST)', () => {
    const { a } = pair({ now: at(T) }, {});
    const expired = keyPackage('x', T - 10n * DAY, T - DAY);
    const early = keyPackage('y', T + DAY, T + 10n * DAY);
    const forever = keyPackage('z', 0n, 0xffffffffffffffffn);
    for (const kp of [expired, early, forever]) {
      expectUnchanged(a, () => a.commit({ add: [kp.keyPackage] }), 'invalid-key-package');
      expectUnchanged(a, () => a.commit({ add: [kp.message] }), 'invalid-key-package');
      expectUnchanged(a, () => a.proposeAdd(kp.keyPackage), 'invalid-key-package');
    }
    // the default KeyPackage lifetime fits the default maximum
    const fresh = generateKeyPackage(suite, identity('w'), { now: T });
    const l = fresh.keyPackage.leafNode as { lifetime: { notBefore: bigint; notAfter: bigint } };
    expect(l.lifetime.notAfter - l.lifetime.notBefore <= DEFAULT_MAX_KEY_PACKAGE_LIFETIME).toBe(
      true,
    );
    expect(() => a.commit({ add: [fresh.keyPackage] })).not.toThrow();
  });

  test('without an injected clock, the sender check uses the system clock', () => {
    const a = MlsGroup.create({ suite, identity: identity('a') });
    const expired = keyPackage('x', 1_000_000n, 2_000_000n); // 1970
    expectUnchanged(a, () => a.commit({ add: [expired.keyPackage] }), 'invalid-key-package');
    const fresh = generateKeyPackage(suite, identity('y'));
    expect(() => a.commit({ add: [fresh.keyPackage] })).not.toThrow();
  });

  test('the application may allow longer lifetimes', () => {
    const { a } = pair({ now: at(T), maxKeyPackageLifetime: 400n * DAY }, {});
    const year = keyPackage('x', T - DAY, T + 365n * DAY);
    expect(() => a.commit({ add: [year.keyPackage] })).not.toThrow();
  });

  test('received leaves are checked against the receiver clock only when it has one', () => {
    // a's clock says T; b's says T + 40 days, after the new KeyPackage expires
    const { a, b } = pair({ now: at(T) }, { now: at(T + 40n * DAY) }, T + 80n * DAY);
    const soon = keyPackage('x', T - DAY, T + 30n * DAY);
    const out = a.commit({ add: [soon.keyPackage] });
    expectUnchanged(b, () => b.process(out.commit), 'invalid-key-package');
    const proposal = a.proposeAdd(soon.keyPackage);
    expectUnchanged(b, () => b.process(proposal), 'invalid-key-package');

    // without a clock, the receiver accepts (the sender checked, §7.3)
    const { a: a2, b: b2 } = pair({ now: at(T) }, {});
    const out2 = a2.commit({ add: [keyPackage('y', T - DAY, T + 30n * DAY).keyPackage] });
    expect(b2.process(out2.commit)).toMatchObject({ kind: 'commit', epoch: 2n });
  });

  test('a receiver with a lifetime maximum refuses longer leaves, in commits and in trees', () => {
    // b's own leaf lives 6 days, within its 7-day maximum
    const { a, b, groupInfo, tree } = pair(
      { now: at(T) },
      { maxKeyPackageLifetime: 7n * DAY },
      T + 5n * DAY,
    );
    const out = a.commit({ add: [keyPackage('x', T - DAY, T + 30n * DAY).keyPackage] });
    expectUnchanged(b, () => b.process(out.commit), 'invalid-key-package');

    // the delivery service's validator applies the same policy
    expect(() =>
      GroupValidator.fromGroupInfo(suite, groupInfo, tree, { maxKeyPackageLifetime: 3n * DAY }),
    ).toThrow(expect.objectContaining({ code: 'invalid-leaf-node' }));
    const lenient = GroupValidator.fromGroupInfo(suite, groupInfo, tree, { now: at(T) });
    const validator = GroupValidator.fromGroupInfo(suite, groupInfo, tree, {
      maxKeyPackageLifetime: 7n * DAY,
    });
    expect(() => validator.process(out.commit)).toThrow(
      expect.objectContaining({ code: 'invalid-key-package' }),
    );
    expect(validator.epoch).toBe(1n);
    expect(lenient.process(out.commit)).toMatchObject({ kind: 'commit', epoch: 2n });
  });

  test('a joiner with a clock refuses a tree holding an expired key-package leaf', () => {
    const a = MlsGroup.create({ suite, identity: identity('a'), now: at(T) });
    const bKp = keyPackage('b', T - DAY, T + 30n * DAY);
    a.commit({ add: [bKp.keyPackage] });
    a.mergePendingCommit();
    const cKp = keyPackage('c', T - DAY, T + 60n * DAY);
    const out = a.commit({ add: [cKp.keyPackage] });
    // at T + 40 days b's leaf (still from its KeyPackage) has expired
    expect(() =>
      MlsGroup.joinFromWelcome(out.welcome!, cKp, suite, { now: at(T + 40n * DAY) }),
    ).toThrow(expect.objectContaining({ code: 'invalid-leaf-node' }));
    expect(MlsGroup.joinFromWelcome(out.welcome!, cKp, suite, { now: at(T) }).epoch).toBe(2n);
  });
});
