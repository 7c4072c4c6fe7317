// Who commits a meeting's pending proposals (DESIGN.md, "Committers"): a small
// set of active members, lowest leaf first so the choice is stable; a member
// that timed out is passed over for the rest of the epoch, and one whose
// commit another member could not process is never named again.

export interface CommitterCandidate {
  readonly userId: string;
  readonly leaf: number;
}

export class CommitterSchedule {
  readonly #size: number;
  readonly #distrusted = new Set<string>();
  #skipped = new Set<string>();

  /** `size`: how many members form the committer set (default 3). */
  constructor(size = 3) {
    this.#size = Math.max(1, size);
  }

  /**
   * The member to name now among `candidates` (connected members able to
   * commit), or undefined when nobody can. Looks beyond the committer set
   * only when every member of it timed out or is distrusted.
   */
  next(candidates: readonly CommitterCandidate[]): CommitterCandidate | undefined {
    const eligible = candidates
      .filter((c) => !this.#distrusted.has(c.userId))
      .sort((a, b) => a.leaf - b.leaf);
    const set = eligible.slice(0, this.#size);
    return (
      set.find((c) => !this.#skipped.has(c.userId)) ??
      eligible.find((c) => !this.#skipped.has(c.userId))
    );
  }

  /** `userId` did not commit in time: pass it over until the epoch changes. */
  skip(userId: string): void {
    this.#skipped.add(userId);
  }

  /** `userId` produced a commit a member could not process: never name it again. */
  distrust(userId: string): void {
    this.#distrusted.add(userId);
  }

  isDistrusted(userId: string): boolean {
    return this.#distrusted.has(userId);
  }

  /** A new epoch began: members that timed out may be named again. */
  newEpoch(): void {
    this.#skipped = new Set();
  }
}
