/**
 * One participant's media in one room: its WebRtcTransports, the producers it
 * sends and the consumers it receives. Every object is tracked from creation
 * to close whatever closes it (an explicit request, its transport, the router,
 * the worker), so closing the peer leaves nothing behind in the worker.
 *
 * Lifecycle: created by `SfuRoom.addPeer()`, closed by `close()` or by its
 * room closing. Emits `produceropen` for each new producer, `producerclose`
 * for each of its producers however it closed, then `close` once.
 */
import { EventEmitter } from 'node:events';
import {
  type DtlsParameters,
  type IceCandidate,
  type IceParameters,
  type MediaKind,
  type RtpCapabilities,
  RtpParameters,
} from '@canopy/shared/protocol';
import { SfuError } from './errors.js';
import type {
  MsConsumer,
  MsProducer,
  MsRouter,
  MsWebRtcTransport,
  MsWebRtcTransportOptions,
} from './mediasoup-api.js';

export type TransportDirection = 'send' | 'recv';

/** Per-peer bounds, so one participant cannot exhaust the worker. */
export interface PeerLimits {
  maxTransports: number;
  maxProducers: number;
  maxConsumers: number;
}

export const DEFAULT_PEER_LIMITS: PeerLimits = {
  maxTransports: 4,
  maxProducers: 8,
  maxConsumers: 4096,
};

/** What the client needs to create its side of a WebRtcTransport. */
export interface TransportDescription {
  transportId: string;
  iceParameters: IceParameters;
  iceCandidates: IceCandidate[];
  dtlsParameters: DtlsParameters;
}

export interface ConsumerDescription {
  consumerId: string;
  producerId: string;
  /** Who sends what this consumer receives. */
  participantId: string;
  kind: MediaKind;
  rtpParameters: RtpParameters;
}

export interface PeerEvents {
  produceropen: [producerId: string, kind: MediaKind];
  /** One of its producers paused or resumed (only on a change). */
  producerpause: [producerId: string, paused: boolean];
  producerclose: [producerId: string, kind: MediaKind];
  close: [];
}

/** What a peer needs from its room (internal to the SFU layer). */
export interface RoomContext {
  readonly router: MsRouter;
  readonly transportOptions: MsWebRtcTransportOptions;
  readonly limits: PeerLimits;
  findProducer(producerId: string): { producer: MsProducer; peer: SfuPeer } | undefined;
  producerOpened(producer: MsProducer, peer: SfuPeer): void;
  producerClosed(producerId: string): void;
  peerClosed(peer: SfuPeer): void;
}

interface TrackedTransport {
  readonly transport: MsWebRtcTransport;
  readonly direction: TransportDirection;
  connected: boolean;
}

type Counted = 'transports' | 'producers' | 'consumers';

export class SfuPeer extends EventEmitter<PeerEvents> {
  readonly #room: RoomContext;
  readonly #transports = new Map<string, TrackedTransport>();
  readonly #producers = new Map<string, MsProducer>();
  readonly #consumers = new Map<string, MsConsumer>();
  /** The last pause or resume of each producer, which the next one waits for. */
  readonly #pausing = new Map<string, Promise<void>>();
  /** Creations under way, counted against the limits before they finish. */
  readonly #pending: Record<Counted, number> = { transports: 0, producers: 0, consumers: 0 };
  #rtpCapabilities: RtpCapabilities | undefined;
  #closed = false;

  /** @internal Use `SfuRoom.addPeer()`. */
  constructor(
    readonly id: string,
    room: RoomContext,
  ) {
    super();
    this.#room = room;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Counts of live objects, for monitoring and tests. */
  get stats(): { transports: number; producers: number; consumers: number } {
    return {
      transports: this.#transports.size,
      producers: this.#producers.size,
      consumers: this.#consumers.size,
    };
  }

  /** Ids of this peer's live producers. */
  get producerIds(): string[] {
    return [...this.#producers.keys()];
  }

  /** Ids of this peer's producers that are paused (muted, camera off). */
  get pausedProducerIds(): string[] {
    return [...this.#producers.values()].filter((p) => p.paused).map((p) => p.id);
  }

  /** This peer's live consumers and whether each is paused. */
  get consumers(): { consumerId: string; producerId: string; paused: boolean }[] {
    return [...this.#consumers.values()].map((c) => ({
      consumerId: c.id,
      producerId: c.producerId,
      paused: c.paused,
    }));
  }

  /** Record what the participant's device can receive (needed to consume). */
  setRtpCapabilities(rtpCapabilities: RtpCapabilities): void {
    this.#assertOpen();
    this.#rtpCapabilities = rtpCapabilities;
  }

  /** Create a WebRtcTransport for sending or receiving. */
  async createTransport(direction: TransportDirection): Promise<TransportDescription> {
    const release = this.#reserve('transports', this.#room.limits.maxTransports);
    let transport: MsWebRtcTransport;
    try {
      transport = await this.#room.router.createWebRtcTransport(this.#room.transportOptions);
    } catch (e) {
      this.#assertOpen();
      throw new SfuError('mediasoup-error', `cannot create a transport: ${(e as Error).message}`);
    } finally {
      release();
    }
    if (this.#closed) {
      transport.close();
      this.#assertOpen();
    }
    const id = transport.id;
    this.#transports.set(id, { transport, direction, connected: false });
    transport.observer.on('close', () => this.#transports.delete(id));
    // A transport whose DTLS failed or was closed by the remote side is dead.
    transport.on('dtlsstatechange', (state) => {
      if (state === 'failed' || state === 'closed') transport.close();
    });
    return {
      transportId: id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates.map((c) => ({ ...c, address: c.ip })),
      dtlsParameters: transport.dtlsParameters,
    };
  }

  /** Complete a transport with the client's DTLS parameters (once). */
  async connectTransport(transportId: string, dtlsParameters: DtlsParameters): Promise<void> {
    const tracked = this.#transport(transportId);
    if (tracked.connected)
      throw new SfuError('already-connected', `transport ${transportId} is already connected`);
    tracked.connected = true;
    try {
      await tracked.transport.connect({ dtlsParameters });
    } catch (e) {
      tracked.connected = false;
      this.#assertOpen();
      throw new SfuError('invalid-dtls-parameters', `cannot connect: ${(e as Error).message}`);
    }
  }

  /** Close one of this peer's transports, with the producers and consumers on it. */
  closeTransport(transportId: string): void {
    this.#transport(transportId).transport.close();
  }

  /** Start receiving a track from the participant on one of its send transports. */
  async produce(
    transportId: string,
    kind: MediaKind,
    rtpParameters: RtpParameters,
  ): Promise<string> {
    const tracked = this.#transport(transportId);
    if (tracked.direction !== 'send') {
      throw new SfuError('wrong-direction', `transport ${transportId} is not a send transport`);
    }
    const release = this.#reserve('producers', this.#room.limits.maxProducers);
    let producer: MsProducer;
    try {
      producer = await tracked.transport.produce({ kind, rtpParameters });
    } catch (e) {
      this.#assertOpen();
      if (tracked.transport.closed) {
        throw new SfuError('transport-not-found', `transport ${transportId} closed`);
      }
      throw new SfuError('invalid-rtp-parameters', `cannot produce: ${(e as Error).message}`);
    } finally {
      release();
    }
    if (this.#closed || producer.closed) {
      producer.close();
      this.#assertOpen();
      throw new SfuError('transport-not-found', `transport ${transportId} closed`);
    }
    const id = producer.id;
    this.#producers.set(id, producer);
    this.#room.producerOpened(producer, this);
    producer.observer.on('close', () => {
      this.#producers.delete(id);
      this.#room.producerClosed(id);
      this.emit('producerclose', id, producer.kind);
    });
    this.emit('produceropen', id, producer.kind);
    return id;
  }

  /** Stop a producer of this peer; its consumers everywhere close with it. */
  closeProducer(producerId: string): void {
    this.#assertOpen();
    const producer = this.#producers.get(producerId);
    if (!producer)
      throw new SfuError('producer-not-found', `no producer ${producerId} of this participant`);
    producer.close();
  }

  /**
   * Pause or resume one of this peer's own producers (mute, camera off): the
   * router stops or restarts forwarding it. Another peer's producer is not
   * found here, so only its owner can change it. Requests for one producer
   * apply in the order they came (a quick mute and unmute ends unmuted).
   */
  async setProducerPaused(producerId: string, paused: boolean): Promise<void> {
    this.#assertOpen();
    const producer = this.#producers.get(producerId);
    if (!producer)
      throw new SfuError('producer-not-found', `no producer ${producerId} of this participant`);
    const before = this.#pausing.get(producerId) ?? Promise.resolve();
    const mine = before.catch(() => {}).then(() => this.#applyPaused(producer, paused));
    this.#pausing.set(producerId, mine);
    try {
      await mine;
    } finally {
      if (this.#pausing.get(producerId) === mine) this.#pausing.delete(producerId);
    }
  }

  async #applyPaused(producer: MsProducer, paused: boolean): Promise<void> {
    if (producer.closed) throw new SfuError('producer-not-found', `producer ${producer.id} closed`);
    if (producer.paused === paused) return;
    try {
      await (paused ? producer.pause() : producer.resume());
    } catch (e) {
      if (producer.closed)
        throw new SfuError('producer-not-found', `producer ${producer.id} closed`);
      throw new SfuError('mediasoup-error', `cannot pause: ${(e as Error).message}`);
    }
    if (!producer.closed) this.emit('producerpause', producer.id, paused);
  }

  /** Receive another participant's producer on one of this peer's recv transports, paused. */
  async consume(transportId: string, producerId: string): Promise<ConsumerDescription> {
    const tracked = this.#transport(transportId);
    if (tracked.direction !== 'recv') {
      throw new SfuError('wrong-direction', `transport ${transportId} is not a recv transport`);
    }
    const rtpCapabilities = this.#rtpCapabilities;
    if (!rtpCapabilities) {
      throw new SfuError('rtp-capabilities-required', 'send rtpCapabilities.set before consuming');
    }
    const source = this.#room.findProducer(producerId);
    if (!source) {
      throw new SfuError('producer-not-found', `no producer ${producerId} in this meeting`);
    }
    if (source.peer === this) {
      throw new SfuError('cannot-consume', 'a participant does not consume its own producers');
    }
    if (!this.#room.router.canConsume({ producerId, rtpCapabilities })) {
      throw new SfuError('cannot-consume', `this device cannot receive producer ${producerId}`);
    }
    const release = this.#reserve('consumers', this.#room.limits.maxConsumers);
    let consumer: MsConsumer;
    try {
      consumer = await tracked.transport.consume({ producerId, rtpCapabilities, paused: true });
    } catch (e) {
      this.#assertOpen();
      throw new SfuError('mediasoup-error', `cannot consume: ${(e as Error).message}`);
    } finally {
      release();
    }
    const rtpParameters = RtpParameters.safeParse(consumer.rtpParameters);
    if (this.#closed || consumer.closed || !rtpParameters.success) {
      consumer.close();
      this.#assertOpen();
      throw new SfuError(
        'mediasoup-error',
        rtpParameters.success
          ? `producer ${producerId} closed`
          : 'consumer parameters out of protocol bounds',
      );
    }
    const id = consumer.id;
    this.#consumers.set(id, consumer);
    consumer.observer.on('close', () => this.#consumers.delete(id));
    return {
      consumerId: id,
      producerId,
      participantId: source.peer.id,
      kind: consumer.kind,
      rtpParameters: rtpParameters.data,
    };
  }

  /** Let a paused consumer's media flow (the client's receiver is ready). */
  async resumeConsumer(consumerId: string): Promise<void> {
    this.#assertOpen();
    const consumer = this.#consumers.get(consumerId);
    if (!consumer)
      throw new SfuError('consumer-not-found', `no consumer ${consumerId} of this participant`);
    try {
      await consumer.resume();
    } catch (e) {
      if (consumer.closed)
        throw new SfuError('consumer-not-found', `consumer ${consumerId} closed`);
      throw new SfuError('mediasoup-error', `cannot resume: ${(e as Error).message}`);
    }
  }

  /** Close everything this peer has; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Closing a transport closes its producers and consumers (and their observers fire).
    for (const { transport } of [...this.#transports.values()]) transport.close();
    this.#transports.clear();
    this.#producers.clear();
    this.#consumers.clear();
    this.#room.peerClosed(this);
    this.emit('close');
  }

  #transport(transportId: string): TrackedTransport {
    this.#assertOpen();
    const tracked = this.#transports.get(transportId);
    if (!tracked || tracked.transport.closed) {
      throw new SfuError('transport-not-found', `no transport ${transportId} of this participant`);
    }
    return tracked;
  }

  #reserve(what: Counted, max: number): () => void {
    this.#assertOpen();
    const live =
      what === 'transports'
        ? this.#transports
        : what === 'producers'
          ? this.#producers
          : this.#consumers;
    if (live.size + this.#pending[what] >= max) {
      throw new SfuError('limit-exceeded', `at most ${max} ${what} per participant`);
    }
    this.#pending[what]++;
    let released = false;
    return () => {
      if (!released) this.#pending[what]--;
      released = true;
    };
  }

  #assertOpen(): void {
    if (this.#closed) throw new SfuError('peer-closed', `participant ${this.id} has left the SFU`);
  }
}
