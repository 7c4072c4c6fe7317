import { CanopyError } from '../errors.js';

export type CryptoErrorCode =
  | 'aead-open' // authentication failed
  | 'hpke-open' // HPKE decryption failed
  | 'invalid-public-key'
  | 'invalid-private-key'
  | 'derive-key-pair' // DeriveKeyPair gave up (RFC 9180 §7.1.3)
  | 'unsupported-cipher-suite'
  | 'invalid-length';

/** A cryptographic operation failed on its input. */
export class CryptoError extends CanopyError {
  constructor(
    override readonly code: CryptoErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}
