/**
 * Canopy's signaling protocol, shared by server and browser: zod schemas of
 * every message (validated at each boundary) and the TypeScript types inferred
 * from them. See messages.ts for the envelope and media.ts for the media plane.
 */

/** Base class of Canopy's typed errors, re-exported for the server and client packages. */
export { CanopyError } from '../errors.js';
export { DisplayName, Id, MediaKind, MeetingId, ParticipantId, SenderIndex } from './common.js';
export {
  type ClientFrame,
  type ClientFrameType,
  type CommitReason,
  DELIVERY_LIMITS,
  type DeliveryRole,
  decodeClientFrame,
  decodeServerFrame,
  encodeClientFrame,
  encodeServerFrame,
  type HostAction,
  MAX_CLIENT_FRAME_BYTES,
  MAX_SERVER_FRAME_BYTES,
  RESUME_TICKET_BYTES,
  type RemovalReason,
  type ReportSubject,
  type ServerFrame,
  type ServerFrameType,
  type WireCredential,
} from './delivery.js';
export { ProtocolError, type ProtocolErrorCode } from './errors.js';
export { LIMITS } from './limits.js';
export {
  mediaNotifications,
  mediaRequests,
  ParticipantInfo,
  ProducerInfo,
} from './media.js';
export {
  ErrorBody,
  ErrorCode,
  ErrorResponse,
  encodeError,
  encodeNotification,
  encodeRequest,
  encodeResult,
  type Notification,
  type NotificationData,
  NotificationEnvelope,
  type NotificationMethod,
  notifications,
  OkResponse,
  parseRequest,
  parseResult,
  parseServerMessage,
  type Request,
  type RequestData,
  RequestEnvelope,
  RequestId,
  type RequestMethod,
  Response,
  type ResultData,
  requests,
  type ServerMessage,
  utf8Length,
} from './messages.js';
export {
  CodecParameters,
  DtlsParameters,
  IceCandidate,
  IceParameters,
  MimeType,
  RtcpFeedback,
  RtcpParameters,
  RtpCapabilities,
  RtpCodecCapability,
  RtpCodecParameters,
  RtpEncodingParameters,
  RtpHeaderExtension,
  RtpHeaderExtensionParameters,
  RtpParameters,
} from './rtp.js';
