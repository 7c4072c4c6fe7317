import { CanopyError } from '@canopy/shared/protocol';

export type SessionErrorCode =
  | 'not-joined' // a media request before meeting.join (or after leaving)
  | 'already-joined' // a second meeting.join on one connection
  | 'not-member'; // meeting.join from a connection that is not in that meeting's MLS group

/** A request that does not fit the session's state; nothing changed. */
export class SessionError extends CanopyError {
  constructor(
    override readonly code: SessionErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}
