// The delivery service behind the server's real signed links (JWTs): a host
// link and a participant link of one created meeting; the role comes from the
// link, and anything but a valid link is refused.
import { afterEach, describe, expect, test } from 'vitest';
import { Participant } from '../../../client/src/participant/index.js';
import { MeetingLinks } from '../../src/auth/index.js';
import { next, settled, startDelivery, suite, type TestDelivery } from './support.js';

let env: TestDelivery | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const tokenOf = (link: string) => new URL(link).searchParams.get('t')!;

describe('signed meeting links', () => {
  test('a host link and a participant link: roles from the links, the participant waits for the host', async () => {
    const links = new MeetingLinks();
    env = await startDelivery({ selfUpdateDelayMs: 0 }, { links });
    const meeting = await links.create('http://canopy.test');
    const make = (link: string, name: string) =>
      new Participant({
        url: env!.url,
        token: tokenOf(link),
        displayName: name,
        asPublicKey: env!.as.publicKey,
        suite,
      });
    const host = make(meeting.hostLink, 'Hana');
    const guest = make(meeting.participantLink, 'Gus');
    try {
      expect((await host.connect()).roster[0]).toMatchObject({
        meetingId: meeting.meetingId,
        role: 'host',
        displayName: 'Hana',
      });
      const lobby = next(host, 'lobby-list', (e) => e.length === 1);
      const joined = guest.connect();
      host.admit((await lobby)[0][0].userId);
      await joined;
      await settled([host, guest]);
      expect(guest.current!.roster.map((r) => [r.displayName, r.role])).toEqual([
        ['Hana', 'host'],
        ['Gus', 'participant'],
      ]);
      // user ids are random per connection, 128 bits
      expect(guest.identity!.userId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    } finally {
      host.disconnect();
      guest.disconnect();
    }
  });

  test('a tampered or foreign token is refused', async () => {
    const links = new MeetingLinks();
    env = await startDelivery({}, { links });
    const meeting = await links.create('http://canopy.test');
    const other = await new MeetingLinks().create('http://canopy.test');
    const token = tokenOf(meeting.participantLink);
    const [h, p, s] = token.split('.');
    // the payload re-signed by nobody: claim the host role
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = [
      h,
      Buffer.from(JSON.stringify({ ...payload, role: 'host' })).toString('base64url'),
      s,
    ].join('.');
    for (const t of [forged, tokenOf(other.hostLink), 'not-a-jwt']) {
      const x = new Participant({
        url: env.url,
        token: t,
        displayName: 'X',
        asPublicKey: env.as.publicKey,
        suite,
      });
      await expect(x.connect()).rejects.toThrow('invalid-link');
    }
  });
});
