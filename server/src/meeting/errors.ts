import { CanopyError } from '@canopy/shared/protocol';

export type MeetingErrorCode =
  | 'meeting-full' // the meeting has its maximum number of participants
  | 'sender-indices-exhausted' // every SFrame sender index of the meeting has been used
  | 'sender-index-taken' // another participant sends under that (MLS leaf) index
  | 'meeting-closed';

/** A meeting-level request that could not be done; nothing changed. */
export class MeetingError extends CanopyError {
  constructor(
    override readonly code: MeetingErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}
