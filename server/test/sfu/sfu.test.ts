// The SFU layer against a real mediasoup worker: every object it creates is
// checked in the worker's own dumps, on every path that closes it.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { mediasoupTestModule, withTools } from '../../../shared/test/support/tools.js';
import {
  loadMediasoup,
  type MediasoupApi,
  Sfu,
  SfuError,
  type SfuRoom,
} from '../../src/sfu/index.js';
import {
  clientDtls,
  expectCode,
  opusParameters,
  routerState,
  testMediasoup,
  until,
  vp8Parameters,
  workerRouters,
} from '../support/mediasoup.js';

describe('loadMediasoup', () => {
  test('a directory that is not a mediasoup package: typed error that says what to do', async () => {
    const err = await loadMediasoup('/nonexistent/mediasoup').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SfuError);
    expect((err as SfuError).code).toBe('mediasoup-unavailable');
    expect((err as SfuError).message).toContain(
      'CANOPY_MEDIASOUP_DIR=$(bash ../shared/tools/mediasoup-test-worker.sh)',
    );
    expect((err as SfuError).message).toContain('npm rebuild mediasoup');
  });

  test('a package without its worker binary is noticed before any worker is spawned', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'canopy-ms-'));
    try {
      mkdirSync(join(dir, 'lib'));
      writeFileSync(join(dir, 'lib/index.js'), "exports.version = '3.99.0';");
      const err = (await loadMediasoup(dir).catch((e: unknown) => e)) as SfuError;
      expect(err.code).toBe('mediasoup-unavailable');
      expect(err.message).toContain('mediasoup 3.99.0 has no worker binary');
      // A worker file that is there but not executable is missing too.
      mkdirSync(join(dir, 'worker/out/Release'), { recursive: true });
      writeFileSync(join(dir, 'worker/out/Release/mediasoup-worker'), '');
      chmodSync(join(dir, 'worker/out/Release/mediasoup-worker'), 0o644);
      expect(((await loadMediasoup(dir).catch((e: unknown) => e)) as SfuError).code).toBe(
        'mediasoup-unavailable',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the npm dependency either has its worker or says what to do', async () => {
    const loaded = await loadMediasoup().catch((e: unknown) => e);
    if (loaded instanceof SfuError) {
      expect(loaded.code).toBe('mediasoup-unavailable');
      expect(loaded.message).toContain('CANOPY_MEDIASOUP_DIR');
    } else {
      expect((loaded as { source: string }).source).toBe('dependency');
    }
  });
});

if (withTools('SFU with a real mediasoup worker', [mediasoupTestModule()])) {
  describe('SFU with a real mediasoup worker', () => {
    let mediasoup: MediasoupApi;
    let sfu: Sfu;
    let meetingCounter = 0;
    const newRoom = () => sfu.room(`m${++meetingCounter}`);

    beforeAll(async () => {
      mediasoup = await testMediasoup();
      sfu = await Sfu.create({
        mediasoup,
        workers: 1,
        listenIps: [{ ip: '127.0.0.1' }],
        limits: { maxTransports: 3, maxProducers: 2, maxConsumers: 4 },
      });
    });
    afterAll(() => sfu?.close());
    afterEach(() => {
      for (const room of sfu.rooms) room.close();
    });

    /** A sender with a connected send transport and a video producer, and a receiver consuming it. */
    async function pair(room: SfuRoom) {
      const alice = room.addPeer('alice');
      const bob = room.addPeer('bob');
      const send = await alice.createTransport('send');
      await alice.connectTransport(send.transportId, clientDtls);
      const producerId = await alice.produce(send.transportId, 'video', vp8Parameters());
      const recv = await bob.createTransport('recv');
      bob.setRtpCapabilities(room.rtpCapabilities);
      const consumer = await bob.consume(recv.transportId, producerId);
      return { alice, bob, send, recv, producerId, consumer };
    }

    test('transports, produce, consume (paused) then resume — all visible in the worker', async () => {
      const room = await newRoom();
      expect(room.rtpCapabilities.codecs?.map((c) => c.mimeType)).toEqual(
        expect.arrayContaining(['audio/opus', 'video/VP8']),
      );
      const { bob, send, producerId, consumer } = await pair(room);
      expect(send.iceCandidates[0]).toMatchObject({ ip: '127.0.0.1', address: '127.0.0.1' });
      expect(send.dtlsParameters.fingerprints.length).toBeGreaterThan(0);
      expect(consumer).toMatchObject({ producerId, participantId: 'alice', kind: 'video' });
      expect(consumer.rtpParameters.codecs[0]?.mimeType).toBe('video/VP8');
      expect(bob.consumers).toEqual([
        { consumerId: consumer.consumerId, producerId, paused: true },
      ]);
      await bob.resumeConsumer(consumer.consumerId);
      expect(bob.consumers[0]?.paused).toBe(false);
      expect(await routerState(room.dump())).toEqual({ transports: 2, producers: 1, consumers: 1 });
    });

    test('closing a producer closes its consumers everywhere', async () => {
      const room = await newRoom();
      const { alice, bob, producerId } = await pair(room);
      const closed: string[] = [];
      alice.on('producerclose', (id) => closed.push(id));
      alice.closeProducer(producerId);
      expect(closed).toEqual([producerId]);
      expect(room.producerIds).toEqual([]);
      expect(await routerState(room.dump())).toEqual({ transports: 2, producers: 0, consumers: 0 });
      // The worker tells each consumer that its producer closed, asynchronously.
      await until(() => bob.stats.consumers === 0, 5_000, "bob's consumer to close");
      expect(() => alice.closeProducer(producerId)).toThrow(SfuError);
    });

    test('closing a transport closes its producers and their consumers', async () => {
      const room = await newRoom();
      const { alice, bob, send, producerId } = await pair(room);
      const closed: string[] = [];
      alice.on('producerclose', (id) => closed.push(id));
      alice.closeTransport(send.transportId);
      expect(closed).toEqual([producerId]);
      expect(alice.stats).toEqual({ transports: 0, producers: 0, consumers: 0 });
      expect(await routerState(room.dump())).toEqual({ transports: 1, producers: 0, consumers: 0 });
      await until(() => bob.stats.consumers === 0, 5_000, "bob's consumer to close");
    });

    test('a peer closing (leave, disconnect) leaves nothing of it in the worker', async () => {
      const room = await newRoom();
      const { alice, bob } = await pair(room);
      const audio = await alice.produce(
        (await alice.createTransport('send')).transportId,
        'audio',
        opusParameters(),
      );
      expect(audio).toBeTruthy();
      const events: string[] = [];
      alice.on('producerclose', (_id, kind) => events.push(`producerclose:${kind}`));
      alice.on('close', () => events.push('close'));
      alice.close();
      alice.close(); // idempotent
      expect(events.sort()).toEqual(['close', 'producerclose:audio', 'producerclose:video']);
      expect(room.peer('alice')).toBeUndefined();
      expect(await routerState(room.dump())).toEqual({ transports: 1, producers: 0, consumers: 0 });
      await until(() => bob.stats.consumers === 0, 5_000, "bob's consumer to close");
      expect(bob.stats).toEqual({ transports: 1, producers: 0, consumers: 0 });
      await expect(alice.createTransport('send')).rejects.toSatisfy(expectCode('peer-closed'));
      bob.close();
      expect(await routerState(room.dump())).toEqual({ transports: 0, producers: 0, consumers: 0 });
    });

    test('closing the room (meeting end) removes its router from the worker', async () => {
      const room = await newRoom();
      const { alice, bob } = await pair(room);
      const reasons: string[] = [];
      room.on('close', (r) => reasons.push(r));
      const worker = sfu.pool.workers[0]!;
      const router = ((await room.dump()) as { id: string }).id;
      expect(await workerRouters(worker)).toContain(router);
      room.close();
      expect(reasons).toEqual(['closed']);
      expect(alice.closed && bob.closed).toBe(true);
      expect(sfu.existingRoom(room.id)).toBeUndefined();
      expect(await workerRouters(worker)).not.toContain(router);
      expect(() => room.addPeer('carol')).toThrow(SfuError);
    });

    test('bad requests are typed errors and change nothing', async () => {
      const room = await newRoom();
      const { alice, bob, send, recv, producerId } = await pair(room);
      const before = await routerState(room.dump());
      const stats = [alice.stats, bob.stats];

      await expect(alice.produce('no-such-transport', 'video', vp8Parameters())).rejects.toSatisfy(
        expectCode('transport-not-found'),
      );
      await expect(bob.produce(recv.transportId, 'video', vp8Parameters())).rejects.toSatisfy(
        expectCode('wrong-direction'),
      );
      await expect(alice.consume(send.transportId, producerId)).rejects.toSatisfy(
        expectCode('wrong-direction'),
      );
      await expect(bob.consume(recv.transportId, 'no-such-producer')).rejects.toSatisfy(
        expectCode('producer-not-found'),
      );
      await expect(alice.connectTransport(send.transportId, clientDtls)).rejects.toSatisfy(
        expectCode('already-connected'),
      );
      // A codec the router does not offer: mediasoup refuses, nothing is left behind.
      const h264 = vp8Parameters();
      h264.codecs[0]!.mimeType = 'video/H264';
      await expect(alice.produce(send.transportId, 'video', h264)).rejects.toSatisfy(
        expectCode('invalid-rtp-parameters'),
      );
      // Kind and codec disagree.
      await expect(alice.produce(send.transportId, 'audio', vp8Parameters())).rejects.toSatisfy(
        expectCode('invalid-rtp-parameters'),
      );
      // Consuming before the device capabilities are known; consuming oneself.
      const carol = room.addPeer('carol');
      const carolRecv = await carol.createTransport('recv');
      await expect(carol.consume(carolRecv.transportId, producerId)).rejects.toSatisfy(
        expectCode('rtp-capabilities-required'),
      );
      alice.setRtpCapabilities(room.rtpCapabilities);
      const aliceRecv = await alice.createTransport('recv');
      await expect(alice.consume(aliceRecv.transportId, producerId)).rejects.toSatisfy(
        expectCode('cannot-consume'),
      );
      // A device that cannot receive VP8.
      carol.setRtpCapabilities({
        codecs: room.rtpCapabilities.codecs?.filter((c) => c.kind === 'audio') ?? [],
      });
      await expect(carol.consume(carolRecv.transportId, producerId)).rejects.toSatisfy(
        expectCode('cannot-consume'),
      );
      await expect(bob.resumeConsumer('nope')).rejects.toSatisfy(expectCode('consumer-not-found'));
      expect(() => room.addPeer('bob')).toThrow(SfuError);

      expect(await routerState(room.dump())).toEqual({
        ...before,
        transports: before.transports + 2,
      });
      expect([alice.stats.producers, bob.stats]).toEqual([stats[0]!.producers, stats[1]]);
    });

    test('per-peer limits hold even for concurrent requests', async () => {
      const room = await newRoom();
      const peer = room.addPeer('greedy');
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, () => peer.createTransport('send')),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
      for (const r of results)
        if (r.status === 'rejected') expect(r.reason).toSatisfy(expectCode('limit-exceeded'));
      expect(await routerState(room.dump())).toMatchObject({ transports: 3 });
    });

    test('a peer closing while its transport is being created leaves no transport', async () => {
      const room = await newRoom();
      const peer = room.addPeer('flaky');
      const pending = peer.createTransport('send');
      peer.close();
      await expect(pending).rejects.toSatisfy(expectCode('peer-closed'));
      await until(
        async () => (await routerState(room.dump())).transports === 0,
        5_000,
        'no transports',
      );
    });

    test('concurrent room() calls for one meeting share one router', async () => {
      const [a, b] = await Promise.all([sfu.room('same'), sfu.room('same')]);
      expect(a).toBe(b);
    });

    test('a worker dying closes its rooms and peers; the pool restarts it', async () => {
      const room = await newRoom();
      const { alice, bob } = await pair(room);
      const reasons: string[] = [];
      room.on('close', (r) => reasons.push(r));
      const died = new Promise<number>((r) => sfu.once('workerdied', (pid) => r(pid)));
      const restarted = new Promise<number>((r) => sfu.once('workerrestarted', (pid) => r(pid)));
      const victim = sfu.pool.workers[0]!.pid;
      process.kill(victim, 'SIGKILL');
      expect(await died).toBe(victim);
      expect(reasons).toEqual(['worker-died']);
      expect(alice.closed && bob.closed).toBe(true);
      expect(sfu.rooms).toEqual([]);
      const pid = await restarted;
      expect(pid).not.toBe(victim);
      expect(sfu.pool.workers.map((w) => w.pid)).toEqual([pid]);
      // The meeting gets a new room on the new worker and media works again.
      const again = await sfu.room(room.id);
      expect(again).not.toBe(room);
      const { consumer } = await pair(again);
      expect(consumer.kind).toBe('video');
      expect(await workerRouters(sfu.pool.workers[0]!)).toHaveLength(1);
    });
  });

  describe('SFU shutdown', () => {
    test('closing the SFU closes every room and ends every worker process', async () => {
      const sfu = await Sfu.create({
        mediasoup: await testMediasoup(),
        workers: 2,
        listenIps: [{ ip: '127.0.0.1' }],
      });
      const pids = sfu.pool.workers.map((w) => w.pid);
      expect(pids).toHaveLength(2);
      const rooms = await Promise.all([sfu.room('a'), sfu.room('b')]);
      // Rooms are spread over the least-loaded workers.
      const routerCounts = await Promise.all(
        sfu.pool.workers.map(async (w) => (await workerRouters(w)).length),
      );
      expect(routerCounts).toEqual([1, 1]);
      sfu.close();
      expect(rooms.every((r) => r.closed)).toBe(true);
      await expect(sfu.room('c')).rejects.toSatisfy(expectCode('sfu-closed'));
      const alive = (pid: number) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      await until(() => pids.every((p) => !alive(p)), 10_000, 'worker processes to exit');
    });
  });
}
