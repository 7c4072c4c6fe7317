/**
 * A meeting: its participants, the SFrame sender index each one was given,
 * the tracks they send, and the notifications that keep every participant's
 * view current. Media goes through the meeting's SfuRoom.
 *
 * Lifecycle: created by the MeetingRegistry for a room; participants `join()`
 * and `leave()`; the meeting closes when its last participant leaves (reason
 * `ended`) or its room fails (reason `sfu-failure`, every participant is told
 * `meeting.closed`). Emits `close` once.
 */
import { EventEmitter } from 'node:events';
import {
  type MediaKind,
  type Notification,
  type NotificationData,
  type NotificationMethod,
  type ParticipantInfo,
  type ProducerInfo,
  SenderIndex,
} from '@canopy/shared/protocol';
import type { SfuPeer, SfuRoom } from '../sfu/index.js';
import { MeetingError } from './errors.js';

export type MeetingCloseReason = 'ended' | 'sfu-failure';

/** Where a participant's notifications go (its signaling session). */
export interface ParticipantSink {
  notify(notification: Notification): void;
  /** The meeting dropped this participant (it closed); the session is no longer joined. */
  removed(reason: MeetingCloseReason): void;
}

/** Someone in a meeting, and their media in the SFU. */
export class Participant {
  /** @internal Created by `Meeting.join()`. */
  constructor(
    readonly id: string,
    readonly displayName: string,
    readonly senderIndex: number,
    readonly peer: SfuPeer,
    readonly meeting: Meeting,
  ) {}

  get info(): ParticipantInfo {
    return { participantId: this.id, displayName: this.displayName, senderIndex: this.senderIndex };
  }
}

export interface JoinSnapshot {
  participant: Participant;
  /** Everyone else already in the meeting. */
  participants: ParticipantInfo[];
  /** Every track already being sent. */
  producers: ProducerInfo[];
}

export interface MeetingEvents {
  close: [reason: MeetingCloseReason];
}

const MAX_SENDER_INDEX = SenderIndex.maxValue ?? 0xffff;

export class Meeting extends EventEmitter<MeetingEvents> {
  readonly #members = new Map<string, { participant: Participant; sink: ParticipantSink }>();
  readonly #producers = new Map<string, ProducerInfo>();
  readonly #maxParticipants: number;
  /**
   * Sender indices for joins that bring none (the signaling sessions give
   * each participant its MLS leaf index); never reused within a meeting.
   */
  #nextSenderIndex = 0;
  #closed = false;

  /** @internal Created by the MeetingRegistry. */
  constructor(
    readonly id: string,
    readonly room: SfuRoom,
    options: { maxParticipants: number },
  ) {
    super();
    this.#maxParticipants = options.maxParticipants;
    room.once('close', (reason) => this.#close(reason === 'worker-died' ? 'sfu-failure' : 'ended'));
  }

  get closed(): boolean {
    return this.#closed;
  }

  get size(): number {
    return this.#members.size;
  }

  get participants(): Participant[] {
    return [...this.#members.values()].map((m) => m.participant);
  }

  /**
   * Add a participant; everyone else is told `participant.joined`. With
   * `senderIndex` (its MLS leaf index), no one else in the meeting may hold it.
   */
  join(
    participantId: string,
    displayName: string,
    sink: ParticipantSink,
    senderIndex?: number,
  ): JoinSnapshot {
    if (this.#closed) throw new MeetingError('meeting-closed', `meeting ${this.id} has closed`);
    if (this.#members.size >= this.#maxParticipants) {
      throw new MeetingError(
        'meeting-full',
        `meeting ${this.id} has ${this.#maxParticipants} participants`,
      );
    }
    if (senderIndex !== undefined) {
      if (!Number.isInteger(senderIndex) || senderIndex < 0 || senderIndex > MAX_SENDER_INDEX)
        throw new MeetingError('sender-index-taken', `sender index ${senderIndex} is out of range`);
      for (const m of this.#members.values())
        if (m.participant.senderIndex === senderIndex)
          throw new MeetingError('sender-index-taken', `sender index ${senderIndex} is in use`);
    } else if (this.#nextSenderIndex > MAX_SENDER_INDEX) {
      throw new MeetingError(
        'sender-indices-exhausted',
        `meeting ${this.id} has used every sender index`,
      );
    }
    const peer = this.room.addPeer(participantId);
    const index = senderIndex ?? this.#nextSenderIndex++;
    const participant = new Participant(participantId, displayName, index, peer, this);
    const snapshot: JoinSnapshot = {
      participant,
      participants: this.participants.map((p) => p.info),
      producers: [...this.#producers.values()],
    };
    this.#members.set(participantId, { participant, sink });
    peer.on('produceropen', (producerId, kind) =>
      this.#producerOpened(participant, producerId, kind),
    );
    peer.on('producerclose', (producerId) => this.#producerClosed(participant, producerId));
    peer.on('producerpause', (producerId, paused) =>
      this.#producerPaused(participant, producerId, paused),
    );
    this.#broadcast('participant.joined', participant.info, participantId);
    return snapshot;
  }

  /** Remove a participant and everything it sends or receives; idempotent. */
  leave(participantId: string): void {
    const member = this.#members.get(participantId);
    if (!member) return;
    this.#members.delete(participantId);
    member.participant.peer.close();
    this.#broadcast('participant.left', { participantId }, participantId);
    if (this.#members.size === 0) this.room.close();
  }

  #producerOpened(participant: Participant, producerId: string, kind: MediaKind): void {
    const info: ProducerInfo = {
      producerId,
      participantId: participant.id,
      senderIndex: participant.senderIndex,
      kind,
    };
    this.#producers.set(producerId, info);
    this.#broadcast('producer.new', info, participant.id);
  }

  #producerClosed(participant: Participant, producerId: string): void {
    if (!this.#producers.delete(producerId)) return;
    this.#broadcast(
      'producer.closed',
      { producerId, participantId: participant.id },
      participant.id,
    );
  }

  /** Later joiners learn the state from their snapshot; those in the meeting are told now. */
  #producerPaused(participant: Participant, producerId: string, paused: boolean): void {
    const info = this.#producers.get(producerId);
    if (!info) return;
    const { paused: _, ...flowing } = info;
    this.#producers.set(producerId, paused ? { ...flowing, paused: true } : flowing);
    const data = { producerId, participantId: participant.id };
    this.#broadcast(paused ? 'producer.paused' : 'producer.resumed', data, participant.id);
  }

  #broadcast<M extends NotificationMethod>(
    method: M,
    data: NotificationData<M>,
    except: string,
  ): void {
    if (this.#closed) return;
    const notification = { method, data } as Notification;
    for (const [id, { sink }] of this.#members) if (id !== except) sink.notify(notification);
  }

  #close(reason: MeetingCloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    const members = [...this.#members.values()];
    this.#members.clear();
    this.#producers.clear();
    for (const { participant, sink } of members) {
      participant.peer.close();
      sink.notify({ method: 'meeting.closed', data: { reason } });
      sink.removed(reason);
    }
    this.emit('close', reason);
  }
}
