// Committers and ordering: the DS names who commits, fails over when the
// committer goes silent or away, and accepts one commit per epoch — the loser
// of a race discards its commit and rebases.

import type { CommitOutput, MlsGroup } from '@canopy/shared/mls';
import type { CommitReason } from '@canopy/shared/protocol';
import { afterEach, describe, expect, test } from 'vitest';
import { Participant } from '../../../client/src/participant/index.js';
import { next, record, settled, startDelivery, type TestDelivery } from './support.js';

let env: TestDelivery | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

/** Once armed, disconnects instead of committing when the DS names it. */
class VanishingCommitter extends Participant {
  armed = false;
  protected override createCommit(group: MlsGroup, reason: CommitReason): CommitOutput {
    if (!this.armed) return super.createCommit(group, reason);
    this.disconnect();
    throw new Error('gone');
  }
}

/** Once armed, never answers a commit request (but stays connected). */
class SilentCommitter extends Participant {
  armed = false;
  protected override createCommit(group: MlsGroup, reason: CommitReason): CommitOutput {
    if (!this.armed) return super.createCommit(group, reason);
    throw new Error('silent');
  }
}

describe('committers', () => {
  test('the committer disconnects with proposals pending: another member commits them', async () => {
    env = await startDelivery({ selfUpdateDelayMs: 0, committerTimeoutMs: 60_000 });
    const a = env.participant('f', 'A', 'participant', {}, VanishingCommitter);
    await a.connect();
    const b = env.participant('f', 'B');
    await b.connect();
    await settled([a, b]);
    a.armed = true; // the next time it is named, it vanishes
    const accepted = record(env.ds, 'commit-accepted');
    const passed = record(env.ds, 'committer-passed-over');
    const c = env.participant('f', 'C');
    await c.connect(); // committed by B although A (leaf 0) was named first
    await settled([b, c]);
    expect(passed.map((e) => e.userId)).toContain(a.identity!.userId);
    expect(accepted.map((e) => e.committer)).toContain(b.identity!.userId);
    expect(b.current!.roster.map((r) => r.displayName)).toEqual(['B', 'C']);
  }, 30_000);

  test('a silent committer is passed over after the timeout', async () => {
    env = await startDelivery({ selfUpdateDelayMs: 0, committerTimeoutMs: 300 });
    const a = env.participant('s', 'A', 'participant', {}, SilentCommitter);
    await a.connect();
    const b = env.participant('s', 'B');
    await b.connect();
    await settled([a, b]);
    a.armed = true;
    const sent = a.commitsSent;
    const passed = record(env.ds, 'committer-passed-over');
    const c = env.participant('s', 'C');
    await c.connect();
    await settled([a, b, c]);
    expect(passed.map((e) => e.userId)).toEqual([a.identity!.userId]);
    expect(a.commitsSent).toBe(sent);
  }, 30_000);

  test('two commits race for an epoch: one wins, the other is refused and rebased', async () => {
    env = await startDelivery({ selfUpdateDelayMs: 0 });
    const ps = [0, 1, 2].map((i) => env!.participant('r', `P${i}`));
    for (const p of ps) await p.connect();
    const start = await settled(ps);
    const accepted = record(env.ds, 'commit-accepted');
    const refused = record(env.ds, 'commit-refused');
    const loserRefused = Promise.race([ps[1], ps[2]].map((p) => next(p, 'refused').then(() => p)));
    ps[1].update();
    ps[2].update();
    const loser = await loserRefused;
    const end = await settled(ps);
    // the winner's update, then the loser's, rebased on the new epoch
    expect(end).toBe(start + 2n);
    expect(refused.map((e) => e.reason)).toEqual(['wrong-epoch']);
    expect(accepted).toHaveLength(2);
    expect(loser.commitsSent).toBe(2);
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    expect(new Set(ps.map((p) => hex(p.current!.sframeBaseKey))).size).toBe(1);
  }, 30_000);
});

describe('cheap commits at scale', () => {
  test('after a join storm, one member per 4-leaf block commits a self-update, so the tree fills', async () => {
    env = await startDelivery({ selfUpdateDelayMs: 10 });
    const accepted = record(env.ds, 'commit-accepted');
    const ps = Array.from({ length: 12 }, (_, i) => env!.participant('fill', `P${i}`));
    await ps[0].connect();
    await Promise.all(ps.slice(1).map((p) => p.connect()));
    await settled(ps, 500);
    const adds = accepted.filter((c) => c.added > 0);
    const updates = accepted.filter((c) => c.added === 0 && c.removed === 0);
    // adds went without a path; self-updates carry one
    expect(adds.every((c) => !c.path)).toBe(true);
    expect(updates.every((c) => c.path)).toBe(true);
    // 12 leaves = 3 blocks of 4: one self-update each, each from its own block
    const leafOf = new Map(ps.map((p) => [p.identity!.userId, p.current!.leafIndex]));
    const blocks = updates.map((c) => leafOf.get(c.committer)! >> 2);
    expect(blocks.sort()).toEqual([0, 1, 2]);
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    expect(new Set(ps.map((p) => hex(p.current!.sframeBaseKey))).size).toBe(1);
  }, 30_000);
});
