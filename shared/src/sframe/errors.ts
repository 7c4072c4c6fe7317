import { CanopyError } from '../errors.js';

/** Why an SFrame operation was refused. Stable: callers branch on it. */
export type SFrameErrorCode =
  | 'malformed-header' // a header that breaks RFC 9605 §4.3 (e.g. a non-minimal KID or CTR)
  | 'truncated' // input ended before the header, the tag or the clear bytes did
  | 'authentication-failed' // the AEAD tag did not verify (§4.4.4)
  | 'unknown-kid' // no key is, or ever was, held for the frame's KID
  | 'replay' // a (KID, CTR) already accepted, or older than the replay window
  | 'expired-epoch' // the KID names an epoch whose keys were dropped or have aged out
  | 'counter-exhausted' // the sender's CTR reached its limit; a new epoch is needed
  | 'no-key' // a sender asked to encrypt before it was given an epoch
  | 'invalid-argument' // an out-of-range or ill-typed argument from the caller
  | 'unsupported-suite'; // a cipher suite id this module does not implement

/**
 * Every error this module throws on purpose. Like every CanopyError it means
 * the operation changed no state: a frame that fails is simply dropped.
 */
export class SFrameError extends CanopyError {
  constructor(
    override readonly code: SFrameErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}
