import { CanopyError } from '../errors.js';

/** Why a TLS-encoded value could not be decoded. */
export type DecodeErrorCode =
  | 'truncated' // input ended before the value did
  | 'trailing-bytes' // bytes left after a value that must fill its input
  | 'non-minimal-varint' // RFC 9420 §2.1.2: the shortest encoding is required
  | 'invalid-varint' // the 0b11 length prefix
  | 'too-long' // a length above the caller's limit
  | 'invalid-value'; // an enum, boolean or optional tag out of range

/** Malformed, truncated or out-of-range encoded input. */
export class DecodeError extends CanopyError {
  constructor(
    override readonly code: DecodeErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

/** A value that cannot be encoded (out of range for its field). */
export class EncodeError extends CanopyError {
  constructor(message: string) {
    super('unencodable', message);
  }
}
