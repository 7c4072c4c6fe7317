// The media switch: announced when every member (or a quorum) acknowledged
// the epoch, or after the timeout; the DS reports how long it took.
import type { ClientFrame } from '@canopy/shared/protocol';
import { afterEach, describe, expect, test } from 'vitest';
import { Participant } from '../../../client/src/participant/index.js';
import { next, nextDs, settled, startDelivery, type TestDelivery } from './support.js';

let env: TestDelivery | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

/** Never acknowledges an epoch. */
class Mute extends Participant {
  protected override send(frame: ClientFrame): void {
    if (frame.type !== 'ack') super.send(frame);
  }
}

async function meeting(id: string): Promise<Participant[]> {
  const ps = [
    env!.participant(id, 'A'),
    env!.participant(id, 'B'),
    env!.participant(id, 'Mute', 'participant', {}, Mute),
  ];
  for (const p of ps) await p.connect();
  await settled(ps);
  return ps;
}

describe('epoch switch', () => {
  test('when everyone acknowledged: announced to all members, not timed out', async () => {
    env = await startDelivery({ selfUpdateDelayMs: 0, switchTimeoutMs: 60_000 });
    const ps = [env.participant('all', 'A'), env.participant('all', 'B')];
    for (const p of ps) await p.connect();
    await settled(ps);
    const sw = nextDs(env.ds, 'epoch-switch');
    const got = Promise.all(ps.map((p) => next(p, 'switch')));
    ps[0].update();
    const e = await sw;
    expect(e).toMatchObject({ acknowledged: 2, expected: 2, timedOut: false, epoch: ps[1].epoch });
    expect(e.ms).toBeGreaterThanOrEqual(0);
    expect((await got).map(([s]) => s.epoch)).toEqual([e.epoch, e.epoch]);
  });

  test('a member that never acknowledges delays the switch until the timeout', async () => {
    env = await startDelivery({ selfUpdateDelayMs: 0, switchTimeoutMs: 300 });
    const ps = await meeting('slow');
    const target = ps[0].epoch! + 1n;
    const sw = nextDs(env.ds, 'epoch-switch', (e) => e.epoch === target);
    ps[0].update();
    expect(await sw).toMatchObject({ acknowledged: 2, expected: 3, timedOut: true });
  });

  test('with a quorum, the switch does not wait for the last member', async () => {
    env = await startDelivery({ selfUpdateDelayMs: 0, switchTimeoutMs: 60_000, switchQuorum: 0.6 });
    const ps = await meeting('quorum');
    const target = ps[0].epoch! + 1n;
    const sw = nextDs(env.ds, 'epoch-switch', (e) => e.epoch === target);
    ps[0].update();
    expect(await sw).toMatchObject({ acknowledged: 2, expected: 3, timedOut: false });
  });
});
