/** Meetings: who is in them, their sender indices, and what they send. */
export { MeetingError, type MeetingErrorCode } from './errors.js';
export {
  type JoinSnapshot,
  Meeting,
  type MeetingCloseReason,
  Participant,
  type ParticipantSink,
} from './meeting.js';
export { MeetingRegistry, type MeetingRegistryOptions } from './registry.js';
