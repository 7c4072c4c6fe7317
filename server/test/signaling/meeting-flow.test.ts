// Signaling over the real server and mediasoup worker: joining, sending,
// receiving and every way of leaving, as a client sees it and as the worker
// sees it. Producers are created with the parameters a browser would send.
// Every client is a real MLS member of its meeting (the participant core, on
// the same WebSocket as its JSON signaling): media is bound to membership.
import type { ClientFrame } from '@canopy/shared/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { mediasoupTestModule, withTools } from '../../../shared/test/support/tools.js';
import { DEFAULT_CONFIG } from '../../src/config.js';
import { type CanopyServer, startServer } from '../../src/server.js';
import {
  clientDtls,
  routerState,
  testMediasoup,
  until,
  vp8Parameters,
  workerRouters,
} from '../support/mediasoup.js';
import { joinAsMember, type TestMember } from '../support/member.js';
import { TestClient } from '../support/ws-client.js';

if (withTools('signaling with a real mediasoup worker', [mediasoupTestModule()])) {
  describe('signaling with a real mediasoup worker', () => {
    let server: CanopyServer;
    let wsUrl: string;

    beforeAll(async () => {
      server = await startServer(
        { ...DEFAULT_CONFIG, port: 0, workers: 1, publicDir: '/nonexistent' },
        await testMediasoup(),
        { log: () => {} },
      );
      wsUrl = `${server.url.replace('http', 'ws')}/ws`;
    });
    afterAll(async () => {
      await server?.close();
    });

    /** Participant links by meeting id, each a real meeting with a signed link. */
    const links = new Map<string, string>();
    const members: TestMember[] = [];
    afterEach(() => {
      for (const m of members.splice(0)) m.participant.disconnect();
    });
    async function newMeeting(): Promise<string> {
      const created = await server.links.create(server.url);
      links.set(created.meetingId, created.participantLink);
      return created.meetingId;
    }

    /** A member of the meeting's MLS group, then in its media on the same connection. */
    async function join(meetingId: string, displayName: string) {
      const member = await joinAsMember(wsUrl, links.get(meetingId)!, displayName);
      members.push(member);
      const { client } = member;
      const joined = await client.call('meeting.join', { meetingId, displayName });
      expect(joined.senderIndex).toBe(member.participant.current!.leafIndex);
      return { client, joined, member };
    }

    async function sendVideo(client: TestClient): Promise<string> {
      const t = await client.call('transport.create', { direction: 'send' });
      await client.call('transport.connect', {
        transportId: t.transportId,
        dtlsParameters: clientDtls,
      });
      const { producerId } = await client.call('producer.create', {
        transportId: t.transportId,
        kind: 'video',
        rtpParameters: vp8Parameters(),
      });
      return producerId;
    }

    test('join, produce, consume paused → resume; everyone is told', async () => {
      const meetingId = await newMeeting();
      const a = await join(meetingId, 'Ada');
      expect(a.joined).toMatchObject({ senderIndex: 0, participants: [], producers: [] });
      expect(a.joined.routerRtpCapabilities.codecs?.length).toBeGreaterThan(0);

      const b = await join(meetingId, 'Bo');
      expect(b.joined.senderIndex).toBe(1);
      expect(b.joined.participants).toEqual([
        { participantId: a.joined.participantId, displayName: 'Ada', senderIndex: 0 },
      ]);
      expect(await a.client.notification('participant.joined')).toEqual({
        participantId: b.joined.participantId,
        displayName: 'Bo',
        senderIndex: 1,
      });

      const producerId = await sendVideo(a.client);
      expect(await b.client.notification('producer.new')).toEqual({
        producerId,
        participantId: a.joined.participantId,
        senderIndex: 0,
        kind: 'video',
      });

      // A later joiner learns about the producer from its join result.
      const c = await join(meetingId, 'Cy');
      expect(c.joined.producers).toEqual([
        { producerId, participantId: a.joined.participantId, senderIndex: 0, kind: 'video' },
      ]);

      const recv = await b.client.call('transport.create', { direction: 'recv' });
      expect(
        (await b.client.request('consumer.create', { transportId: recv.transportId, producerId }))
          .error?.code,
      ).toBe('rtp-capabilities-required');
      await b.client.call('rtpCapabilities.set', {
        rtpCapabilities: b.joined.routerRtpCapabilities,
      });
      const consumer = await b.client.call('consumer.create', {
        transportId: recv.transportId,
        producerId,
      });
      expect(consumer).toMatchObject({
        producerId,
        participantId: a.joined.participantId,
        kind: 'video',
      });
      const bPeer = server.meetings
        .get(meetingId)!
        .participants.find((p) => p.id === b.joined.participantId)!.peer;
      expect(bPeer.consumers[0]?.paused).toBe(true);
      await b.client.call('consumer.resume', { consumerId: consumer.consumerId });
      expect(bPeer.consumers[0]?.paused).toBe(false);

      // Closing the producer: others are told, the consumer is gone.
      await a.client.call('producer.close', { producerId });
      expect(await b.client.notification('producer.closed')).toEqual({
        producerId,
        participantId: a.joined.participantId,
      });
      await until(() => bPeer.stats.consumers === 0, 5_000, 'consumer to close');
      for (const x of [a, b, c]) x.client.close();
    });

    test('mute and camera off: only the owner pauses its producer, everyone else is told, a later joiner sees it', async () => {
      const meetingId = await newMeeting();
      const a = await join(meetingId, 'Ada');
      const b = await join(meetingId, 'Bo');
      const producerId = await sendVideo(a.client);
      await b.client.notification('producer.new');
      const aPeer = server.meetings
        .get(meetingId)!
        .participants.find((p) => p.id === a.joined.participantId)!.peer;
      // Someone else's producer is not theirs to pause: refused, nothing changes, nobody is told.
      for (const method of ['producer.pause', 'producer.resume'] as const)
        expect((await b.client.request(method, { producerId })).error?.code).toBe(
          'producer-not-found',
        );
      expect(aPeer.pausedProducerIds).toEqual([]);
      await a.client.call('producer.pause', { producerId });
      // The SFU itself stops forwarding it.
      expect(aPeer.pausedProducerIds).toEqual([producerId]);
      expect(await b.client.notification('producer.paused')).toEqual({
        producerId,
        participantId: a.joined.participantId,
      });
      // Pausing again changes nothing and tells nobody.
      await a.client.call('producer.pause', { producerId });
      const later = await join(meetingId, 'Cy');
      expect(later.joined.producers).toEqual([
        {
          producerId,
          participantId: a.joined.participantId,
          senderIndex: 0,
          kind: 'video',
          paused: true,
        },
      ]);
      await a.client.call('producer.resume', { producerId });
      expect(aPeer.pausedProducerIds).toEqual([]);
      for (const x of [b, later])
        expect(await x.client.notification('producer.resumed')).toEqual({
          producerId,
          participantId: a.joined.participantId,
        });
      // Only one pause was announced to Bo (the second request changed nothing).
      expect(b.client.notifications.filter((n) => n.method === 'producer.paused')).toEqual([]);
      const last = await join(meetingId, 'Di');
      expect(last.joined.producers[0]?.paused).toBeUndefined();
      // A quick mute and unmute (both in flight at once) applies in order: it ends flowing.
      const quick = await Promise.all([
        a.client.request('producer.pause', { producerId }),
        a.client.request('producer.resume', { producerId }),
      ]);
      expect(quick.map((r) => r.ok)).toEqual([true, true]);
      expect(await b.client.notification('producer.paused')).toMatchObject({ producerId });
      expect(await b.client.notification('producer.resumed')).toMatchObject({ producerId });
      expect(aPeer.pausedProducerIds).toEqual([]);
      for (const x of [a, b, later, last]) x.client.close();
    });

    test('state errors are typed: not joined, already joined, unknown ids', async () => {
      const meetingId = await newMeeting();
      const lone = await TestClient.connect(wsUrl);
      expect((await lone.request('transport.create', { direction: 'send' })).error?.code).toBe(
        'not-joined',
      );
      expect((await lone.request('meeting.leave', {})).ok).toBe(true);
      // Not in the meeting's MLS group on this connection: no media, even with a valid link.
      const link = new URL(links.get(meetingId)!);
      const refused = async (c: TestClient, id: string) =>
        (
          await c.request('meeting.join', {
            meetingId: id,
            displayName: 'Eve',
            token: link.searchParams.get('t')!,
          })
        ).error?.code;
      expect(await refused(lone, meetingId)).toBe('not-member');
      // A member of another meeting cannot take media in this one.
      const other = await newMeeting();
      const outsider = await joinAsMember(wsUrl, links.get(other)!, 'Mallory');
      members.push(outsider);
      expect(await refused(outsider.client, meetingId)).toBe('not-member');
      expect(server.meetings.get(meetingId)).toBeUndefined();
      // The connection of another member does not lend its membership to this one.
      const ada = await joinAsMember(wsUrl, links.get(meetingId)!, 'Ada');
      members.push(ada);
      expect(await refused(lone, meetingId)).toBe('not-member');
      const joined = await ada.client.call('meeting.join', { meetingId, displayName: 'Ignored' });
      // Named by its AS credential, sending under its leaf index.
      expect(server.meetings.get(meetingId)!.participants[0]!.displayName).toBe('Ada');
      expect(joined.senderIndex).toBe(ada.participant.current!.leafIndex);
      const client = ada.client;
      expect(
        (await client.request('meeting.join', { meetingId, displayName: 'Ada' })).error?.code,
      ).toBe('already-joined');
      expect(
        (
          await client.request('transport.connect', {
            transportId: 'nope',
            dtlsParameters: clientDtls,
          })
        ).error?.code,
      ).toBe('transport-not-found');
      expect((await client.request('producer.close', { producerId: 'nope' })).error?.code).toBe(
        'producer-not-found',
      );
      expect((await client.request('consumer.resume', { consumerId: 'nope' })).error?.code).toBe(
        'consumer-not-found',
      );
      lone.close();
      client.close();
    });

    test('leaving and disconnecting clean up the same way; the last one out ends the meeting', async () => {
      const meetingId = await newMeeting();
      const a = await join(meetingId, 'Ada');
      const b = await join(meetingId, 'Bo');
      const c = await join(meetingId, 'Cy');
      const aProducer = await sendVideo(a.client);
      const bProducer = await sendVideo(b.client);
      const meeting = server.meetings.get(meetingId)!;
      const room = meeting.room;
      expect(await routerState(room.dump())).toMatchObject({ transports: 2, producers: 2 });

      // A leaves politely.
      await a.client.call('meeting.leave', {});
      expect(await c.client.notification('producer.closed')).toEqual({
        producerId: aProducer,
        participantId: a.joined.participantId,
      });
      expect(await c.client.notification('participant.left')).toEqual({
        participantId: a.joined.participantId,
      });
      expect(await routerState(room.dump())).toMatchObject({ transports: 1, producers: 1 });
      // A may join again, with a new participant id and the same sender index (its MLS leaf).
      const again = await a.client.call('meeting.join', { meetingId, displayName: 'Ada' });
      expect(again.participantId).not.toBe(a.joined.participantId);
      expect(again.senderIndex).toBe(a.joined.senderIndex);
      expect(again.producers.map((p) => p.producerId)).toEqual([bProducer]);

      // B's connection drops.
      b.client.ws.terminate();
      expect(await c.client.notification('producer.closed')).toEqual({
        producerId: bProducer,
        participantId: b.joined.participantId,
      });
      expect(await c.client.notification('participant.left')).toEqual({
        participantId: b.joined.participantId,
      });
      expect(await routerState(room.dump())).toEqual({ transports: 0, producers: 0, consumers: 0 });

      // Everyone goes: the meeting and its router are gone.
      a.client.close();
      await c.client.call('meeting.leave', {});
      await until(() => server.meetings.get(meetingId) === undefined, 5_000, 'meeting to end');
      expect(room.closed).toBe(true);
      const routerId = ((await server.sfu.pool.workers[0]!.dump()) as { routerIds: string[] })
        .routerIds;
      expect(routerId).toEqual([]);
      c.client.close();
    });

    test("removal from the meeting's MLS group ends that member's media", async () => {
      const created = await server.links.create(server.url);
      const { meetingId } = created;
      links.set(meetingId, created.participantLink);
      const bo = await join(meetingId, 'Bo');
      const producerId = await sendVideo(bo.client);
      const host = await joinAsMember(wsUrl, created.hostLink, 'Hal');
      members.push(host);
      const hal = await host.client.call('meeting.join', { meetingId, displayName: 'Hal' });
      expect(hal.producers.map((p) => p.producerId)).toEqual([producerId]);
      host.participant.remove(bo.member.participant.identity!.userId);
      expect(await host.client.notification('producer.closed')).toEqual({
        producerId,
        participantId: bo.joined.participantId,
      });
      expect(await host.client.notification('participant.left')).toEqual({
        participantId: bo.joined.participantId,
      });
      expect((await bo.client.closed).code).toBe(1000);
      expect(server.meetings.get(meetingId)!.participants.map((p) => p.displayName)).toEqual([
        'Hal',
      ]);
    });

    test('a member the DS removes and re-adds loses its media, then joins again under its new leaf', async () => {
      const meetingId = await newMeeting();
      const ada = await join(meetingId, 'Ada');
      // a member without media, to commit once Ada (who added Bo) is distrusted
      members.push(await joinAsMember(wsUrl, links.get(meetingId)!, 'Cy'));
      const bo = await join(meetingId, 'Bo');
      await sendVideo(bo.client);
      // Bo reports a commit it could not process: the DS removes and re-adds it.
      const core = bo.member.participant as unknown as { send(frame: ClientFrame): void };
      const epoch = bo.member.participant.epoch!;
      const readded = new Promise<void>((resolve) => {
        const off = bo.member.participant.on('epoch', (e) => {
          if (e.epoch > epoch + 1n) {
            off();
            resolve();
          }
        });
      });
      core.send({ type: 'report', subject: 'commit', epoch, reason: 'test' });
      expect(await bo.client.notification('meeting.closed')).toEqual({
        reason: 'membership-lost',
      });
      expect(await ada.client.notification('participant.left')).toEqual({
        participantId: bo.joined.participantId,
      });
      await readded;
      const again = await bo.client.call('meeting.join', { meetingId, displayName: 'Bo' });
      expect(again.senderIndex).toBe(bo.member.participant.current!.leafIndex);
      expect(again.participants.map((p) => p.displayName)).toEqual(['Ada']);
    });

    test('a bad client is disconnected and the meeting goes on without it', async () => {
      const meetingId = await newMeeting();
      const good = await join(meetingId, 'Ada');
      const bad = await join(meetingId, 'Mallory');
      await sendVideo(bad.client);
      for (let i = 0; i < 5; i++) bad.client.send('{"id":');
      expect((await bad.client.closed).code).toBe(1008);
      expect(await good.client.notification('participant.left')).toEqual({
        participantId: bad.joined.participantId,
      });
      expect(await routerState(server.meetings.get(meetingId)!.room.dump())).toEqual({
        transports: 0,
        producers: 0,
        consumers: 0,
      });
      const producerId = await sendVideo(good.client);
      expect(producerId).toBeTruthy();
      good.client.close();
    });

    test('schema-valid but hostile requests reach mediasoup and come back as typed errors', async () => {
      const meetingId = await newMeeting();
      const { client } = await join(meetingId, 'Mallory');
      const other = await join(meetingId, 'Ada');
      const theirs = await sendVideo(other.client);
      const send = await client.call('transport.create', { direction: 'send' });
      const recv = await client.call('transport.create', { direction: 'recv' });
      const video = vp8Parameters();
      await client.call('producer.create', {
        transportId: send.transportId,
        kind: 'video',
        rtpParameters: video,
      });
      const attempts: [string, unknown][] = [
        // The same SSRC twice on one transport.
        ['producer.create', { transportId: send.transportId, kind: 'video', rtpParameters: video }],
        // RTX pointing at a payload type that does not exist.
        [
          'producer.create',
          {
            transportId: send.transportId,
            kind: 'video',
            rtpParameters: {
              codecs: [
                {
                  mimeType: 'video/rtx',
                  payloadType: 97,
                  clockRate: 90000,
                  parameters: { apt: 42 },
                },
              ],
              encodings: [{ ssrc: 77 }],
            },
          },
        ],
        [
          'producer.create',
          {
            transportId: send.transportId,
            kind: 'audio',
            rtpParameters: {
              codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 8000 }],
            },
          },
        ],
        [
          'producer.create',
          { transportId: recv.transportId, kind: 'video', rtpParameters: vp8Parameters() },
        ],
        ['rtpCapabilities.set', { rtpCapabilities: { codecs: [] } }],
        ['consumer.create', { transportId: recv.transportId, producerId: theirs }],
        [
          'rtpCapabilities.set',
          {
            rtpCapabilities: {
              codecs: [
                { kind: 'video', mimeType: 'video/VP8', preferredPayloadType: 127, clockRate: 1 },
              ],
            },
          },
        ],
        ['consumer.create', { transportId: recv.transportId, producerId: theirs }],
        [
          'transport.connect',
          {
            transportId: recv.transportId,
            dtlsParameters: { role: 'auto', fingerprints: [{ algorithm: 'sha-512', value: 'AB' }] },
          },
        ],
        ['transport.connect', { transportId: recv.transportId, dtlsParameters: clientDtls }],
        ['transport.connect', { transportId: recv.transportId, dtlsParameters: clientDtls }],
      ];
      const codes: string[] = [];
      for (const [method, data] of attempts) {
        const r = await client.request(method, data);
        expect(typeof r.ok).toBe('boolean');
        codes.push(r.ok ? 'ok' : r.error!.code);
        if (!r.ok) expect(r.error!.code).toMatch(/^[a-z][a-z0-9-]*$/);
      }
      expect(codes).not.toContain('internal-error');
      expect(codes[0]).toBe('invalid-rtp-parameters');
      expect(codes[3]).toBe('wrong-direction');
      expect(codes[5]).toBe('cannot-consume');
      expect(codes.at(-1)).toBe('already-connected');
      // The server and the meeting carry on.
      expect(client.isOpen && other.client.isOpen).toBe(true);
      expect(await sendVideo(other.client)).toBeTruthy();
      client.close();
      other.client.close();
    });

    test('a dead worker ends its meetings for everyone, who can rejoin on the restarted worker', async () => {
      const meetingId = await newMeeting();
      const a = await join(meetingId, 'Ada');
      const b = await join(meetingId, 'Bo');
      await sendVideo(a.client);
      const restarted = new Promise<number>((r) => server.sfu.once('workerrestarted', r));
      process.kill(server.sfu.pool.workers[0]!.pid, 'SIGKILL');
      expect(await a.client.notification('meeting.closed')).toEqual({ reason: 'sfu-failure' });
      expect(await b.client.notification('meeting.closed')).toEqual({ reason: 'sfu-failure' });
      expect((await a.client.request('transport.create', { direction: 'send' })).error?.code).toBe(
        'not-joined',
      );
      await restarted;
      const rejoined = await a.client.call('meeting.join', { meetingId, displayName: 'Ada' });
      expect(rejoined.participants).toEqual([]);
      await sendVideo(a.client);
      expect(await workerRouters(server.sfu.pool.workers[0]!)).toHaveLength(1);
      a.client.close();
      b.client.close();
    });
  });
}
