/** Why a summary could not be built, read or merged. */
import { CanopyError } from '@canopy/shared/protocol';

export type SummaryErrorCode =
  | 'invalid-summary' // not a version 1 summary (garbled, hostile, truncated)
  | 'unsupported-version' // a summary of another version
  | 'unreadable' // a file that could not be read
  | 'mismatch' // slices of different scenarios, splits or metric kinds
  | 'overlap' // the same slice given twice
  | 'invalid-input'; // bad arguments to buildSummary or merge

export class SummaryError extends CanopyError {
  constructor(
    override readonly code: SummaryErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}
