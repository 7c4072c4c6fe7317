/**
 * A participant's side of a meeting's media: signaling, the mediasoup-client
 * Device, one send and one recv transport, a producer per published track and
 * a consumer per track anyone else sends, all end-to-end encrypted with SFrame
 * in a transform worker that gets its keys from the key worker (keys/), never
 * from this thread. The signaling runs on the key worker's connection, whose
 * MLS membership the server requires for media.
 *
 * Lifecycle: `CanopyMeeting.join()` resolves once joined and receiving;
 * `publish()` sends a track; `leave()` (or the server closing the meeting)
 * ends it and emits `closed` once.
 */
import type {
  ParticipantInfo,
  ProducerInfo,
  ResultData,
  RtpCapabilities,
  Notification as ServerNotification,
} from '@canopy/shared/protocol';
import { Device, type types as ms } from 'mediasoup-client';
import { FIRST_CONTEXT, MAX_CONTEXTS } from './e2ee/media-keys.js';
import type { DecryptTimes, FrameCounters } from './e2ee/messages.js';
import { FrameEncryption, type TransformMode } from './e2ee/transforms.js';
import { Emitter } from './emitter.js';
import { type SignalingClient, SignalingError } from './signaling.js';

export interface JoinOptions {
  /**
   * Signaling on the connection that is a member of the meeting's MLS group
   * (`SignalingClient.over(keyWorker.signaling())`); closed with the meeting.
   */
  signaling: SignalingClient;
  meetingId: string;
  displayName: string;
  /**
   * The transform worker's end of the media-keys channel, whose other end
   * the key worker holds (transferred to the transform worker).
   */
  mediaKeys: MessagePort;
  /** URL of the bundled SFrame worker (e2ee-worker.js). */
  workerUrl: string | URL;
  /** Force a transform mechanism (default: the best available). */
  transformMode?: TransformMode;
}

/** A track someone else sends, as received and decrypted here. */
export interface RemoteTrack {
  participantId: string;
  senderIndex: number;
  producerId: string;
  consumerId: string;
  kind: 'audio' | 'video';
  track: MediaStreamTrack;
  /** Id of its decrypt transform (see `frameCountersOf`). */
  transformId: string;
  /** Its sender paused it (muted, camera off); `trackpaused` tells when this changes. */
  paused: boolean;
}

/** A track this participant sends. */
export interface LocalTrack {
  producerId: string;
  kind: 'audio' | 'video';
  /** SFrame context of the track: its KID is (context, sender index, epoch). */
  context: number;
  transformId: string;
  track: MediaStreamTrack;
}

/** Receive statistics of one remote track (from its inbound-rtp report). */
export interface RemoteTrackStats {
  participantId: string;
  producerId: string;
  kind: 'audio' | 'video';
  packetsReceived: number;
  framesDecoded: number;
  totalSamplesReceived: number;
  concealedSamples: number;
  totalAudioEnergy: number;
  audioLevel: number;
}

/** A remote audio track's decoded energy so far (see `CanopyMeeting.audioEnergy`). */
export interface AudioEnergy {
  participantId: string;
  producerId: string;
  totalAudioEnergy: number;
  totalSamplesDuration: number;
}

export type MeetingEvents = {
  participantjoined: [participant: ParticipantInfo];
  participantleft: [participantId: string];
  track: [track: RemoteTrack];
  trackended: [track: RemoteTrack];
  /** A remote track's sender paused or resumed it (see `RemoteTrack.paused`). */
  trackpaused: [track: RemoteTrack];
  /** The meeting is over for this participant (left, server closed it, or signaling dropped). */
  closed: [reason: string];
};

// The protocol's validated shapes are the mediasoup(-client) shapes with plain strings where
// mediasoup-client spells out literal unions; this is the one place they meet.
const toClient = <T>(value: unknown): T => value as T;

function deferred<T>(): {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export class CanopyMeeting extends Emitter<MeetingEvents> {
  readonly participantId: string;
  readonly senderIndex: number;
  readonly #signaling: SignalingClient;
  readonly #device: Device;
  readonly #e2ee: FrameEncryption;
  readonly #participants = new Map<string, ParticipantInfo>();
  readonly #remote = new Map<string, RemoteTrack>();
  readonly #consumers = new Map<string, ms.Consumer>();
  readonly #local = new Map<string, LocalTrack & { producer: ms.Producer }>();
  /** Remote producers their senders have paused (announced by the server, consumed or not). */
  readonly #pausedProducers = new Set<string>();
  /** Producers that closed while their consumer was being set up. */
  readonly #closedProducers = new Set<string>();
  #recvTransport: ms.Transport | undefined;
  readonly #recvReady = deferred<ms.Transport>();
  /** Producers being consumed right now (a producer can be announced twice while joining). */
  readonly #consuming = new Set<string>();
  #sendTransport: Promise<ms.Transport> | undefined;
  #nextContext = { audio: FIRST_CONTEXT.audio as number, video: FIRST_CONTEXT.video as number };
  #closed = false;

  /** Join a meeting and start receiving everyone's media. */
  static async join(options: JoinOptions): Promise<CanopyMeeting> {
    const e2ee = new FrameEncryption(options.workerUrl, options.transformMode);
    e2ee.attachKeys(options.mediaKeys);
    const signaling = options.signaling;
    try {
      // Notifications that arrive before the meeting object exists are replayed to it in order.
      const early: ServerNotification[] = [];
      const stopEarly = signaling.on('notification', (n) => early.push(n));
      const joined = await signaling.request('meeting.join', {
        meetingId: options.meetingId,
        displayName: options.displayName,
      });
      const device = new Device();
      await device.load({ routerRtpCapabilities: toClient(joined.routerRtpCapabilities) });
      await signaling.request('rtpCapabilities.set', {
        rtpCapabilities: toClient<RtpCapabilities>(device.rtpCapabilities),
      });
      const meeting = new CanopyMeeting(
        signaling,
        device,
        e2ee,
        joined.participantId,
        joined.senderIndex,
      );
      stopEarly();
      for (const p of joined.participants) meeting.#participants.set(p.participantId, p);
      for (const p of joined.producers) if (p.paused) meeting.#pausedProducers.add(p.producerId);
      for (const n of early) meeting.#onNotification(n);
      const consumed = joined.producers.map((p) => meeting.#consume(p));
      await meeting.#openRecvTransport();
      await Promise.all(consumed);
      return meeting;
    } catch (e) {
      signaling.close();
      e2ee.close();
      throw e;
    }
  }

  private constructor(
    signaling: SignalingClient,
    device: Device,
    e2ee: FrameEncryption,
    participantId: string,
    senderIndex: number,
  ) {
    super();
    this.#signaling = signaling;
    this.#device = device;
    this.#e2ee = e2ee;
    this.participantId = participantId;
    this.senderIndex = senderIndex;
    signaling.on('notification', (n) => this.#onNotification(n));
    signaling.on('close', (code) => this.#close(`signaling closed (${code})`));
  }

  /** How frames are transformed here (RTCRtpScriptTransform or insertable streams). */
  get transformMode(): TransformMode {
    return this.#e2ee.mode;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Everyone else in the meeting. */
  get participants(): ParticipantInfo[] {
    return [...this.#participants.values()];
  }

  get remoteTracks(): RemoteTrack[] {
    return [...this.#remote.values()];
  }

  get localTracks(): LocalTrack[] {
    return [...this.#local.values()].map(({ producer: _, ...t }) => t);
  }

  /** SFrame frame counters over every track (encrypted, decrypted, failures). */
  get frameCounters(): FrameCounters {
    return this.#e2ee.counters;
  }

  /** When remote audio and video frames were first and last decrypted here (Date.now(); no key). */
  get decryptTimes(): DecryptTimes {
    return this.#e2ee.decryptTimes;
  }

  /** SFrame frame counters of one track, by its `transformId`. */
  frameCountersOf(transformId: string): FrameCounters {
    return this.#e2ee.countersOf(transformId);
  }

  /** Errors the SFrame worker reported, most recent last. */
  get e2eeErrors(): readonly string[] {
    return this.#e2ee.errors;
  }

  /** Send a camera or microphone track, encrypted in its own SFrame context. */
  async publish(track: MediaStreamTrack): Promise<LocalTrack> {
    if (this.#closed) throw new SignalingError('closed', 'the meeting is closed');
    const kind = track.kind as 'audio' | 'video';
    if (kind !== 'audio' && kind !== 'video')
      throw new TypeError(`cannot publish a ${track.kind} track`);
    // Contexts are never reused: a new track never restarts a counter under the same key.
    const context = this.#nextContext[kind];
    if (context >= MAX_CONTEXTS) throw new RangeError('no SFrame context left for another track');
    this.#nextContext[kind] += 2;
    if (!this.#sendTransport) {
      const opening = this.#openSendTransport();
      this.#sendTransport = opening;
      opening.catch(() => {
        if (this.#sendTransport === opening) this.#sendTransport = undefined;
      });
    }
    const transport = await this.#sendTransport;
    let transformId = '';
    const producer = await transport.produce({
      track,
      stopTracks: false,
      // paused: nothing is sent (no black or silent frames), the receivers' tiles see it stop
      zeroRtpOnPause: true,
      onRtpSender: (sender) => {
        transformId = this.#e2ee.attachSender(sender, kind, context);
      },
    });
    const local = { producerId: producer.id, kind, context, transformId, track, producer };
    this.#local.set(producer.id, local);
    producer.on('transportclose', () => this.#local.delete(producer.id));
    const { producer: _, ...info } = local;
    return info;
  }

  /**
   * Pause or resume sending a published track (mute, camera off), and tell the
   * server so that everyone else's page shows it. The track keeps its SFrame
   * context and counter: resuming never reuses a (key, KID, CTR).
   */
  async setPaused(producerId: string, paused: boolean): Promise<void> {
    const local = this.#local.get(producerId);
    if (!local) return;
    if (paused) local.producer.pause();
    else local.producer.resume();
    try {
      await this.#signaling.request(paused ? 'producer.pause' : 'producer.resume', { producerId });
    } catch (e) {
      // Leaving or left: nobody is left to tell.
      if (!this.#closed && this.#local.has(producerId)) throw e;
    }
  }

  /**
   * The decoded audio energy of each remote audio track so far (inbound-rtp
   * `totalAudioEnergy` over `totalSamplesDuration`): the level between two
   * reads is sqrt(Δenergy / Δduration), every sound decoded in between counted.
   */
  async audioEnergy(): Promise<AudioEnergy[]> {
    const transport = this.#recvTransport;
    const audio = this.remoteTracks.filter((t) => t.kind === 'audio');
    if (!transport || transport.closed || audio.length === 0) return [];
    // One report for the whole receive transport: a receiver's own getStats
    // gathers it too, so reading each would cost as many reports as tracks.
    let report: RTCStatsReport;
    try {
      report = await transport.getStats();
    } catch {
      return []; // closed meanwhile
    }
    const byTrack = new Map<string, Record<string, unknown>>();
    const byMid = new Map<string, Record<string, unknown>>();
    for (const s of report.values()) {
      if (s.type !== 'inbound-rtp' || s.kind !== 'audio') continue;
      if (typeof s.trackIdentifier === 'string') byTrack.set(s.trackIdentifier, s);
      if (typeof s.mid === 'string') byMid.set(s.mid, s);
    }
    const out: AudioEnergy[] = [];
    for (const t of audio) {
      const mid = this.#consumers.get(t.consumerId)?.localId;
      const s = byTrack.get(t.track.id) ?? (mid === undefined ? undefined : byMid.get(mid));
      if (!s) continue;
      out.push({
        participantId: t.participantId,
        producerId: t.producerId,
        totalAudioEnergy: Number(s.totalAudioEnergy ?? 0),
        totalSamplesDuration: Number(s.totalSamplesDuration ?? 0),
      });
    }
    return out;
  }

  /** Stop sending a published track. */
  async unpublish(producerId: string): Promise<void> {
    const local = this.#local.get(producerId);
    if (!local) return;
    this.#local.delete(producerId);
    local.producer.close();
    await this.#signaling.request('producer.close', { producerId });
  }

  /** inbound-rtp statistics of every remote track. */
  async getStats(): Promise<RemoteTrackStats[]> {
    return Promise.all(
      this.remoteTracks.map(async (t) => {
        const consumer = this.#consumers.get(t.consumerId);
        const report = consumer && !consumer.closed ? await consumer.getStats() : new Map();
        let inbound: Record<string, number> = {};
        for (const s of report.values()) if (s.type === 'inbound-rtp') inbound = s;
        return {
          participantId: t.participantId,
          producerId: t.producerId,
          kind: t.kind,
          packetsReceived: inbound.packetsReceived ?? 0,
          framesDecoded: inbound.framesDecoded ?? 0,
          totalSamplesReceived: inbound.totalSamplesReceived ?? 0,
          concealedSamples: inbound.concealedSamples ?? 0,
          totalAudioEnergy: inbound.totalAudioEnergy ?? 0,
          audioLevel: inbound.audioLevel ?? 0,
        };
      }),
    );
  }

  /** Leave the meeting and release everything. */
  async leave(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#signaling.request('meeting.leave', {});
    } catch {
      // Leaving anyway: closing the connection makes the server clean up.
    }
    this.#close('left');
  }

  #onNotification(n: ServerNotification): void {
    switch (n.method) {
      case 'participant.joined':
        this.#participants.set(n.data.participantId, n.data);
        this.emit('participantjoined', n.data);
        break;
      case 'participant.left':
        this.#participants.delete(n.data.participantId);
        this.emit('participantleft', n.data.participantId);
        break;
      case 'producer.new':
        if (n.data.paused) this.#pausedProducers.add(n.data.producerId);
        void this.#consume(n.data);
        break;
      case 'producer.closed':
        this.#pausedProducers.delete(n.data.producerId);
        this.#dropProducer(n.data.producerId);
        break;
      case 'producer.paused':
      case 'producer.resumed':
        this.#remotePaused(n.data.producerId, n.data.participantId, n.method === 'producer.paused');
        break;
      case 'meeting.closed':
        this.#close(`meeting closed: ${n.data.reason}`);
        break;
    }
  }

  /** mediasoup-client transport options for a transport the server created. */
  #transportOptions(info: ResultData<'transport.create'>): ms.TransportOptions {
    return {
      id: info.transportId,
      iceParameters: info.iceParameters,
      iceCandidates: toClient(info.iceCandidates),
      dtlsParameters: info.dtlsParameters,
      ...(this.#e2ee.peerConnectionSettings && {
        additionalSettings: this.#e2ee.peerConnectionSettings,
      }),
    };
  }

  async #openRecvTransport(): Promise<void> {
    const info = await this.#signaling.request('transport.create', { direction: 'recv' });
    const transport = this.#device.createRecvTransport(this.#transportOptions(info));
    this.#wireConnect(transport);
    this.#recvTransport = transport;
    this.#recvReady.resolve(transport);
  }

  async #openSendTransport(): Promise<ms.Transport> {
    const info = await this.#signaling.request('transport.create', { direction: 'send' });
    const transport = this.#device.createSendTransport(this.#transportOptions(info));
    this.#wireConnect(transport);
    transport.on('produce', ({ kind, rtpParameters }, callback, errback) => {
      this.#signaling
        .request('producer.create', {
          transportId: transport.id,
          kind,
          rtpParameters: toClient(rtpParameters),
        })
        .then(({ producerId }) => callback({ id: producerId }), errback);
    });
    return transport;
  }

  #wireConnect(transport: ms.Transport): void {
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.#signaling
        .request('transport.connect', {
          transportId: transport.id,
          dtlsParameters: toClient(dtlsParameters),
        })
        .then(() => callback(), errback);
    });
  }

  async #consume(producer: ProducerInfo): Promise<void> {
    const known = [...this.#remote.values()].some((t) => t.producerId === producer.producerId);
    if (
      producer.participantId === this.participantId ||
      known ||
      this.#consuming.has(producer.producerId)
    ) {
      return;
    }
    this.#consuming.add(producer.producerId);
    try {
      const transport = await this.#recvReady.promise;
      if (this.#closed || this.#closedProducers.has(producer.producerId)) return;
      const info = await this.#signaling.request('consumer.create', {
        transportId: transport.id,
        producerId: producer.producerId,
      });
      let transformId = '';
      const consumer = await transport.consume({
        id: info.consumerId,
        producerId: info.producerId,
        kind: info.kind,
        rtpParameters: toClient(info.rtpParameters),
        onRtpReceiver: (receiver) => {
          transformId = this.#e2ee.attachReceiver(
            receiver,
            info.kind,
            producer.senderIndex,
            info.rtpParameters.codecs[0]?.mimeType,
          );
        },
      });
      const remote: RemoteTrack = {
        participantId: info.participantId,
        senderIndex: producer.senderIndex,
        producerId: info.producerId,
        consumerId: consumer.id,
        kind: info.kind,
        track: consumer.track,
        transformId,
        paused: this.#pausedProducers.has(info.producerId),
      };
      this.#consumers.set(consumer.id, consumer);
      this.#remote.set(consumer.id, remote);
      if (this.#closedProducers.has(producer.producerId) || this.#closed) {
        this.#dropProducer(producer.producerId);
        return;
      }
      await this.#signaling.request('consumer.resume', { consumerId: consumer.id });
      this.emit('track', remote);
    } catch (e) {
      if (this.#closed || this.#closedProducers.has(producer.producerId)) return;
      console.warn(`[canopy] cannot receive producer ${producer.producerId}`, e);
    } finally {
      this.#consuming.delete(producer.producerId);
    }
  }

  /** Someone paused or resumed a producer: its consumed track says so (the server checked the sender). */
  #remotePaused(producerId: string, participantId: string, paused: boolean): void {
    if (paused) this.#pausedProducers.add(producerId);
    else this.#pausedProducers.delete(producerId);
    for (const remote of this.#remote.values()) {
      if (remote.producerId !== producerId || remote.participantId !== participantId) continue;
      if (remote.paused === paused) continue;
      remote.paused = paused;
      this.emit('trackpaused', remote);
    }
  }

  #dropProducer(producerId: string): void {
    this.#closedProducers.add(producerId);
    for (const remote of [...this.#remote.values()]) {
      if (remote.producerId !== producerId) continue;
      this.#remote.delete(remote.consumerId);
      this.#consumers.get(remote.consumerId)?.close();
      this.#consumers.delete(remote.consumerId);
      this.emit('trackended', remote);
    }
  }

  #close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const remote of this.#remote.values()) this.emit('trackended', remote);
    this.#remote.clear();
    this.#consumers.clear();
    this.#local.clear();
    this.#recvReady.reject(new SignalingError('closed', 'the meeting is closed'));
    this.#recvReady.promise.catch(() => {});
    this.#recvTransport?.close();
    void this.#sendTransport?.then(
      (t) => t.close(),
      () => {},
    );
    this.#signaling.close();
    this.#e2ee.close();
    this.emit('closed', reason);
  }
}
