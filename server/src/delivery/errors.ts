import { CanopyError } from '@canopy/shared/protocol';

/** Why the delivery service refused a client's frame (sent as an `error` frame). */
export type DeliveryErrorCode =
  | 'invalid-link' // the link token did not verify
  | 'unexpected-frame' // a frame this connection may not send in its state (e.g. before hello)
  | 'invalid-signature-key' // not a public key of the meeting's signature scheme
  | 'invalid-key-package' // not a KeyPackage for this connection's AS credential, or expired
  | 'invalid-group' // the first member's GroupInfo or tree is unacceptable
  | 'invalid-commit' // not a commit this member may send
  | 'not-allowed' // a host action from a participant, or on someone not there
  | 'meeting-ended'
  | 'meeting-locked'
  | 'duplicate-user' // this user id is already connected to the meeting
  | 'meeting-full'
  | 'try-again'; // a resumed member's previous connection is mid-admission: retry shortly

/** A delivery-service refusal; the DS changed no state because of it. */
export class DeliveryError extends CanopyError {
  constructor(
    override readonly code: DeliveryErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}
