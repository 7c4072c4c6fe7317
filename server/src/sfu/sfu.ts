/**
 * Canopy's SFU: a pool of mediasoup workers and one room (router) per meeting,
 * placed on the least-loaded worker.
 *
 * Lifecycle: `Sfu.create()` starts the workers; `room(meetingId)` gets or
 * creates a meeting's room; a room leaves the SFU when it closes (explicitly,
 * or because its worker died: the pool then restarts the worker and the
 * meeting can get a new room). `close()` closes every room and worker.
 */
import { EventEmitter } from 'node:events';
import { SfuError } from './errors.js';
import type { MediasoupApi, MsWorker, MsWorkerSettings } from './mediasoup-api.js';
import type { PeerLimits } from './peer.js';
import { type RoomCloseReason, SfuRoom, type SfuRoomOptions } from './room.js';
import { WorkerPool } from './worker-pool.js';

export interface SfuOptions {
  /** The mediasoup module (see loadMediasoup). */
  mediasoup: MediasoupApi;
  /** Number of workers; default: one per core. */
  workers?: number;
  workerSettings?: MsWorkerSettings;
  /** Addresses WebRtcTransports listen on (mediasoup `listenIps`). */
  listenIps: { ip: string; announcedIp?: string }[];
  /** Per-participant bounds. */
  limits?: Partial<PeerLimits>;
  mediaCodecs?: SfuRoomOptions['mediaCodecs'];
}

export interface SfuEvents {
  roomclose: [room: SfuRoom, reason: RoomCloseReason];
  workerdied: [pid: number, error: Error];
  workerrestarted: [pid: number];
  workerrestartfailed: [error: Error];
}

export class Sfu extends EventEmitter<SfuEvents> {
  readonly pool: WorkerPool;
  readonly #roomOptions: SfuRoomOptions;
  readonly #rooms = new Map<string, SfuRoom>();
  readonly #creating = new Map<string, Promise<SfuRoom>>();
  #closed = false;

  static async create(options: SfuOptions): Promise<Sfu> {
    const pool = await WorkerPool.create(options.mediasoup, {
      ...(options.workers !== undefined && { size: options.workers }),
      ...(options.workerSettings && { settings: options.workerSettings }),
    });
    return new Sfu(pool, options);
  }

  private constructor(pool: WorkerPool, options: SfuOptions) {
    super();
    this.pool = pool;
    this.#roomOptions = {
      transportOptions: {
        listenIps: options.listenIps,
        enableUdp: true,
        enableTcp: true,
        preferUdp: true,
        initialAvailableOutgoingBitrate: 1_000_000,
      },
      ...(options.limits && { limits: options.limits }),
      ...(options.mediaCodecs && { mediaCodecs: options.mediaCodecs }),
    };
    pool.on('workerdied', (worker: MsWorker, error) => this.emit('workerdied', worker.pid, error));
    pool.on('workerrestarted', (worker: MsWorker) => this.emit('workerrestarted', worker.pid));
    pool.on('workerrestartfailed', (error) => this.emit('workerrestartfailed', error));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The live rooms. */
  get rooms(): SfuRoom[] {
    return [...this.#rooms.values()];
  }

  /** The meeting's room, created on the least-loaded worker if it has none. */
  async room(meetingId: string): Promise<SfuRoom> {
    if (this.#closed) throw new SfuError('sfu-closed', 'the SFU is closed');
    const existing = this.#rooms.get(meetingId);
    if (existing) return existing;
    let pending = this.#creating.get(meetingId);
    if (!pending) {
      pending = this.#createRoom(meetingId).finally(() => this.#creating.delete(meetingId));
      this.#creating.set(meetingId, pending);
    }
    return pending;
  }

  /** The meeting's room if it has one. */
  existingRoom(meetingId: string): SfuRoom | undefined {
    return this.#rooms.get(meetingId);
  }

  /** Close every room and worker; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const room of [...this.#rooms.values()]) room.close();
    this.pool.close();
  }

  async #createRoom(meetingId: string): Promise<SfuRoom> {
    const room = await SfuRoom.create(this.pool, meetingId, this.#roomOptions);
    if (this.#closed) {
      room.close();
      throw new SfuError('sfu-closed', 'the SFU is closed');
    }
    this.#rooms.set(meetingId, room);
    room.once('close', (reason) => {
      if (this.#rooms.get(meetingId) === room) this.#rooms.delete(meetingId);
      this.emit('roomclose', room, reason);
    });
    return room;
  }
}
