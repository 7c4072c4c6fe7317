// Participants join a meeting through the delivery service over real
// WebSockets with real MLS: they end in the same epoch with the same keys,
// the same security code and the same verified roster.
import { afterEach, describe, expect, test } from 'vitest';
import type { Participant } from '../../../client/src/participant/index.js';
import { allAt, settled, startDelivery, type TestDelivery } from './support.js';

let env: TestDelivery | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function expectSameGroup(ps: readonly Participant[]): void {
  const [first, ...rest] = ps;
  const info = first.current!;
  for (const p of rest) {
    expect(p.current!.epoch).toBe(info.epoch);
    expect(hex(p.current!.sframeBaseKey)).toBe(hex(info.sframeBaseKey));
    expect(p.current!.securityCode).toBe(info.securityCode);
    expect(hex(p.exportSecret('test', new Uint8Array(0), 32))).toBe(
      hex(first.exportSecret('test', new Uint8Array(0), 32)),
    );
    expect(p.current!.roster).toEqual(info.roster);
  }
  // the roster is exactly the admitted identities, each at its own leaf
  const roster = info.roster.map((r) => [r.userId, r.displayName, r.role, r.leafIndex]);
  const admitted = ps.map((p) => [
    p.identity!.userId,
    p.identity!.displayName,
    p.identity!.role,
    p.current!.leafIndex,
  ]);
  expect(new Set(roster.map((r) => JSON.stringify(r)))).toEqual(
    new Set(admitted.map((r) => JSON.stringify(r))),
  );
}

describe('joining', () => {
  test('three participants, one after another, share every epoch', async () => {
    env = await startDelivery();
    const ps = [0, 1, 2].map((i) => env!.participant('m1', `P${i}`));
    const first = await ps[0].connect();
    expect(first.epoch).toBe(0n);
    expect(first.roster).toHaveLength(1);
    await ps[1].connect();
    await ps[2].connect();
    await allAt(ps, 2n);
    const epoch = await settled(ps);
    expect(epoch).toBeGreaterThanOrEqual(2n);
    expectSameGroup(ps);
    expect(first.securityCode).toMatch(/^(\d{5} ){11}\d{5}$/);
  });

  test('20 participants joining at once share one epoch, with fewer commits than joins', async () => {
    env = await startDelivery({ selfUpdateDelayMs: 0 });
    const accepted: { added: number; path: boolean }[] = [];
    env.ds.on('commit-accepted', (e) => accepted.push(e));
    const switches: number[] = [];
    env.ds.on('epoch-switch', (e) => switches.push(e.ms));
    const ps = Array.from({ length: 20 }, (_, i) => env!.participant('storm', `P${i}`));
    await Promise.all(ps.map((p) => p.connect()));
    await settled(ps);
    expectSameGroup(ps);
    expect(ps[0].current!.roster).toHaveLength(20);
    const joinsByCommit = accepted.reduce((n, c) => n + c.added, 0);
    expect(joinsByCommit).toBe(19); // one participant created the group
    expect(accepted.length).toBeLessThan(19);
    // add-only commits carry no path
    expect(accepted.every((c) => !c.path)).toBe(true);
    expect(switches.length).toBeGreaterThan(0);
  }, 60_000);
});
