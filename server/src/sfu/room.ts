/**
 * A meeting's media: one mediasoup router on one worker, and the peers that
 * send and receive through it.
 *
 * Lifecycle: `SfuRoom.create()` makes the router; `close()` closes it and
 * every peer. The room also closes when its worker dies (reason
 * `worker-died`). Emits `close` once, with the reason.
 */
import { EventEmitter } from 'node:events';
import { RtpCapabilities, RtpParameters } from '@canopy/shared/protocol';
import { SfuError } from './errors.js';
import type {
  MsProducer,
  MsRouter,
  MsRouterCodec,
  MsWebRtcTransportOptions,
} from './mediasoup-api.js';
import { DEFAULT_PEER_LIMITS, type PeerLimits, type RoomContext, SfuPeer } from './peer.js';
import { RtpTap } from './tap.js';
import type { WorkerPool } from './worker-pool.js';

export type RoomCloseReason = 'closed' | 'worker-died';

export interface SfuRoomOptions {
  /** Codecs the router offers; SFrame knows the clear bytes of VP8 and Opus. */
  mediaCodecs?: MsRouterCodec[];
  transportOptions: MsWebRtcTransportOptions;
  limits?: Partial<PeerLimits>;
}

export interface SfuRoomEvents {
  close: [reason: RoomCloseReason];
}

export const DEFAULT_MEDIA_CODECS: MsRouterCodec[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
];

export class SfuRoom extends EventEmitter<SfuRoomEvents> {
  readonly #router: MsRouter;
  readonly #peers = new Map<string, SfuPeer>();
  readonly #producers = new Map<string, { producer: MsProducer; peer: SfuPeer }>();
  readonly #context: RoomContext;
  /** The router's RTP capabilities, in the protocol's (validated) shape. */
  readonly rtpCapabilities: RtpCapabilities;
  #closed = false;

  /** Create the room's router on the pool's least-loaded worker. */
  static async create(pool: WorkerPool, id: string, options: SfuRoomOptions): Promise<SfuRoom> {
    let router: MsRouter;
    try {
      router = await pool.createRouter({
        mediaCodecs: options.mediaCodecs ?? DEFAULT_MEDIA_CODECS,
      });
    } catch (e) {
      if (e instanceof SfuError) throw e;
      throw new SfuError('mediasoup-error', `cannot create a router: ${(e as Error).message}`);
    }
    const caps = RtpCapabilities.safeParse(router.rtpCapabilities);
    if (!caps.success) {
      router.close();
      throw new SfuError('mediasoup-error', 'router capabilities out of protocol bounds');
    }
    return new SfuRoom(id, router, caps.data, options);
  }

  private constructor(
    readonly id: string,
    router: MsRouter,
    rtpCapabilities: RtpCapabilities,
    options: SfuRoomOptions,
  ) {
    super();
    this.#router = router;
    this.rtpCapabilities = rtpCapabilities;
    const producers = this.#producers;
    const peers = this.#peers;
    this.#context = {
      router,
      transportOptions: options.transportOptions,
      limits: { ...DEFAULT_PEER_LIMITS, ...options.limits },
      findProducer: (producerId) => producers.get(producerId),
      producerOpened: (producer, peer) => producers.set(producer.id, { producer, peer }),
      producerClosed: (producerId) => producers.delete(producerId),
      peerClosed: (peer) => {
        if (peers.get(peer.id) === peer) peers.delete(peer.id);
      },
    };
    router.on('workerclose', () => this.#close('worker-died'));
    router.observer.on('close', () => this.#close('closed'));
  }

  get closed(): boolean {
    return this.#closed;
  }

  get peers(): SfuPeer[] {
    return [...this.#peers.values()];
  }

  /** Ids of every live producer in the room. */
  get producerIds(): string[] {
    return [...this.#producers.keys()];
  }

  /** Add a participant; its id must be new in this room. */
  addPeer(participantId: string): SfuPeer {
    if (this.#closed) throw new SfuError('room-closed', `room ${this.id} is closed`);
    if (this.#peers.has(participantId)) {
      throw new SfuError(
        'limit-exceeded',
        `participant ${participantId} is already in room ${this.id}`,
      );
    }
    const peer = new SfuPeer(participantId, this.#context);
    this.#peers.set(participantId, peer);
    return peer;
  }

  peer(participantId: string): SfuPeer | undefined {
    return this.#peers.get(participantId);
  }

  /** Consume `producerId` inside the server (see RtpTap). */
  async tap(producerId: string): Promise<RtpTap> {
    if (this.#closed) throw new SfuError('room-closed', `room ${this.id} is closed`);
    if (!this.#producers.has(producerId)) {
      throw new SfuError('producer-not-found', `no producer ${producerId} in room ${this.id}`);
    }
    const transport = await this.#router.createDirectTransport();
    try {
      const consumer = await transport.consume({
        producerId,
        rtpCapabilities: this.#router.rtpCapabilities,
        paused: false,
      });
      const rtpParameters = RtpParameters.parse(consumer.rtpParameters);
      return new RtpTap(producerId, rtpParameters, transport, consumer);
    } catch (e) {
      transport.close();
      throw new SfuError(
        'mediasoup-error',
        `cannot tap producer ${producerId}: ${(e as Error).message}`,
      );
    }
  }

  /** The router's state as the worker reports it (transports, producers, consumers). */
  dump(): Promise<unknown> {
    return this.#router.dump();
  }

  /** Close every peer and the router; idempotent. */
  close(): void {
    this.#close('closed');
  }

  #close(reason: RoomCloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const peer of [...this.#peers.values()]) peer.close();
    this.#peers.clear();
    this.#producers.clear();
    this.#router.close();
    this.emit('close', reason);
  }
}
