/**
 * The participant core: one member's side of a meeting's MLS group, isomorphic
 * (Node and browser Worker). See participant.ts.
 */

export { DEFAULT_HEARTBEAT, type HeartbeatOptions } from './heartbeat.js';
export {
  type EpochInfo,
  Participant,
  ParticipantError,
  type ParticipantErrorCode,
  type ParticipantEvents,
  type ParticipantOptions,
  type RosterEntry,
  type WebSocketConstructor,
} from './participant.js';
export {
  SECURITY_CODE_GROUP_DIGITS,
  SECURITY_CODE_GROUPS,
  SECURITY_CODE_LABEL,
  securityCode,
} from './security-code.js';
