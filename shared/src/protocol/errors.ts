import { CanopyError } from '../errors.js';

/**
 * Error codes the signaling protocol itself produces, before a request reaches
 * its handler. Handlers add their own stable codes (see `ErrorBody.code`).
 */
export type ProtocolErrorCode =
  | 'message-too-large' // above LIMITS.maxMessageBytes
  | 'malformed-json' // not JSON text
  | 'invalid-message' // JSON, but not a request envelope (or a binary frame)
  | 'unknown-method' // a well-formed request for a method this peer does not serve
  | 'invalid-data'; // the method's `data` does not match its schema

/**
 * A signaling message that was rejected at the boundary. `requestId` is the id
 * of the offending request when it could be read, so the answer can name it.
 */
export class ProtocolError extends CanopyError {
  constructor(
    override readonly code: ProtocolErrorCode,
    message: string,
    readonly requestId: number | null = null,
  ) {
    super(code, message);
  }
}
