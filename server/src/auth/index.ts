/** Access to meetings: signed meeting links (links.ts). */
export { AuthError, type AuthErrorCode } from './errors.js';
export {
  type CreatedMeeting,
  type LinkClaims,
  type LinkRole,
  MeetingLinks,
  type MeetingLinksOptions,
} from './links.js';
