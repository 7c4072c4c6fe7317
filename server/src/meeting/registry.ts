/**
 * Every meeting on this server, by id. A meeting exists while someone is in
 * it: the first join creates it (and its SFU room), the last leave ends it.
 */
import { randomBytes } from 'node:crypto';
import type { Sfu } from '../sfu/index.js';
import { MeetingError } from './errors.js';
import { type JoinSnapshot, Meeting, type ParticipantSink } from './meeting.js';

export interface MeetingRegistryOptions {
  /** Most participants in one meeting; default 1000. */
  maxParticipants?: number;
}

export class MeetingRegistry {
  readonly #sfu: Sfu;
  readonly #meetings = new Map<string, Meeting>();
  readonly #maxParticipants: number;

  constructor(sfu: Sfu, options: MeetingRegistryOptions = {}) {
    this.#sfu = sfu;
    this.#maxParticipants = options.maxParticipants ?? 1000;
  }

  get meetings(): Meeting[] {
    return [...this.#meetings.values()];
  }

  get(meetingId: string): Meeting | undefined {
    return this.#meetings.get(meetingId);
  }

  /**
   * Join (creating if needed) a meeting as a new participant with a fresh id;
   * `senderIndex` is its MLS leaf index (default: the meeting's next free index).
   */
  async join(
    meetingId: string,
    displayName: string,
    sink: ParticipantSink,
    senderIndex?: number,
  ): Promise<JoinSnapshot> {
    // A meeting can end (and its room close) while we wait for its room; then try a new one.
    for (let attempt = 0; attempt < 3; attempt++) {
      const room = await this.#sfu.room(meetingId);
      if (room.closed) continue;
      let meeting = this.#meetings.get(meetingId);
      if (!meeting || meeting.room !== room) {
        const created = new Meeting(meetingId, room, { maxParticipants: this.#maxParticipants });
        created.once('close', () => {
          if (this.#meetings.get(meetingId) === created) this.#meetings.delete(meetingId);
        });
        this.#meetings.set(meetingId, created);
        meeting = created;
      }
      try {
        return meeting.join(newParticipantId(), displayName, sink, senderIndex);
      } catch (e) {
        if (meeting.size === 0) meeting.room.close();
        throw e;
      }
    }
    throw new MeetingError('meeting-closed', `meeting ${meetingId} keeps closing; try again`);
  }

  /** Close every meeting (and its room). */
  close(): void {
    for (const meeting of [...this.#meetings.values()]) meeting.room.close();
    this.#meetings.clear();
  }
}

function newParticipantId(): string {
  return `p-${randomBytes(12).toString('base64url')}`;
}
