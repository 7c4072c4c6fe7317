// Hostile members and a hostile server: whatever they send is refused, the
// group's state is unchanged and everyone else carries on. A member that
// cannot process a commit or Welcome recovers by being removed and re-added.
import {
  type CommitOutput,
  createExternalProposal,
  generateIdentity,
  generateKeyPackage,
  MlsGroup,
  restoreGroup,
  serializeGroup,
} from '@canopy/shared/mls';
import {
  type ClientFrame,
  type CommitReason,
  decodeServerFrame,
  encodeServerFrame,
} from '@canopy/shared/protocol';
import { afterEach, describe, expect, test } from 'vitest';
import { Participant } from '../../../client/src/participant/index.js';
import { AuthenticationService } from '../../src/auth/authentication-service.js';
import {
  allAt,
  next,
  nextDs,
  record,
  settled,
  startDelivery,
  suite,
  type TestDelivery,
} from './support.js';

let env: TestDelivery | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

type Tamper = (group: MlsGroup, out: () => CommitOutput) => CommitOutput;

/** A member whose next commit, once armed, is replaced by `tamper`'s. */
class Hostile extends Participant {
  tamper: Tamper | undefined;
  protected override createCommit(group: MlsGroup, reason: CommitReason): CommitOutput {
    const t = this.tamper;
    if (!t) return super.createCommit(group, reason);
    this.tamper = undefined;
    return t(group, () => super.createCommit(group, reason));
  }
  /** Sends any frame. */
  sendRaw(frame: ClientFrame): void {
    this.send(frame);
  }
  /** Plays a frame as if the server had sent it. */
  inject(bytes: Uint8Array): void {
    this.receive(bytes);
  }
}

/** Flips the last byte (an AEAD tag or signature). */
function corrupt(b: Uint8Array): Uint8Array {
  const c = b.slice();
  c[c.length - 1] ^= 1;
  return c;
}

/** A hostile member A (leaf 0, so named committer first) and honest B, C. */
async function meeting(id: string): Promise<{ a: Hostile; b: Participant; c: Participant }> {
  const a = env!.participant(id, 'A', 'participant', {}, Hostile);
  await a.connect();
  const b = env!.participant(id, 'B');
  await b.connect();
  const c = env!.participant(id, 'C');
  await c.connect();
  await settled([a, b, c]);
  return { a, b, c };
}

/** The named committer A's commit is replaced; the DS refuses it with `reason` and B commits instead. */
async function expectRefusedThenHonest(id: string, tamper: Tamper, reason: string): Promise<void> {
  const { a, b, c } = await meeting(id);
  const start = b.epoch!;
  const refused = record(env!.ds, 'commit-refused');
  a.tamper = tamper;
  const d = env!.participant(id, 'D');
  await d.connect();
  await settled([a, b, c, d]);
  expect(refused.map((r) => [r.userId, r.reason])).toEqual([[a.identity!.userId, reason]]);
  // exactly one epoch: the honest commit that added D
  expect(b.epoch).toBe(start + 1n);
  expect(new Set([a, b, c, d].map((p) => hex(p.current!.sframeBaseKey))).size).toBe(1);
  expect(b.current!.roster.map((r) => r.displayName)).toEqual(['A', 'B', 'C', 'D']);
}

describe('hostile members', () => {
  test('a commit that skips a pending proposal is refused', async () => {
    env = await startDelivery({ selfUpdateDelayMs: 0 });
    await expectRefusedThenHonest(
      'skip',
      (g) => g.commit({ includePending: false, path: 'always' }),
      'missing-proposal',
    );
  });

  test('a commit that adds someone by value (unseen by the DS) is refused', async () => {
    env = await startDelivery({ selfUpdateDelayMs: 0 });
    // even with a credential the AS really issued (a stolen link), an Add must come from the DS
    const key = suite.signature.generatePrivateKey();
    const pub = suite.signature.publicKey(key);
    const credential = env.as.issueCredential(
      { meetingId: 'byvalue', userId: 'mallory', displayName: 'Mallory', role: 'host' },
      pub,
    );
    const intruder = generateKeyPackage(suite, {
      credential,
      signaturePrivateKey: key,
      signaturePublicKey: pub,
    });
    await expectRefusedThenHonest(
      'byvalue',
      (g) => g.commit({ add: [intruder.message] }),
      'proposal-by-value',
    );
  });

  test('a commit for another epoch is refused', async () => {
    env = await startDelivery({ selfUpdateDelayMs: 0 });
    const { a, b, c } = await meeting('stale');
    const start = b.epoch!;
    // A makes a self-update for this epoch but holds it back
    let stale: CommitOutput | undefined;
    a.tamper = (g, out) => {
      stale = out();
      g.discardPendingCommit();
      throw new Error('held back');
    };
    a.update();
    expect(stale).toBeDefined();
    b.update();
    await allAt([a, b, c], start + 1n);
    const refused = nextDs(env.ds, 'commit-refused');
    a.sendRaw({ type: 'commit', commit: stale!.commit, groupInfo: stale!.groupInfo });
    const r = await refused;
    expect([r.reason, r.epoch]).toEqual(['wrong-epoch', start + 1n]);
    // nothing changed for the others; A's wanted update is rebased and accepted
    await settled([a, b, c]);
    expect(b.epoch).toBe(start + 2n);
    expect(new Set([a, b, c].map((p) => hex(p.current!.sframeBaseKey))).size).toBe(1);
  });

  test('an external commit (a join that bypasses the DS) is refused', async () => {
    env = await startDelivery({ selfUpdateDelayMs: 0 });
    const { a, b, c } = await meeting('evict');
    const start = b.epoch!;
    const refused = nextDs(env.ds, 'commit-refused');
    a.tamper = (g) => {
      // join again from the group's own GroupInfo, replacing its own leaf (evicting
      // anyone else is refused by the MLS library itself: shared/test/mls)
      const me = generateIdentity(suite, g.members()[0].credential);
      const { commit } = MlsGroup.joinByExternalCommit(g.groupInfo(), me, suite, {
        ratchetTree: g.ratchetTree(),
        resync: 0,
      });
      return { commit, groupInfo: g.groupInfo() } as CommitOutput;
    };
    a.update();
    expect((await refused).reason).toBe('wrong-sender');
    await settled([a, b, c]);
    expect(b.current!.roster.map((x) => x.displayName)).toEqual(['A', 'B', 'C']);
    expect(b.epoch).toBe(start);
  });

  test('an identity swap by update (a credential for another user on the same key) is refused', async () => {
    env = await startDelivery({ selfUpdateDelayMs: 0 });
    const { a, b, c } = await meeting('swap');
    const start = b.epoch!;
    const refused = nextDs(env.ds, 'commit-refused');
    a.tamper = (g) => {
      // the AS vouches for whoever says hello with a key: a second connection with A's
      // key gets A a credential for another user (here: a host) bound to that key
      const me = g.members().find((m) => m.leafIndex === g.myLeafIndex)!;
      const credential = env!.as.issueCredential(
        {
          meetingId: a.identity!.meetingId,
          userId: 'someone-else',
          displayName: 'Boss',
          role: 'host',
        },
        me.signatureKey,
      );
      // A's own group would refuse to make it: a copy without the AS hook does
      return restoreGroup(serializeGroup(g)).commit({ credential, path: 'always' });
    };
    a.update();
    expect((await refused).reason).toBe('invalid-leaf-node');
    await settled([a, b, c]);
    expect(b.epoch).toBe(start);
    expect(b.current!.roster.map((r) => [r.displayName, r.role])).toEqual([
      ['A', 'participant'],
      ['B', 'participant'],
      ['C', 'participant'],
    ]);
  });

  test('a malformed commit closes the sender alone', async () => {
    env = await startDelivery({ selfUpdateDelayMs: 0 });
    const { a, b, c } = await meeting('garbage');
    const rejected = nextDs(env.ds, 'rejected');
    const closed = next(a, 'closed');
    a.tamper = (_g, out) => ({ ...out(), commit: Uint8Array.of(0, 1, 0, 1, 9) }) as CommitOutput;
    a.update();
    expect((await rejected).reason).toBe('invalid-commit');
    await closed;
    // the others carry on: A's departure is committed and a newcomer joins
    const d = env.participant('garbage', 'D');
    await d.connect();
    await settled([b, c, d]);
    expect(b.current!.roster.map((x) => x.displayName)).toEqual(['D', 'B', 'C']);
  });
});

describe('recovery', () => {
  test('a joiner given an unprocessable Welcome reports it and is re-added; its committer is not named again', async () => {
    env = await startDelivery({ selfUpdateDelayMs: 0 });
    const { a, b, c } = await meeting('welcome');
    const recoveries = record(env.ds, 'recovery');
    const accepted = record(env.ds, 'commit-accepted');
    a.tamper = (_g, out) => {
      const o = out();
      return {
        commit: o.commit,
        groupInfo: o.groupInfo,
        welcome: corrupt(o.welcome!),
      } as CommitOutput;
    };
    const d = env.participant('welcome', 'D');
    const rejectedWelcome = next(d, 'rejected', (e) => e.what === 'welcome');
    await d.connect();
    await rejectedWelcome;
    await settled([a, b, c, d]);
    expect(recoveries.map((r) => [r.userId, r.subject, r.committer])).toEqual([
      [d.identity!.userId, 'welcome', a.identity!.userId],
    ]);
    // A committed the bad Welcome; the removal and the re-add were committed by others
    expect(accepted.map((e) => e.committer)[0]).toBe(a.identity!.userId);
    expect(accepted.slice(1).every((e) => e.committer !== a.identity!.userId)).toBe(true);
    expect(new Set([a, b, c, d].map((p) => hex(p.current!.sframeBaseKey))).size).toBe(1);
    expect(b.current!.roster.map((x) => x.displayName).sort()).toEqual(['A', 'B', 'C', 'D']);
  });

  test('a member given an unprocessable commit reports it and is re-added', async () => {
    env = await startDelivery({ selfUpdateDelayMs: 0 });
    const { a, b, c } = await meeting('commit');
    const recoveries = record(env.ds, 'recovery');
    // C receives the next commit corrupted in transit
    const cc = c as unknown as { receive(bytes: Uint8Array): void };
    const receive = cc.receive.bind(c);
    let armed = true;
    cc.receive = (bytes) => {
      if (
        armed &&
        bytes[0] === encodeServerFrame({ type: 'commit', epoch: 0n, message: new Uint8Array(0) })[0]
      ) {
        armed = false;
        // the MLS message corrupted (not the DS's send stamp after it)
        const f = decodeServerFrame(bytes) as {
          type: 'commit';
          epoch: bigint;
          message: Uint8Array;
        };
        bytes = encodeServerFrame({ ...f, message: corrupt(f.message) });
      }
      receive(bytes);
    };
    const rejected = next(c, 'rejected', (e) => e.what === 'commit');
    const d = env.participant('commit', 'D');
    await d.connect();
    await rejected;
    await next(c, 'epoch');
    await settled([a, b, c, d]);
    expect(recoveries.map((r) => [r.userId, r.subject])).toEqual([[c.identity!.userId, 'commit']]);
    expect(new Set([a, b, c, d].map((p) => hex(p.current!.sframeBaseKey))).size).toBe(1);
    expect(b.current!.roster).toHaveLength(4);
  });
});

describe('a hostile server', () => {
  test('an external Add for an identity the AS did not sign is refused by members', async () => {
    env = await startDelivery({ selfUpdateDelayMs: 0 });
    const { a, b, c } = await meeting('rogue');
    const epoch = a.epoch!;
    const before = hex(a.current!.sframeBaseKey);
    // a credential from another "AS", bound to the intruder's key, for this meeting
    const rogueAs = AuthenticationService.generate(suite);
    const intruderKey = suite.signature.generatePrivateKey();
    const intruderPub = suite.signature.publicKey(intruderKey);
    const credential = rogueAs.issueCredential(
      { meetingId: 'rogue', userId: 'mallory', displayName: 'Mallory', role: 'host' },
      intruderPub,
    );
    const kp = generateKeyPackage(suite, {
      credential,
      signaturePrivateKey: intruderKey,
      signaturePublicKey: intruderPub,
    });
    // signed with the DS's own external-sender key, as a compromised DS would
    const proposal = createExternalProposal(suite, {
      groupId: a.groupId!,
      epoch,
      senderIndex: 0,
      signaturePrivateKey: env.dsPrivateKey,
      proposal: { type: 'add', keyPackage: kp.keyPackage },
    });
    const rejected = next(a, 'rejected', (e) => e.what === 'proposal');
    a.inject(encodeServerFrame({ type: 'proposal', message: proposal }));
    expect((await rejected)[0].error).toMatchObject({ code: 'invalid-key-package' });
    expect(a.epoch).toBe(epoch);
    expect(hex(a.current!.sframeBaseKey)).toBe(before);
    // A commits normally afterwards: the rogue proposal was never cached
    const d = env.participant('rogue', 'D');
    await d.connect();
    await settled([a, b, c, d]);
    expect(a.current!.roster.map((r) => r.displayName)).toEqual(['A', 'B', 'C', 'D']);
  });
});
