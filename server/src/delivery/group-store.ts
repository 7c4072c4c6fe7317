// A meeting's ordering state behind a small interface (DESIGN.md, "Scale beyond
// one machine"): the memory store is the single-node default; a Redis Stream
// per meeting, whose entry id carries the epoch, can implement the same calls
// so "the first commit for an epoch wins" is atomic across nodes.

/** One accepted entry of a meeting's ordered log. */
export type GroupLogEntry =
  | {
      readonly kind: 'create';
      readonly epoch: bigint;
      readonly groupInfo: Uint8Array;
      readonly ratchetTree: Uint8Array;
    }
  | { readonly kind: 'proposal'; readonly epoch: bigint; readonly message: Uint8Array }
  | { readonly kind: 'commit'; readonly epoch: bigint; readonly message: Uint8Array };

/** Who holds which leaf (user id by leaf index), as the last commit left it. */
export type Roster = ReadonlyMap<number, string>;

export interface GroupStore {
  /** Starts a meeting's log with the creator's group; false if one exists already. */
  create(meetingId: string, groupInfo: Uint8Array, ratchetTree: Uint8Array): Promise<boolean>;
  /** Appends an external proposal for `epoch` (the current one). */
  appendProposal(meetingId: string, epoch: bigint, message: Uint8Array): Promise<void>;
  /**
   * Appends the commit that ends `epoch`, unless one did already: true when
   * this one is first (and so the one every member must apply).
   */
  appendCommit(meetingId: string, epoch: bigint, message: Uint8Array): Promise<boolean>;
  setRoster(meetingId: string, roster: Roster): Promise<void>;
  roster(meetingId: string): Promise<Roster | undefined>;
  /** The log from creation, for a node that takes a meeting over. */
  log(meetingId: string): Promise<readonly GroupLogEntry[]>;
  /** Forgets a meeting (ended, or empty). */
  drop(meetingId: string): Promise<void>;
}

interface MemoryMeeting {
  log: GroupLogEntry[];
  committedEpochs: Set<bigint>;
  roster: Roster;
}

/** The embedded single-node store. Keeps only the log since the last commit plus the creation. */
export class MemoryGroupStore implements GroupStore {
  readonly #meetings = new Map<string, MemoryMeeting>();
  /** How many accepted commits each meeting keeps in its log. */
  readonly #keepCommits: number;

  constructor(options: { keepCommits?: number } = {}) {
    this.#keepCommits = options.keepCommits ?? 64;
  }

  async create(
    meetingId: string,
    groupInfo: Uint8Array,
    ratchetTree: Uint8Array,
  ): Promise<boolean> {
    if (this.#meetings.has(meetingId)) return false;
    this.#meetings.set(meetingId, {
      log: [{ kind: 'create', epoch: 0n, groupInfo, ratchetTree }],
      committedEpochs: new Set(),
      roster: new Map(),
    });
    return true;
  }

  async appendProposal(meetingId: string, epoch: bigint, message: Uint8Array): Promise<void> {
    this.#get(meetingId).log.push({ kind: 'proposal', epoch, message });
  }

  async appendCommit(meetingId: string, epoch: bigint, message: Uint8Array): Promise<boolean> {
    const m = this.#get(meetingId);
    if (m.committedEpochs.has(epoch)) return false;
    m.committedEpochs.add(epoch);
    m.log.push({ kind: 'commit', epoch, message });
    // bounded memory: keep the creation, and the recent commits with their proposals
    const commits = m.log.filter((e) => e.kind === 'commit');
    if (commits.length > this.#keepCommits) {
      const oldest = commits[commits.length - this.#keepCommits].epoch;
      m.log = m.log.filter((e) => e.kind === 'create' || e.epoch >= oldest);
      for (const e of m.committedEpochs) if (e < oldest) m.committedEpochs.delete(e);
    }
    return true;
  }

  async setRoster(meetingId: string, roster: Roster): Promise<void> {
    this.#get(meetingId).roster = new Map(roster);
  }

  async roster(meetingId: string): Promise<Roster | undefined> {
    return this.#meetings.get(meetingId)?.roster;
  }

  async log(meetingId: string): Promise<readonly GroupLogEntry[]> {
    return [...(this.#meetings.get(meetingId)?.log ?? [])];
  }

  async drop(meetingId: string): Promise<void> {
    this.#meetings.delete(meetingId);
  }

  #get(meetingId: string): MemoryMeeting {
    const m = this.#meetings.get(meetingId);
    if (!m) throw new Error(`no group log for meeting ${meetingId}`);
    return m;
  }
}
