// The delivery service's small parts on their own: the group store's
// first-commit-wins rule and the committer schedule.
import { describe, expect, test } from 'vitest';
import { CommitterSchedule, MemoryGroupStore } from '../../src/delivery/index.js';

describe('MemoryGroupStore', () => {
  test('the first commit for an epoch wins; the log keeps creation and recent commits', async () => {
    const store = new MemoryGroupStore({ keepCommits: 2 });
    const b = (n: number) => Uint8Array.of(n);
    expect(await store.create('m', b(1), b(2))).toBe(true);
    expect(await store.create('m', b(1), b(2))).toBe(false);
    await store.appendProposal('m', 0n, b(3));
    expect(await store.appendCommit('m', 0n, b(4))).toBe(true);
    expect(await store.appendCommit('m', 0n, b(5))).toBe(false);
    expect(await store.appendCommit('m', 1n, b(6))).toBe(true);
    expect(await store.appendCommit('m', 2n, b(7))).toBe(true);
    const log = await store.log('m');
    expect(log.map((e) => [e.kind, e.epoch])).toEqual([
      ['create', 0n],
      ['commit', 1n],
      ['commit', 2n],
    ]);
    await store.setRoster('m', new Map([[0, 'u']]));
    expect(await store.roster('m')).toEqual(new Map([[0, 'u']]));
    await store.drop('m');
    expect(await store.log('m')).toEqual([]);
    await expect(store.appendCommit('m', 3n, b(8))).rejects.toThrow();
  });
});

describe('CommitterSchedule', () => {
  const members = [3, 0, 5, 1, 2].map((leaf) => ({ userId: `u${leaf}`, leaf }));

  test('names the lowest leaf; passes over a silent one for the epoch, a distrusted one for good', () => {
    const s = new CommitterSchedule(2);
    expect(s.next(members)?.userId).toBe('u0');
    s.skip('u0');
    expect(s.next(members)?.userId).toBe('u1');
    s.skip('u1');
    // the committer set (2) is exhausted: the next member beyond it
    expect(s.next(members)?.userId).toBe('u2');
    s.newEpoch();
    expect(s.next(members)?.userId).toBe('u0');
    s.distrust('u0');
    s.newEpoch();
    expect(s.next(members)?.userId).toBe('u1');
    expect(s.next([{ userId: 'u0', leaf: 0 }])).toBeUndefined();
  });
});
