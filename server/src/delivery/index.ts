/**
 * The delivery service: meetings as MLS groups with the server as external
 * sender (see delivery-service.ts and DESIGN.md, "Key management").
 */
export { CommitterSchedule } from './committer-schedule.js';
export {
  type CredentialIssuer,
  DEFAULT_MEETING_OPTIONS,
  type DeliveryEndpoint,
  type DeliveryMember,
  DeliveryService,
  type DeliveryServiceOptions,
  PING_BURST,
  PINGS_PER_SECOND,
} from './delivery-service.js';
export { DeliveryError, type DeliveryErrorCode } from './errors.js';
export type { DeliveryEvents } from './events.js';
export {
  type GroupLogEntry,
  type GroupStore,
  MemoryGroupStore,
  type Roster,
} from './group-store.js';
export type { LinkClaims, LinkVerifier } from './links.js';
export { recordDeliveryLogs } from './logs.js';
export { MeetingGroup, type MeetingOptions } from './meeting-group.js';
export { recordDeliveryMetrics } from './metrics.js';
export type { DeliveryConnection } from './seat.js';
