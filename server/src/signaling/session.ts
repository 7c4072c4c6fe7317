/**
 * One participant's signaling session: binds a connection's requests to the
 * meeting it joined and to its media in the SFU, and relays the meeting's
 * notifications to it.
 *
 * Media is bound to MLS membership: `meeting.join` succeeds only when this
 * same connection is an admitted member of that meeting's MLS group (the
 * delivery service runs on the same WebSocket; membership implies a verified
 * link and an AS credential), and the participant sends under its MLS leaf
 * index, the sender index of its SFrame KIDs. Removal from the group closes
 * the connection, and with it the media.
 *
 * Lifecycle: created per connection; not joined → `meeting.join` → joined →
 * `meeting.leave`, the connection closing, or the meeting closing → not joined.
 */
import type {
  Notification,
  Request,
  RequestData,
  RequestMethod,
  ResultData,
} from '@canopy/shared/protocol';
import type { DeliveryMember } from '../delivery/index.js';
import type {
  MeetingCloseReason,
  MeetingRegistry,
  Participant,
  ParticipantSink,
} from '../meeting/index.js';
import type { SignalingConnection } from './connection.js';
import { SessionError } from './errors.js';

type Handlers = {
  [M in RequestMethod]: (data: RequestData<M>) => Promise<ResultData<M>> | ResultData<M>;
};

/** Who a connection is in its meeting's MLS group (DeliveryService.memberOf). */
export type Membership = (connectionId: string) => Promise<DeliveryMember | undefined>;

export class MediaSession implements ParticipantSink {
  readonly #connection: SignalingConnection;
  readonly #registry: MeetingRegistry;
  readonly #log: (message: string, error?: unknown) => void;
  readonly #membership: Membership;
  #participant: Participant | undefined;
  #member: DeliveryMember | undefined;
  /** Notifications held back until the join response has gone out. */
  #held: Notification[] | undefined;

  constructor(
    connection: SignalingConnection,
    registry: MeetingRegistry,
    membership: Membership,
    log: (message: string, error?: unknown) => void = (m, e) =>
      console.error(`[session] ${m}`, e ?? ''),
  ) {
    this.#connection = connection;
    this.#registry = registry;
    this.#membership = membership;
    this.#log = log;
    connection.setHandler((request) => this.#handle(request));
    connection.once('close', () => this.#leave());
  }

  /** The participant this session is, while joined. */
  get participant(): Participant | undefined {
    return this.#participant;
  }

  /** The MLS member this session joined the media as, while joined. */
  get member(): DeliveryMember | undefined {
    return this.#participant ? this.#member : undefined;
  }

  /**
   * The connection left its meeting's MLS group (it is being removed and
   * re-added; its leaf, the sender index of its media, may change): its
   * media ends, and the client is told `membership-lost`; it may join again
   * once a member.
   */
  membershipLost(): void {
    if (!this.#participant) return;
    this.#leave();
    this.notify({ method: 'meeting.closed', data: { reason: 'membership-lost' } });
  }

  notify(notification: Notification): void {
    if (this.#held) this.#held.push(notification);
    else this.#connection.notify(notification);
  }

  removed(_reason: MeetingCloseReason): void {
    this.#participant = undefined;
  }

  async #handle(request: Request): Promise<unknown> {
    const handler = this.#handlers[request.method] as (data: unknown) => unknown;
    return handler(request.data);
  }

  readonly #handlers: Handlers = {
    'meeting.join': async ({ meetingId }) => {
      if (this.#participant || this.#held) {
        throw new SessionError('already-joined', 'this connection has already joined a meeting');
      }
      this.#held = [];
      // Not in this meeting's MLS group on this connection: no media.
      const member = await this.#membership(this.#connection.id);
      if (member?.meetingId !== meetingId) {
        this.#held = undefined;
        throw new SessionError('not-member', "this connection is not in the meeting's MLS group");
      }
      let snapshot: Awaited<ReturnType<MeetingRegistry['join']>>;
      try {
        // The name others see is the one the AS certified, not the request's.
        snapshot = await this.#registry.join(meetingId, member.displayName, this, member.leafIndex);
      } catch (e) {
        this.#held = undefined;
        throw e;
      }
      const { participant } = snapshot;
      if (this.#connection.closed) {
        participant.meeting.leave(participant.id);
        this.#held = undefined;
        throw new SessionError('not-joined', 'the connection closed while joining');
      }
      this.#participant = participant;
      this.#member = member;
      // The response is sent when this handler resolves; held notifications follow it.
      setImmediate(() => {
        const held = this.#held ?? [];
        this.#held = undefined;
        for (const n of held) this.#connection.notify(n);
      });
      return {
        participantId: participant.id,
        senderIndex: participant.senderIndex,
        routerRtpCapabilities: participant.meeting.room.rtpCapabilities,
        participants: snapshot.participants,
        producers: snapshot.producers,
      };
    },
    'meeting.leave': () => {
      this.#leave();
      return {};
    },
    'rtpCapabilities.set': ({ rtpCapabilities }) => {
      this.#joined().peer.setRtpCapabilities(rtpCapabilities);
      return {};
    },
    'transport.create': ({ direction }) => this.#joined().peer.createTransport(direction),
    'transport.connect': async ({ transportId, dtlsParameters }) => {
      await this.#joined().peer.connectTransport(transportId, dtlsParameters);
      return {};
    },
    'producer.create': async ({ transportId, kind, rtpParameters }) => ({
      producerId: await this.#joined().peer.produce(transportId, kind, rtpParameters),
    }),
    'producer.close': ({ producerId }) => {
      this.#joined().peer.closeProducer(producerId);
      return {};
    },
    'producer.pause': async ({ producerId }) => {
      await this.#joined().peer.setProducerPaused(producerId, true);
      return {};
    },
    'producer.resume': async ({ producerId }) => {
      await this.#joined().peer.setProducerPaused(producerId, false);
      return {};
    },
    'consumer.create': ({ transportId, producerId }) =>
      this.#joined().peer.consume(transportId, producerId),
    'consumer.resume': async ({ consumerId }) => {
      await this.#joined().peer.resumeConsumer(consumerId);
      return {};
    },
  };

  #joined(): Participant {
    if (!this.#participant) throw new SessionError('not-joined', 'join a meeting first');
    return this.#participant;
  }

  #leave(): void {
    const participant = this.#participant;
    this.#participant = undefined;
    if (!participant) return;
    try {
      participant.meeting.leave(participant.id);
    } catch (e) {
      this.#log(`leaving meeting ${participant.meeting.id} failed`, e);
    }
  }
}
