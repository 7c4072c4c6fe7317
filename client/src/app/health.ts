/**
 * What the encryption panel warns about: members the page cannot match to a
 * verified MLS credential, messages the key worker refused (a member whose
 * credential does not verify, a commit it could not process), and decryption
 * failures that keep climbing (a few at an epoch switch are normal).
 */

/** Failures within the window above which the panel warns. */
export const FAILURE_WARN_THRESHOLD = 25;
export const FAILURE_WINDOW_MS = 10_000;

export interface HealthInput {
  /** Display names (or ids) of media participants with no verified MLS leaf. */
  unverified: readonly string[];
  /** Refusals the key worker reported (what, message), most recent last. */
  rejected: readonly { what: string; message: string }[];
  /** Decryption failures in the last FAILURE_WINDOW_MS. */
  recentFailures: number;
  /** Frames whose KID named another sender than the track's, ever. */
  wrongSender: number;
}

/** Warnings to show, most serious first; empty when all is well. */
export function assessHealth(h: HealthInput): string[] {
  const out: string[] = [];
  if (h.unverified.length > 0)
    out.push(
      `Could not verify ${h.unverified.join(', ')}: their media has no member of the encrypted group behind it.`,
    );
  if (h.wrongSender > 0)
    out.push(`${h.wrongSender} frames claimed to come from another member and were dropped.`);
  const refusedMember = h.rejected.filter((r) => r.what === 'proposal' || r.what === 'welcome');
  if (refusedMember.length > 0)
    out.push(
      `Refused ${refusedMember.length} group change(s) whose identity did not verify: ${refusedMember.at(-1)!.message}`,
    );
  const refusedCommit = h.rejected.filter((r) => r.what === 'commit');
  if (refusedCommit.length > 0)
    out.push('A group change could not be processed; the server is re-adding this browser.');
  if (h.recentFailures >= FAILURE_WARN_THRESHOLD)
    out.push(
      `${h.recentFailures} frames failed to decrypt in the last ${FAILURE_WINDOW_MS / 1000} s.`,
    );
  return out;
}

/** Counts failures over a sliding window from a cumulative counter sampled now and then. */
export class FailureWindow {
  readonly #samples: { at: number; total: number }[] = [];

  /** Records the cumulative count at `at` (ms); returns the failures within the window. */
  sample(total: number, at: number): number {
    this.#samples.push({ at, total });
    // the baseline is the last sample taken at or before the window's start
    while (this.#samples.length > 1 && this.#samples[1]!.at <= at - FAILURE_WINDOW_MS)
      this.#samples.shift();
    return total - this.#samples[0]!.total;
  }
}

/** The security code as rows of groups ("12345 67890 …" → groups of 5 digits). */
export function codeGroups(code: string): string[] {
  return code.split(/\s+/).filter((g) => /^\d+$/.test(g));
}
