// The delivery service inside the real server (startServer, with its SFU):
// participants join on the signaling WebSocket with the server's own links,
// media signaling on the same connections keeps working, and /metrics shows
// the delivery service's counters.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Participant } from '../../../client/src/participant/index.js';
import { mediasoupTestModule, withTools } from '../../../shared/test/support/tools.js';
import { AuthenticationService } from '../../src/auth/authentication-service.js';
import { DEFAULT_CONFIG } from '../../src/config.js';
import { createLogger } from '../../src/observability/index.js';
import { type CanopyServer, startServer } from '../../src/server.js';
import { testMediasoup } from '../support/mediasoup.js';
import { joinAsMember } from '../support/member.js';
import { TestClient } from '../support/ws-client.js';
import { settled, suite } from './support.js';

if (withTools('delivery service in the real server', [mediasoupTestModule()])) {
  describe('delivery service in the real server', () => {
    let server: CanopyServer;
    const as = AuthenticationService.generate(suite);
    const logLines: string[] = [];

    beforeAll(async () => {
      server = await startServer(
        { ...DEFAULT_CONFIG, port: 0, workers: 1, publicDir: '/nonexistent' },
        await testMediasoup(),
        {
          log: () => {},
          delivery: { authentication: as },
          logger: createLogger({
            level: 'debug',
            destination: new Writable({
              write(chunk, _enc, done) {
                logLines.push(...String(chunk).trim().split('\n'));
                done();
              },
            }),
          }),
        },
      );
    });
    afterAll(async () => {
      await server?.close();
    });

    test('participants from a created meeting join its MLS group; JSON signaling still works', async () => {
      const meeting = await server.links.create(server.url);
      // The AS key travels in the link's fragment, never from the delivery service.
      for (const link of [meeting.hostLink, meeting.participantLink])
        expect(new URL(link).hash).toBe(`#as=${Buffer.from(as.publicKey).toString('base64url')}`);
      expect(server.authentication.publicKey).toEqual(as.publicKey);
      const url = `${server.url.replace('http', 'ws')}/ws`;
      const ps = [0, 1, 2].map(
        (i) =>
          new Participant({
            url,
            token: new URL(meeting.participantLink).searchParams.get('t')!,
            displayName: `P${i}`,
            asPublicKey: as.publicKey,
            suite,
          }),
      );
      try {
        for (const p of ps) await p.connect();
        await settled(ps);
        expect(server.delivery!.isMember(meeting.meetingId, ps[2].identity!.userId)).toBe(true);
        expect(new Set(ps.map((p) => p.current!.securityCode)).size).toBe(1);
        // media: refused on a connection that is not a member, even with the link...
        const client = await TestClient.connect(url);
        const refused = await client.request('meeting.join', {
          meetingId: meeting.meetingId,
          displayName: 'Ada',
          token: new URL(meeting.participantLink).searchParams.get('t')!,
        });
        expect(refused.error?.code).toBe('not-member');
        client.close();
        // ...granted on a member's own connection, under its leaf index
        const member = await joinAsMember(url, meeting.participantLink, 'P3');
        ps.push(member.participant);
        await settled(ps);
        const joined = await member.client.call('meeting.join', {
          meetingId: meeting.meetingId,
          displayName: 'P3',
        });
        expect(joined.senderIndex).toBe(member.participant.current!.leafIndex);
        expect(server.delivery.memberOf('nope')).toBeUndefined();
        const metrics = await (await fetch(`${server.url}/metrics`)).text();
        expect(metrics).toMatch(/canopy_commits_total\{result="accepted",reason="ok"\} [1-9]/);
        expect(metrics).toMatch(/canopy_participants 4/);
        // Structured logs: one JSON line per event, with its meeting.
        const entries = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
        const admitted = entries.filter((e) => e.msg === 'participant admitted');
        expect(admitted.length).toBe(4);
        expect(admitted.every((e) => e.meeting === meeting.meetingId)).toBe(true);
        expect(entries.some((e) => e.msg === 'commit accepted' && e.epoch === 1)).toBe(true);
      } finally {
        for (const p of ps) p.disconnect();
      }
    });
  });
}
