/**
 * Access to meetings: signed meeting links (links.ts) and the Authentication
 * Service that vouches for participants' MLS identities (authentication-service.ts).
 */
export { AuthenticationService } from './authentication-service.js';
export { AuthError, type AuthErrorCode } from './errors.js';
export {
  type CreatedMeeting,
  type LinkClaims,
  type LinkRole,
  MeetingLinks,
  type MeetingLinksOptions,
} from './links.js';
