import { CanopyError } from '../errors.js';

/** Why an MLS message, structure or operation was rejected. */
export type MlsErrorCode =
  | 'invalid-value' // a field outside what RFC 9420 allows
  | 'unsupported' // a well-formed value this implementation does not support
  | 'wrong-group' // group_id does not match
  | 'wrong-epoch' // epoch is not the current one (the delivery service reports the current epoch)
  | 'invalid-signature'
  | 'invalid-membership-tag'
  | 'invalid-confirmation-tag'
  | 'unknown-sender'
  | 'decryption-failed' // PrivateMessage, Welcome or path secret did not decrypt
  | 'secret-unavailable' // key already used, deleted or outside the retention window
  | 'invalid-proposal' // §12.2 proposal validation
  | 'invalid-commit' // §12.4 commit validation
  | 'invalid-leaf-node' // §7.3 leaf node validation
  | 'invalid-key-package' // §10.1 key package validation
  | 'invalid-tree' // tree hash, parent hash or structure
  | 'tree-too-large' // a received ratchet tree has more leaves than the group options allow (maxLeaves)
  | 'invalid-welcome'
  | 'invalid-group-info'
  | 'invalid-state'; // the operation is not allowed in the current state (e.g. removed from the group)

/** An MLS protocol violation or an invalid request; the group state is unchanged. */
export class MlsError extends CanopyError {
  constructor(
    override readonly code: MlsErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}
