/**
 * The media plane's messages: joining a meeting's SFU router, WebRTC
 * transports, producers and consumers, and the notifications that keep every
 * participant's view of the meeting current.
 */
import * as z from 'zod';
import { DisplayName, Id, MediaKind, MeetingId, ParticipantId, SenderIndex } from './common.js';
import { LIMITS } from './limits.js';
import {
  DtlsParameters,
  IceCandidate,
  IceParameters,
  RtpCapabilities,
  RtpParameters,
} from './rtp.js';

const Empty = z.strictObject({});

/** A meeting link's token (a compact JWS; the server verifies it). */
export const LinkToken = z
  .string()
  .min(1)
  .max(LIMITS.maxTokenLength)
  .regex(/^[A-Za-z0-9_.-]+$/, 'expected a compact JWS');

/** Someone in the meeting, as every other participant sees them. */
export const ParticipantInfo = z.strictObject({
  participantId: ParticipantId,
  displayName: DisplayName,
  senderIndex: SenderIndex,
});
export type ParticipantInfo = z.infer<typeof ParticipantInfo>;

/** A track someone sends that others may consume. */
export const ProducerInfo = z.strictObject({
  producerId: Id,
  participantId: ParticipantId,
  senderIndex: SenderIndex,
  kind: MediaKind,
  /**
   * Its sender paused it (microphone muted, camera off): nothing flows until
   * it resumes. Absent when it flows. Not secret: the SFU sees no packets anyway.
   */
  paused: z.literal(true).optional(),
});
export type ProducerInfo = z.infer<typeof ProducerInfo>;

/** Requests a client sends; `data` is what it sends, `result` what a success carries. */
export const mediaRequests = {
  /**
   * Enter a meeting's media (one per connection). The connection must be a
   * member of the meeting's MLS group (the delivery service, on the same
   * connection): no membership, no media. The server names the participant
   * by its AS-certified display name and gives it its MLS leaf index as
   * `senderIndex`. Others are told `participant.joined`.
   */
  'meeting.join': {
    /** `displayName` and `token` are ignored (kept for older clients): membership decides. */
    data: z.strictObject({
      meetingId: MeetingId,
      displayName: DisplayName,
      token: LinkToken.optional(),
    }),
    result: z.strictObject({
      participantId: ParticipantId,
      senderIndex: SenderIndex,
      routerRtpCapabilities: RtpCapabilities,
      /** Everyone already in the meeting, without the joiner. */
      participants: z.array(ParticipantInfo).max(LIMITS.maxParticipants),
      /** Everything already being sent, to consume. */
      producers: z.array(ProducerInfo).max(LIMITS.maxProducers),
    }),
  },
  /** Leave the meeting; the server closes everything the participant had. */
  'meeting.leave': { data: Empty, result: Empty },
  /** What the client's device can receive; required before `consumer.create`. */
  'rtpCapabilities.set': {
    data: z.strictObject({ rtpCapabilities: RtpCapabilities }),
    result: Empty,
  },
  /** A WebRtcTransport on the meeting's router, for sending or for receiving. */
  'transport.create': {
    data: z.strictObject({ direction: z.enum(['send', 'recv']) }),
    result: z.strictObject({
      transportId: Id,
      iceParameters: IceParameters,
      iceCandidates: z.array(IceCandidate).max(16),
      dtlsParameters: DtlsParameters,
    }),
  },
  /** The client's DTLS parameters, once its side of the transport exists. */
  'transport.connect': {
    data: z.strictObject({ transportId: Id, dtlsParameters: DtlsParameters }),
    result: Empty,
  },
  /** Start sending a track on a send transport. Others are told `producer.new`. */
  'producer.create': {
    data: z.strictObject({ transportId: Id, kind: MediaKind, rtpParameters: RtpParameters }),
    result: z.strictObject({ producerId: Id }),
  },
  /** Stop sending a track. Others are told `producer.closed`. */
  'producer.close': { data: z.strictObject({ producerId: Id }), result: Empty },
  /**
   * Pause one of the sender's own producers (mute, camera off): the SFU stops
   * forwarding it and others are told `producer.paused`. Only its owner may.
   */
  'producer.pause': { data: z.strictObject({ producerId: Id }), result: Empty },
  /** Resume one of the sender's own paused producers; others are told `producer.resumed`. */
  'producer.resume': { data: z.strictObject({ producerId: Id }), result: Empty },
  /** Receive someone's track on a recv transport; the consumer starts paused. */
  'consumer.create': {
    data: z.strictObject({ transportId: Id, producerId: Id }),
    result: z.strictObject({
      consumerId: Id,
      producerId: Id,
      participantId: ParticipantId,
      kind: MediaKind,
      rtpParameters: RtpParameters,
    }),
  },
  /** Start the flow of a paused consumer, once the client's receiver is ready. */
  'consumer.resume': { data: z.strictObject({ consumerId: Id }), result: Empty },
} as const;

/** Notifications the server pushes to every participant of a meeting. */
export const mediaNotifications = {
  'participant.joined': ParticipantInfo,
  'participant.left': z.strictObject({ participantId: ParticipantId }),
  'producer.new': ProducerInfo,
  /** A producer is gone; the recipient's consumers of it are already closed. */
  'producer.closed': z.strictObject({ producerId: Id, participantId: ParticipantId }),
  /** Its owner paused a producer (mute, camera off); sent only when the state changes. */
  'producer.paused': z.strictObject({ producerId: Id, participantId: ParticipantId }),
  /** Its owner resumed a paused producer. */
  'producer.resumed': z.strictObject({ producerId: Id, participantId: ParticipantId }),
  /**
   * The meeting's media is gone for this participant (its SFU worker died, or
   * the meeting ended, or its connection left the meeting's MLS group and is
   * being re-added: `membership-lost`, its leaf and so its sender index may
   * change); the client is no longer in the meeting's media and may rejoin.
   */
  'meeting.closed': z.strictObject({
    reason: z.enum(['sfu-failure', 'ended', 'membership-lost']),
  }),
} as const;
