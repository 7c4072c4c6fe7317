import { CanopyError } from '@canopy/shared/protocol';

export type SfuErrorCode =
  | 'mediasoup-unavailable' // no mediasoup module or no worker binary
  | 'no-worker' // every worker is dead and none could be restarted
  | 'sfu-closed'
  | 'room-closed'
  | 'peer-closed'
  | 'limit-exceeded' // too many transports, producers or consumers for one peer
  | 'transport-not-found'
  | 'wrong-direction' // producing on a recv transport or consuming on a send one
  | 'already-connected'
  | 'producer-not-found'
  | 'consumer-not-found'
  | 'rtp-capabilities-required' // consume before the peer's device capabilities are known
  | 'cannot-consume' // the peer's device cannot receive that producer's codec
  | 'invalid-rtp-parameters' // mediasoup refused the parameters
  | 'invalid-dtls-parameters' // mediasoup refused the parameters
  | 'mediasoup-error'; // mediasoup failed on valid input (a bug or a dying worker)

/** A media operation that could not be done; nothing was created or changed. */
export class SfuError extends CanopyError {
  constructor(
    override readonly code: SfuErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}
