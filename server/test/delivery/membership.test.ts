// Departures (leave, disconnect, removal by a host), the lobby, lock and end:
// the leaver is out of the next epoch and never holds its keys.
import { afterEach, describe, expect, test } from 'vitest';
import type { EpochInfo, Participant } from '../../../client/src/participant/index.js';
import { allAt, next, nextDs, settled, startDelivery, type TestDelivery } from './support.js';

let env: TestDelivery | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Every epoch a participant applied. */
function history(p: Participant): EpochInfo[] {
  const seen: EpochInfo[] = [];
  p.on('epoch', (info) => seen.push(info));
  return seen;
}

async function group(n: number, meeting = 'm'): Promise<Participant[]> {
  const ps = Array.from({ length: n }, (_, i) => env!.participant(meeting, `P${i}`));
  for (const p of ps) await p.connect();
  await settled(ps);
  return ps;
}

/** `leaver` is gone: the others moved on without it, and it never had the new epoch's keys. */
async function expectGone(
  stay: Participant[],
  leaver: Participant,
  seen: EpochInfo[],
  before: bigint,
): Promise<void> {
  await allAt(stay, before + 1n);
  const epoch = await settled(stay);
  const info = stay[0].current!;
  expect(info.roster.map((r) => r.userId)).not.toContain(leaver.identity!.userId);
  expect(info.roster).toHaveLength(stay.length);
  for (const p of stay) expect(hex(p.current!.sframeBaseKey)).toBe(hex(info.sframeBaseKey));
  expect(leaver.epoch).toBeUndefined();
  expect(seen.every((s) => s.epoch <= before)).toBe(true);
  expect(seen.map((s) => hex(s.sframeBaseKey))).not.toContain(hex(info.sframeBaseKey));
  expect(epoch).toBeGreaterThan(before);
}

describe('departures', () => {
  test('a participant that leaves is removed by an external Remove', async () => {
    env = await startDelivery();
    const ps = await group(3);
    const seen = history(ps[2]);
    const removed = next(ps[2], 'removed');
    const before = ps[0].epoch!;
    ps[2].leave();
    expect((await removed)[0].reason).toBe('left');
    await expectGone(ps.slice(0, 2), ps[2], seen, before);
  });

  test('a participant that disconnects is removed after the grace period', async () => {
    env = await startDelivery({ disconnectGraceMs: 150 });
    const ps = await group(3);
    const seen = history(ps[1]);
    const before = ps[0].epoch!;
    ps[1].disconnect();
    await expectGone([ps[0], ps[2]], ps[1], seen, before);
  });

  test('a host removes a participant; a participant cannot remove anyone', async () => {
    env = await startDelivery();
    const host = env.participant('h', 'Host', 'host');
    await host.connect();
    const p1 = env.participant('h', 'P1');
    const p2 = env.participant('h', 'P2');
    for (const p of [p1, p2]) {
      const lobby = next(host, 'lobby-list', (e) => e.length > 0);
      const joined = p.connect();
      host.admit((await lobby)[0][0].userId);
      await joined;
    }
    await settled([host, p1, p2]);
    // a participant's host action is refused and costs it its connection
    const refused = next(p1, 'error');
    p1.remove(p2.identity!.userId);
    expect((await refused)[0].message).toContain('not-allowed');
    await next(p1, 'closed');
    const seen = history(p2);
    const before = host.epoch!;
    const removed = next(p2, 'removed');
    host.remove(p2.identity!.userId);
    expect((await removed)[0].reason).toBe('removed');
    await allAt([host], before + 1n);
    await settled([host]);
    expect(host.current!.roster.map((r) => r.userId)).toEqual([host.identity!.userId]);
    expect(seen.map((s) => hex(s.sframeBaseKey))).not.toContain(hex(host.current!.sframeBaseKey));
  });

  test('join/leave loops reuse leaves, so leaf indices (SFrame sender indices) stay small', async () => {
    env = await startDelivery({ selfUpdateDelayMs: 0 });
    const [a, b] = await group(2, 'loop');
    const leaves = new Set<number>();
    for (let i = 0; i < 12; i++) {
      const p = env.participant('loop', `L${i}`);
      const info = await p.connect();
      leaves.add(info.leafIndex);
      const removed = next(p, 'removed');
      p.leave();
      await removed;
    }
    await settled([a, b]);
    expect([...leaves]).toEqual([2]);
    expect(a.current!.roster).toHaveLength(2);
  }, 60_000);

  test('the last member leaving drops the group; the next participant starts a new one', async () => {
    env = await startDelivery();
    const created: string[] = [];
    const dropped: string[] = [];
    env.ds.on('meeting-created', (e) => created.push(e.meetingId));
    env.ds.on('meeting-dropped', (e) => dropped.push(e.reason));
    const [a] = await group(1, 'solo');
    const removed = next(a, 'removed');
    a.leave();
    await removed;
    await env.ds.meeting('solo')?.idle();
    expect(dropped).toEqual(['empty']);
    const b = env.participant('solo', 'B');
    const recreated = nextDs(env.ds, 'meeting-created');
    expect((await b.connect()).epoch).toBe(0n);
    await recreated;
    expect(created).toEqual(['solo', 'solo']);
  });
});

describe('limits', () => {
  test('a full meeting refuses the next participant', async () => {
    env = await startDelivery({ maxParticipants: 2 });
    await group(2, 'full');
    await expect(env.participant('full', 'Third').connect()).rejects.toThrow('meeting-full');
  });
});

describe('lobby, lock and end', () => {
  test('with a host present, participants wait in the lobby until admitted or denied', async () => {
    env = await startDelivery();
    const host = env.participant('l', 'Host', 'host');
    await host.connect();
    const p = env.participant('l', 'Pat');
    const q = env.participant('l', 'Quinn');
    const inLobby = next(p, 'lobby');
    const list = next(host, 'lobby-list', (e) => e.length === 2);
    const pJoined = p.connect();
    const qJoined = q.connect();
    await inLobby;
    const entries = (await list)[0];
    expect(entries.map((e) => e.displayName).sort()).toEqual(['Pat', 'Quinn']);
    expect(host.epoch).toBe(0n); // nobody was added while waiting
    const quinn = entries.find((e) => e.displayName === 'Quinn')!;
    host.deny(quinn.userId);
    await expect(qJoined).rejects.toThrow('denied');
    host.admit(entries.find((e) => e.displayName === 'Pat')!.userId);
    await pJoined;
    await settled([host, p]);
    expect(host.current!.roster.map((r) => r.displayName)).toEqual(['Host', 'Pat']);
    expect(host.current!.roster.map((r) => r.role)).toEqual(['host', 'participant']);
  });

  test('a locked meeting refuses participants; unlocked, it takes them again', async () => {
    env = await startDelivery();
    const host = env.participant('k', 'Host', 'host');
    await host.connect();
    host.lock();
    await env.ds.meeting('k')!.idle();
    await expect(env.participant('k', 'Late').connect()).rejects.toThrow('locked');
    host.unlock();
    await env.ds.meeting('k')!.idle();
    const p = env.participant('k', 'Later');
    const list = next(host, 'lobby-list', (e) => e.length === 1);
    const joined = p.connect();
    host.admit((await list)[0][0].userId);
    await joined;
  });

  test('ending a meeting puts everyone out and refuses its links afterwards', async () => {
    env = await startDelivery();
    const host = env.participant('e', 'Host', 'host');
    await host.connect();
    const p = env.participant('e', 'P');
    const list = next(host, 'lobby-list', (e) => e.length === 1);
    const joined = p.connect();
    host.admit((await list)[0][0].userId);
    await joined;
    const ended = Promise.all([host, p].map((x) => next(x, 'ended')));
    host.end();
    await ended;
    expect(env.ds.meeting('e')).toBeUndefined();
    await expect(env.participant('e', 'After').connect()).rejects.toThrow('meeting-ended');
  });
});
