// One meeting's side of the delivery service (DESIGN.md, "Key management"):
// its GroupValidator, the lobby, the admissions and departures it turns into
// external proposals, the committer it names, the one commit per epoch it
// accepts, the acknowledgements that decide the media switch, and recovery.
//
// Everything a meeting does runs on its own SerialQueue, one frame or timer at
// a time, so the validator sees messages in the order the DS accepted them.
//
// Resume tickets: a participant that becomes a member gets a random ticket
// (`resume-ticket`), bound to this meeting, its user id, role and display
// name. A new connection whose hello carries it takes the member's place
// without the lobby (even while the meeting is locked: it was admitted
// already) and joins the group again with fresh keys, as a new leaf; if the
// old connection is still seated (the DS has not noticed the loss yet), it is
// closed and its leaf removed. A ticket stays valid while its holder is in the
// meeting and for `resumeWindowMs` after the DS dropped a lost connection; a
// host's removal, leaving, and the end of the meeting revoke it at once, and a
// revoked ticket is answered with its removal, never with a seat.
import { randomBytes } from 'node:crypto';
import type { CipherSuite } from '@canopy/shared/crypto';
import { identityCredentialValidator } from '@canopy/shared/identity';
import {
  createExternalProposal,
  DecodeError,
  decodeExternalSenders,
  ExtensionType,
  GroupValidator,
  keyPackageFromMessage,
  parseMlsMessage,
} from '@canopy/shared/mls';
import {
  CanopyError,
  type ClientFrame,
  encodeServerFrame,
  RESUME_TICKET_BYTES,
  type RemovalReason,
  type ServerFrame,
} from '@canopy/shared/protocol';
import { CommitterSchedule } from './committer-schedule.js';
import { DeliveryError } from './errors.js';
import type { DeliveryEvents } from './events.js';
import type { GroupStore } from './group-store.js';
import type { Seat } from './seat.js';
import { SerialQueue } from './serial-queue.js';

/** Timings and sizes of a meeting's delivery; every field has a default (DeliveryService). */
export interface MeetingOptions {
  /** Proposals arriving within this window are committed together (ms). */
  readonly batchWindowMs: number;
  /** A named committer silent this long is passed over (ms). */
  readonly committerTimeoutMs: number;
  /** How many members form the committer set. */
  readonly committers: number;
  /** A disconnected member is removed after this grace (ms). */
  readonly disconnectGraceMs: number;
  /** Fraction of members whose acknowledgement triggers the media switch (0–1]. */
  readonly switchQuorum: number;
  /** The switch is announced at the latest this long after a commit (ms). */
  readonly switchTimeoutMs: number;
  /** Self-update commits that fill the tree: one per 4-leaf block, this far apart (ms); 0 turns them off. */
  readonly selfUpdateDelayMs: number;
  /** Most participants (members and waiting) in one meeting. */
  readonly maxParticipants: number;
  /** Longest KeyPackage lifetime accepted (seconds). */
  readonly maxKeyPackageLifetime: bigint;
  /** A lost member may resume its place with its ticket this long after the DS dropped it (ms). */
  readonly resumeWindowMs: number;
}

/** What a resume ticket grants (see the header comment). */
interface ResumeTicket {
  readonly userId: string;
  readonly role: Seat['role'];
  readonly displayName: string;
  /** Set once its holder is gone: valid until then (ms, performance.now()). */
  expiresAt?: number;
  /** Why its holder is gone for good (host removal, leaving): never valid again. */
  revoked?: RemovalReason;
}

/** What a hello's resume ticket is worth: the user it resumes, or the removal it met. */
export type ResumeLookup = { userId: string } | { refused: RemovalReason } | undefined;

/** What a meeting shares with its delivery service. */
export interface MeetingContext {
  readonly suite: CipherSuite;
  readonly asPublicKey: Uint8Array;
  readonly externalSenderKey: Uint8Array;
  readonly externalSenderPrivateKey: Uint8Array;
  readonly store: GroupStore;
  readonly options: MeetingOptions;
  emit<K extends keyof DeliveryEvents>(event: K, ...args: DeliveryEvents[K]): void;
  log(message: string, error?: unknown): void;
  /** Participants or groups changed (for the `counts` event). */
  countsChanged(): void;
  /** The meeting is over (ended or empty with nobody waiting): forget it. */
  closed(meeting: MeetingGroup): void;
}

type Phase = 'idle' | 'batching' | 'committing';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const now = () => performance.now();
const POLICY_CLOSE = 1008;
const NORMAL_CLOSE = 1000;

export class MeetingGroup {
  readonly #ctx: MeetingContext;
  readonly #queue: SerialQueue;
  readonly #seats = new Map<string, Seat>();
  /** Seats by signature key (hex): a hello is checked in O(1), not against every seat. */
  readonly #seatsByKey = new Map<string, Seat>();
  readonly #schedule: CommitterSchedule;
  #validator: GroupValidator | undefined;
  #senderIndex = 0;
  #locked = false;
  #ended = false;
  /**
   * Once a host has come, participants wait in the lobby for a host's
   * admission for as long as this meeting is in session, even while no host is
   * connected: leaving must not open the door to everyone with the link.
   */
  #lobbyOn = false;
  // the next round
  #adds: Seat[] = [];
  readonly #removes = new Map<number, RemovalReason>();
  #phase: Phase = 'idle';
  #timer: NodeJS.Timeout | undefined;
  #committer: { userId: string; reason: 'proposals' | 'update'; block?: number } | undefined;
  /** 4-leaf blocks whose tree nodes need a self-update. */
  readonly #dirtyBlocks = new Set<number>();
  // the epoch
  #epochStart = 0;
  #acks = new Set<string>();
  /** Active members when the epoch began: the acknowledgements the switch waits for. */
  #expected = 0;
  #switched = false;
  #switchTimer: NodeJS.Timeout | undefined;
  /** Who committed each recent epoch (for recovery). */
  readonly #committers = new Map<bigint, string>();
  #tree: { epoch: bigint; bytes: Uint8Array } | undefined;
  /** Resume tickets by hex; pruned of expired ones now and then. */
  readonly #tickets = new Map<string, ResumeTicket>();
  #prunedAt = 0;

  constructor(
    readonly id: string,
    ctx: MeetingContext,
  ) {
    this.#ctx = ctx;
    this.#schedule = new CommitterSchedule(ctx.options.committers);
    this.#queue = new SerialQueue((e) => ctx.log(`meeting ${id}: internal error`, e));
  }

  // --- what the service and tests read ---------------------------------------

  get epoch(): bigint | undefined {
    return this.#validator?.epoch;
  }
  get locked(): boolean {
    return this.#locked;
  }
  get ended(): boolean {
    return this.#ended;
  }
  /** Connected participants (members and waiting). */
  get size(): number {
    let n = 0;
    for (const s of this.#seats.values()) if (s.connected) n++;
    return n;
  }
  /** User ids of the group's members, by leaf. */
  members(): Map<number, string> {
    const out = new Map<number, string>();
    for (const s of this.#seats.values()) if (s.leaf !== undefined) out.set(s.leaf, s.userId);
    return out;
  }
  /** Whether `userId` is a member of the group (what media admission is gated on). */
  isMember(userId: string): boolean {
    const s = this.#seats.get(userId);
    return s !== undefined && s.leaf !== undefined && s.state === 'member';
  }
  /** Resolves when every frame and timer queued so far has been handled. */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  // --- entry points (from the service) ---------------------------------------

  /**
   * What the resume ticket of a hello is worth for `role` and `displayName`:
   * the user whose place it resumes, the removal that revoked it, or nothing
   * (unknown, expired, or issued for another role or name: join as new).
   */
  lookupTicket(ticket: Uint8Array, role: Seat['role'], displayName: string): ResumeLookup {
    this.#pruneTickets();
    const t = this.#tickets.get(hex(ticket));
    if (!t || t.role !== role || t.displayName !== displayName) return undefined;
    if (t.revoked !== undefined) return { refused: t.revoked };
    if (t.expiresAt !== undefined && t.expiresAt < now()) return undefined;
    return { userId: t.userId };
  }

  /**
   * A connection whose link verified joins; throws DeliveryError if it cannot.
   * `ticket`: the resume ticket lookupTicket accepted for this seat's user.
   */
  join(seat: Seat, ticket?: Uint8Array): void {
    if (this.#ended) throw new DeliveryError('meeting-ended', 'the meeting has ended');
    const previous = this.#seats.get(seat.userId);
    if (ticket && previous && previous.state === 'proposed')
      throw new DeliveryError('try-again', 'the previous connection is being added; try again');
    if (previous && !ticket)
      throw new DeliveryError('duplicate-user', 'this user is already in the meeting');
    if (this.#seats.size >= this.#ctx.options.maxParticipants)
      throw new DeliveryError('meeting-full', 'the meeting is full');
    // one signature key, one participant: the AS must not vouch for two users on one key
    const key = hex(seat.signatureKey);
    if (this.#seatsByKey.has(key))
      throw new DeliveryError('duplicate-user', 'this signature key is already in the meeting');
    if (ticket) {
      seat.ticket = hex(ticket);
      seat.readmit = true;
      const t = this.#tickets.get(seat.ticket);
      if (t) delete t.expiresAt;
      if (previous) this.#retire(previous);
      this.#ctx.emit('resumed', {
        meetingId: this.id,
        userId: seat.userId,
        tookOver: previous !== undefined,
      });
    }
    this.#seats.set(seat.userId, seat);
    this.#seatsByKey.set(key, seat);
  }

  /**
   * A resumed member's previous seat, still here (its connection lost but not
   * yet noticed, or within its grace): closed now, its leaf removed next round.
   */
  #retire(old: Seat): void {
    this.#seats.delete(old.userId);
    this.#seatsByKey.delete(hex(old.signatureKey));
    clearTimeout(old.graceTimer);
    const wasConnected = old.connected;
    old.connected = false;
    if (wasConnected) old.connection.close(NORMAL_CLOSE, 'resumed on another connection');
    this.#queue.run(() => {
      this.#passOver(old.userId, 'gone');
      this.#adds = this.#adds.filter((s) => s !== old);
      if (old.state === 'lobby') this.#sendLobby();
      if (old.leaf === undefined) return;
      this.#removes.set(old.leaf, 'timeout');
      if (this.#activeMembers().length === 0) this.#dropGroup();
      else this.#wake();
    });
  }

  /** A member's ticket: made the first time, sent again on each admission (a resumed connection needs it). */
  #grantTicket(seat: Seat): void {
    if (seat.ticket === undefined) {
      const bytes = randomBytes(RESUME_TICKET_BYTES);
      seat.ticket = hex(bytes);
      this.#tickets.set(seat.ticket, {
        userId: seat.userId,
        role: seat.role,
        displayName: seat.displayName,
      });
    }
    seat.send(frame({ type: 'resume-ticket', ticket: Buffer.from(seat.ticket, 'hex') }));
  }

  /** The seat is gone: a lost connection's ticket runs out, any other departure revokes it. */
  #releaseTicket(seat: Seat, reason: RemovalReason): void {
    const t = seat.ticket === undefined ? undefined : this.#tickets.get(seat.ticket);
    if (!t || t.revoked !== undefined) return;
    if (reason !== 'timeout') t.revoked = reason;
    t.expiresAt = now() + this.#ctx.options.resumeWindowMs;
  }

  #pruneTickets(): void {
    const t = now();
    if (t - this.#prunedAt < 10_000) return;
    this.#prunedAt = t;
    for (const [k, v] of this.#tickets)
      if (v.expiresAt !== undefined && v.expiresAt < t) this.#tickets.delete(k);
  }

  /** Queues a frame from a seat of this meeting. */
  receive(seat: Seat, frame: ClientFrame): void {
    this.#queue.run(() => {
      if (this.#seats.get(seat.userId) !== seat) return;
      try {
        this.#handle(seat, frame);
      } catch (e) {
        if (e instanceof CanopyError) this.#fatal(seat, e);
        else throw e;
      }
    });
  }

  /** The seat's connection is gone. */
  disconnected(seat: Seat): void {
    this.#queue.run(() => {
      if (this.#seats.get(seat.userId) !== seat || !seat.connected) return;
      seat.connected = false;
      this.#passOver(seat.userId, 'gone');
      if (seat.leaf !== undefined && seat.departing === undefined) {
        seat.graceTimer = setTimeout(
          () => this.#queue.run(() => this.#depart(seat, 'timeout')),
          this.#ctx.options.disconnectGraceMs,
        );
        seat.graceTimer.unref?.();
      } else this.#depart(seat, seat.departing ?? (seat.readmit ? 'timeout' : 'left'));
    });
  }

  /** Ends the meeting for everyone (also used when the server closes). */
  end(): void {
    this.#queue.run(() => this.#end());
  }

  // --- frames ---------------------------------------------------------------

  #handle(seat: Seat, frame: ClientFrame): void {
    if (this.#ended) return;
    switch (frame.type) {
      case 'key-package':
        this.#onKeyPackage(seat, frame.keyPackage);
        return;
      case 'group-create':
        this.#onGroupCreate(seat, frame.groupInfo, frame.ratchetTree);
        return;
      case 'commit':
        this.#onCommit(seat, frame);
        return;
      case 'ack':
        this.#onAck(seat, frame.epoch);
        return;
      case 'report':
        this.#onReport(seat, frame.subject, frame.epoch, frame.reason);
        return;
      case 'host':
        this.#onHost(seat, frame.action, frame.userId);
        return;
      case 'leave':
        this.#depart(seat, 'left');
        return;
      case 'hello':
        throw new DeliveryError('unexpected-frame', 'hello was already received');
    }
  }

  #onKeyPackage(seat: Seat, bytes: Uint8Array): void {
    if (seat.state !== 'identified')
      throw new DeliveryError('unexpected-frame', `no KeyPackage expected (${seat.state})`);
    this.#checkKeyPackage(seat, bytes);
    seat.keyPackage = bytes;
    if (seat.readmit) {
      this.#admit(seat);
      return;
    }
    if (seat.role === 'host') this.#lobbyOn = true;
    else {
      if (this.#locked) {
        this.#refuse(seat, 'locked');
        return;
      }
      if (this.#lobbyOn || this.#hostPresent()) {
        seat.state = 'lobby';
        seat.send(frame({ type: 'lobby' }));
        this.#sendLobby();
        return;
      }
    }
    this.#admit(seat);
  }

  /** The KeyPackage carries exactly the credential the AS issued this connection, in its lifetime. */
  #checkKeyPackage(seat: Seat, bytes: Uint8Array): void {
    let kp: ReturnType<typeof keyPackageFromMessage>;
    try {
      kp = keyPackageFromMessage(bytes);
    } catch (e) {
      if (e instanceof CanopyError) throw new DeliveryError('invalid-key-package', e.message);
      throw e;
    }
    const leaf = kp.leafNode;
    if (kp.cipherSuite !== this.#ctx.suite.id)
      throw new DeliveryError('invalid-key-package', `cipher suite ${kp.cipherSuite}`);
    if (!equal(leaf.signatureKey, seat.signatureKey))
      throw new DeliveryError('invalid-key-package', 'signature key differs from hello');
    if (!sameCredential(leaf.credential, seat.credential))
      throw new DeliveryError('invalid-key-package', 'credential is not the one the AS issued');
    if (leaf.source !== 'key_package')
      throw new DeliveryError('invalid-key-package', 'not a key-package leaf');
    const t = BigInt(Math.floor(Date.now() / 1000));
    const { notBefore, notAfter } = leaf.lifetime;
    if (t < notBefore || t > notAfter)
      throw new DeliveryError('invalid-key-package', 'lifetime does not cover now');
    if (notAfter - notBefore > this.#ctx.options.maxKeyPackageLifetime)
      throw new DeliveryError('invalid-key-package', 'lifetime too long');
  }

  #admit(seat: Seat): void {
    if (!this.#validator && !this.#creator()) {
      seat.state = 'creating';
      seat.send(frame({ type: 'create-group' }));
      return;
    }
    seat.state = 'queued';
    this.#adds.push(seat);
    this.#wake();
  }

  #creator(): Seat | undefined {
    for (const s of this.#seats.values()) if (s.state === 'creating') return s;
    return undefined;
  }

  #hostPresent(): boolean {
    for (const s of this.#seats.values())
      if (s.role === 'host' && s.connected && s.state !== 'lobby') return true;
    return false;
  }

  #onGroupCreate(seat: Seat, groupInfo: Uint8Array, ratchetTree: Uint8Array): void {
    if (seat.state !== 'creating' || this.#validator)
      throw new DeliveryError(
        'unexpected-frame',
        'this connection was not asked to create the group',
      );
    const { suite } = this.#ctx;
    let validator: GroupValidator;
    try {
      const { maxParticipants, maxKeyPackageLifetime } = this.#ctx.options;
      validator = GroupValidator.fromGroupInfo(suite, groupInfo, ratchetTree, {
        validateCredential: identityCredentialValidator(suite, this.#ctx.asPublicKey, this.id),
        // a tree spans a power of two leaves; leaves are reused, so this bounds it
        maxLeaves: 2 ** Math.ceil(Math.log2(Math.max(2, maxParticipants))),
        maxKeyPackageLifetime,
        now: () => BigInt(Math.floor(Date.now() / 1000)),
      });
    } catch (e) {
      if (e instanceof CanopyError) throw new DeliveryError('invalid-group', e.message);
      throw e;
    }
    const members = validator.members();
    if (validator.epoch !== 0n || members.length !== 1)
      throw new DeliveryError('invalid-group', 'a new group has one member at epoch 0');
    if (!equal(members[0].signatureKey, seat.signatureKey))
      throw new DeliveryError('invalid-group', "the group's member is not this connection");
    const ext = validator.publicState.context.extensions;
    const senders = ext.find((e) => e.type === ExtensionType.externalSenders);
    const index = senders
      ? decodeExternalSenders(senders.data).findIndex((s) =>
          equal(s.signatureKey, this.#ctx.externalSenderKey),
        )
      : -1;
    if (index < 0)
      throw new DeliveryError(
        'invalid-group',
        'external_senders does not name the delivery service',
      );
    if (!ext.some((e) => e.type === ExtensionType.requiredCapabilities))
      throw new DeliveryError('invalid-group', 'the group has no required_capabilities');
    this.#validator = validator;
    this.#senderIndex = index;
    seat.state = 'member';
    seat.leaf = members[0].leafIndex;
    this.#persist(this.#ctx.store.create(this.id, groupInfo, ratchetTree));
    this.#ctx.emit('meeting-created', { meetingId: this.id });
    this.#ctx.emit('admitted', {
      meetingId: this.id,
      userId: seat.userId,
      leaf: seat.leaf,
      epoch: validator.epoch,
    });
    this.#grantTicket(seat);
    if (seat.role === 'host') this.#sendLobby();
    this.#startEpoch();
    this.#wake();
  }

  #onCommit(seat: Seat, f: Extract<ClientFrame, { type: 'commit' }>): void {
    const v = this.#validator;
    if (!v || seat.leaf === undefined || !seat.connected)
      throw new DeliveryError('unexpected-frame', 'only members send commits');
    const started = now();
    let m: ReturnType<typeof parseMlsMessage>;
    try {
      m = parseMlsMessage(f.commit);
    } catch (e) {
      if (e instanceof DecodeError) throw new DeliveryError('invalid-commit', e.message);
      throw e;
    }
    if (m.wireFormat !== 'public_message' || m.publicMessage.content.contentType !== 'commit')
      throw new DeliveryError('invalid-commit', 'not a commit in a PublicMessage');
    const content = m.publicMessage.content;
    const refuse = (reason: string) => {
      seat.send(frame({ type: 'refused', epoch: v.epoch, reason }));
      this.#ctx.emit('commit-refused', {
        meetingId: this.id,
        epoch: v.epoch,
        userId: seat.userId,
        reason,
      });
      // the named committer sent something unusable (not merely late): name another
      if (reason !== 'wrong-epoch') this.#passOver(seat.userId, 'refused');
    };
    if (content.epoch !== v.epoch) {
      refuse('wrong-epoch');
      return;
    }
    if (content.sender.type !== 'member' || content.sender.leafIndex !== seat.leaf) {
      refuse('wrong-sender');
      return;
    }
    if (this.#committer?.reason === 'update' && this.#committer.userId !== seat.userId) {
      refuse('not-your-turn');
      return;
    }
    // A commit covers exactly the pending proposals, by reference: members add and remove nobody unseen.
    const pending = v.pendingProposals();
    const want = new Set(pending.map((p) => hex(p.ref)));
    const refs = new Set<string>();
    for (const p of content.commit.proposals) {
      if (p.type !== 'reference') {
        refuse('proposal-by-value');
        return;
      }
      refs.add(hex(p.reference));
    }
    if ([...want].some((r) => !refs.has(r))) {
      refuse('missing-proposal');
      return;
    }
    const adds = pending.filter((p) => p.proposal.type === 'add').length;
    if (adds > 0 && !f.welcome) {
      refuse('missing-welcome');
      return;
    }
    let result: ReturnType<GroupValidator['process']>;
    try {
      result = v.process(f.commit);
    } catch (e) {
      if (e instanceof CanopyError) {
        refuse(e.code);
        return;
      }
      throw e;
    }
    if (result.kind !== 'commit') return; // unreachable: checked above
    try {
      v.acceptGroupInfo(f.groupInfo);
    } catch (e) {
      this.#ctx.emit('rejected', {
        connectionId: seat.connection.id,
        reason: `group-info:${e instanceof CanopyError ? e.code : 'error'}`,
        fatal: false,
      });
    }
    const epoch = v.epoch;
    this.#persist(this.#ctx.store.appendCommit(this.id, epoch - 1n, f.commit));
    this.#committers.set(epoch, seat.userId);
    this.#committers.delete(epoch - 16n);
    // fan out: every member of the old epoch gets the commit (encoded once,
    // stamped with the send time for load measurements)
    const sentAt = performance.timeOrigin + performance.now();
    const commitFrame = frame({ type: 'commit', epoch, message: f.commit, sentAt });
    for (const s of this.#seats.values()) if (s.leaf !== undefined) s.send(commitFrame);
    // roster: leaves by signature key
    const bySig = new Map<string, number>();
    for (const member of v.members()) bySig.set(hex(member.signatureKey), member.leafIndex);
    const added: Seat[] = [];
    for (const s of [...this.#seats.values()]) {
      const leaf = bySig.get(hex(s.signatureKey));
      if (s.leaf !== undefined && leaf === undefined) this.#removedFromTree(s);
      else if (s.state === 'proposed' && leaf !== undefined) {
        s.leaf = leaf;
        s.state = 'member';
        added.push(s);
      }
    }
    if (added.length > 0 && f.welcome) {
      const welcomeFrame = frame({
        type: 'welcome',
        epoch,
        welcome: f.welcome,
        ratchetTree: this.#ratchetTree(),
      });
      for (const s of added) {
        this.#grantTicket(s); // first: it holds its ticket by the time it is in the group
        s.send(welcomeFrame);
        this.#ctx.emit('admitted', { meetingId: this.id, userId: s.userId, leaf: s.leaf!, epoch });
        // it left while its Add was pending: it goes in the next round
        if (s.departing !== undefined || !s.connected)
          this.#removes.set(s.leaf!, s.departing ?? 'left');
      }
      // a host coming (back) sees who waits
      if (added.some((s) => s.role === 'host')) this.#sendLobby();
    }
    const path = content.commit.path !== undefined;
    if (path) this.#dirtyBlocks.delete(seat.leaf >> 2);
    if (!path) for (const s of added) this.#dirtyBlocks.add(s.leaf! >> 2);
    for (const r of result.removed) this.#dirtyBlocks.add(r.leafIndex >> 2);
    this.#ctx.emit('commit-accepted', {
      meetingId: this.id,
      epoch,
      committer: seat.userId,
      added: result.added.length,
      removed: result.removed.length,
      path,
      bytes: f.commit.length,
      fanoutMs: now() - started,
    });
    this.#persist(this.#ctx.store.setRoster(this.id, this.members()));
    this.#clearTimer();
    this.#committer = undefined;
    this.#phase = 'idle';
    this.#schedule.newEpoch();
    this.#startEpoch();
    this.#emitCounts();
    this.#wake();
  }

  /** A seat whose leaf a commit removed: told why, or asked to rejoin when recovering. */
  #removedFromTree(s: Seat): void {
    s.leaf = undefined;
    if (s.state === 'resetting' && s.connected && s.departing === undefined) {
      s.state = 'identified';
      s.keyPackage = undefined;
      s.readmit = true;
      s.send(frame({ type: 'reset', reason: 'you could not process the group state' }));
      return;
    }
    const reason = s.departing ?? (s.connected ? 'removed' : 'timeout');
    s.send(frame({ type: 'removed', reason }));
    this.#forget(s, reason);
    if (s.connected) s.connection.close(NORMAL_CLOSE, reason);
  }

  #ratchetTree(): Uint8Array {
    const v = this.#validator!;
    if (this.#tree?.epoch !== v.epoch) this.#tree = { epoch: v.epoch, bytes: v.ratchetTree() };
    return this.#tree.bytes;
  }

  #onAck(seat: Seat, epoch: bigint): void {
    if (seat.leaf === undefined) return;
    if (epoch !== this.#validator?.epoch || this.#switched) return;
    this.#acks.add(seat.userId);
    if (this.#acks.size >= Math.ceil(this.#ctx.options.switchQuorum * this.#expected))
      this.#announceSwitch(false);
  }

  #onReport(seat: Seat, subject: 'commit' | 'welcome', epoch: bigint, reason: string): void {
    if (seat.leaf === undefined || seat.state !== 'member') return;
    const committer = this.#committers.get(epoch);
    if (committer !== undefined && committer !== seat.userId) this.#schedule.distrust(committer);
    this.#ctx.log(
      `meeting ${this.id}: ${seat.userId} could not process the ${subject} of epoch ${epoch}: ${reason}`,
    );
    this.#ctx.emit('recovery', {
      meetingId: this.id,
      userId: seat.userId,
      subject,
      epoch,
      committer,
    });
    seat.state = 'resetting';
    this.#removes.set(seat.leaf, 'removed');
    this.#wake();
  }

  #onHost(seat: Seat, action: string, userId: string | undefined): void {
    if (seat.role !== 'host' || seat.state === 'lobby' || seat.state === 'identified')
      throw new DeliveryError('not-allowed', 'only an admitted host can do this');
    const target = userId === undefined ? undefined : this.#seats.get(userId);
    switch (action) {
      case 'lock':
        this.#locked = true;
        return;
      case 'unlock':
        this.#locked = false;
        return;
      case 'end':
        this.#end();
        return;
      case 'admit':
        if (target?.state !== 'lobby') {
          this.#notAllowed(seat, 'nobody by that id waits in the lobby');
          return;
        }
        this.#admit(target);
        this.#sendLobby();
        return;
      case 'deny':
        if (target?.state !== 'lobby') {
          this.#notAllowed(seat, 'nobody by that id waits in the lobby');
          return;
        }
        this.#refuse(target, 'denied');
        return;
      case 'remove':
        if (!target || target === seat) {
          this.#notAllowed(seat, 'no such participant');
          return;
        }
        this.#depart(target, 'removed');
        return;
    }
  }

  #notAllowed(seat: Seat, message: string): void {
    seat.send(frame({ type: 'error', code: 'not-allowed', message, fatal: false }));
  }

  /** Turns a participant away before it joined the group. */
  #refuse(seat: Seat, reason: RemovalReason): void {
    seat.send(frame({ type: 'removed', reason }));
    this.#forget(seat, reason);
    seat.connection.close(NORMAL_CLOSE, reason);
    this.#sendLobby();
  }

  /** A participant leaves, whatever its state: members through an external Remove. */
  #depart(seat: Seat, reason: RemovalReason): void {
    if (this.#seats.get(seat.userId) !== seat) return;
    clearTimeout(seat.graceTimer);
    if (seat.leaf !== undefined) {
      if (seat.departing === undefined) seat.departing = reason;
      this.#removes.set(seat.leaf, seat.departing);
      if (this.#activeMembers().length === 0) {
        this.#dropGroup();
        return;
      }
      this.#wake();
      return;
    }
    if (seat.state === 'proposed') {
      seat.departing = reason; // added by the pending commit, removed in the next
      return;
    }
    const wasLobby = seat.state === 'lobby';
    const wasCreator = seat.state === 'creating';
    this.#adds = this.#adds.filter((s) => s !== seat);
    this.#forget(seat, reason);
    if (seat.connected) {
      seat.send(frame({ type: 'removed', reason }));
      seat.connection.close(NORMAL_CLOSE, reason);
    }
    if (wasLobby) this.#sendLobby();
    if (wasCreator) this.#nextCreator();
  }

  #forget(seat: Seat, reason: RemovalReason): void {
    if (this.#seats.get(seat.userId) !== seat) return;
    clearTimeout(seat.graceTimer);
    this.#releaseTicket(seat, reason);
    this.#seats.delete(seat.userId);
    this.#seatsByKey.delete(hex(seat.signatureKey));
    this.#ctx.emit('departed', { meetingId: this.id, userId: seat.userId, reason });
    this.#emitCounts();
    if (this.#seats.size === 0 && !this.#validator) this.#close();
  }

  // --- rounds: proposals, then a named committer ------------------------------

  /** Something is queued: start a batch window unless a round is under way. */
  #wake(): void {
    if (this.#phase !== 'idle' || !this.#validator) return;
    if (this.#adds.length > 0 || this.#removes.size > 0) {
      this.#phase = 'batching';
      this.#setTimer(this.#ctx.options.batchWindowMs, () => this.#issueRound());
    } else if (this.#dirtyBlocks.size > 0 && this.#ctx.options.selfUpdateDelayMs > 0) {
      this.#phase = 'batching';
      this.#setTimer(this.#ctx.options.selfUpdateDelayMs, () => this.#requestSelfUpdate());
    }
  }

  #issueRound(): void {
    const v = this.#validator;
    if (!v || this.#phase !== 'batching') return;
    this.#phase = 'idle';
    const queuedUpdate = this.#adds.length === 0 && this.#removes.size === 0;
    if (queuedUpdate) {
      this.#wake();
      return;
    }
    const members = new Set(v.members().map((m) => m.leafIndex));
    const proposals: Uint8Array[] = [];
    const issue = (proposal: Parameters<typeof createExternalProposal>[1]['proposal']) => {
      const message = createExternalProposal(this.#ctx.suite, {
        groupId: v.groupId,
        epoch: v.epoch,
        senderIndex: this.#senderIndex,
        signaturePrivateKey: this.#ctx.externalSenderPrivateKey,
        proposal,
      });
      v.process(message);
      proposals.push(message);
      this.#persist(this.#ctx.store.appendProposal(this.id, v.epoch, message));
      this.#ctx.emit('proposal', {
        meetingId: this.id,
        epoch: v.epoch,
        type: proposal.type as 'add' | 'remove',
      });
    };
    for (const [leaf] of this.#removes)
      if (members.has(leaf)) issue({ type: 'remove', removed: leaf });
    this.#removes.clear();
    for (const seat of this.#adds) {
      if (!seat.connected || this.#seats.get(seat.userId) !== seat) continue;
      try {
        issue({ type: 'add', keyPackage: keyPackageFromMessage(seat.keyPackage!) });
        seat.state = 'proposed';
      } catch (e) {
        if (e instanceof CanopyError)
          this.#fatal(seat, new DeliveryError('invalid-key-package', e.message));
        else throw e;
      }
    }
    this.#adds = [];
    for (const p of proposals) {
      const f = frame({ type: 'proposal', message: p });
      for (const s of this.#seats.values()) if (s.leaf !== undefined && s.connected) s.send(f);
    }
    if (v.pendingProposals().length === 0) {
      this.#wake();
      return;
    }
    this.#phase = 'committing';
    this.#nameCommitter('proposals');
  }

  #nameCommitter(reason: 'proposals' | 'update', only?: Seat, block?: number): void {
    const v = this.#validator!;
    const leaving = new Set(
      v
        .pendingProposals()
        .flatMap((p) => (p.proposal.type === 'remove' ? [p.proposal.removed] : [])),
    );
    const candidates = only
      ? [{ userId: only.userId, leaf: only.leaf! }]
      : this.#activeMembers()
          .filter((s) => !leaving.has(s.leaf!))
          .map((s) => ({ userId: s.userId, leaf: s.leaf! }));
    const chosen = this.#schedule.next(candidates);
    if (!chosen) {
      if (candidates.length === 0 && !only) {
        this.#dropGroup();
        return;
      }
      if (reason === 'update') {
        this.#phase = 'idle';
        this.#wake();
        return;
      }
      // everyone timed out this epoch: give them another chance
      this.#schedule.newEpoch();
      this.#setTimer(this.#ctx.options.committerTimeoutMs, () => this.#nameCommitter(reason));
      return;
    }
    this.#committer = { userId: chosen.userId, reason, block };
    this.#seats.get(chosen.userId)!.send(frame({ type: 'commit-request', epoch: v.epoch, reason }));
    const epoch = v.epoch;
    this.#setTimer(this.#ctx.options.committerTimeoutMs, () => {
      if (this.#validator?.epoch === epoch && this.#committer?.userId === chosen.userId)
        this.#passOver(chosen.userId, 'timeout');
    });
  }

  /** The named committer timed out or went away: name another (an update round just ends). */
  #passOver(userId: string, why: 'timeout' | 'gone' | 'refused'): void {
    const v = this.#validator;
    if (!v || this.#committer?.userId !== userId) return;
    const { reason } = this.#committer;
    this.#schedule.skip(userId);
    this.#ctx.emit('committer-passed-over', { meetingId: this.id, epoch: v.epoch, userId, why });
    this.#committer = undefined;
    this.#clearTimer();
    if (reason === 'update') {
      this.#phase = 'idle';
      this.#wake();
      return;
    }
    this.#nameCommitter(reason);
  }

  /** Names one member of a dirty 4-leaf block to commit a self-update (DESIGN.md, "Cheap commits"). */
  #requestSelfUpdate(): void {
    if (this.#phase !== 'batching') return;
    this.#phase = 'idle';
    if (this.#adds.length > 0 || this.#removes.size > 0) {
      this.#wake();
      return;
    }
    if (this.#dirtyBlocks.size === 0) return;
    const byBlock = new Map<number, Seat[]>();
    for (const s of this.#activeMembers()) {
      if (this.#schedule.isDistrusted(s.userId)) continue;
      const block = s.leaf! >> 2;
      byBlock.set(block, [...(byBlock.get(block) ?? []), s]);
    }
    // Bit-reversed block order: the first self-updates land far apart and set
    // the parent nodes near the root, so no early update encrypts to a blank
    // half of the tree (ascending order made the first ones O(N)).
    const width = Math.max(1, Math.ceil(Math.log2(Math.max(...this.#dirtyBlocks) + 1)));
    const order = [...this.#dirtyBlocks].sort(
      (a, b) => reverseBits(a, width) - reverseBits(b, width) || a - b,
    );
    for (const block of order) {
      this.#dirtyBlocks.delete(block);
      const inBlock = byBlock.get(block) ?? [];
      // prefer a member known to have applied the epoch
      const seat = inBlock.find((s) => this.#acks.has(s.userId)) ?? inBlock[0];
      if (!seat) continue;
      this.#phase = 'committing';
      this.#nameCommitter('update', seat, block);
      return;
    }
  }

  #activeMembers(): Seat[] {
    return [...this.#seats.values()].filter((s) => s.active && s.leaf !== undefined);
  }

  // --- epochs and the media switch --------------------------------------------

  #startEpoch(): void {
    this.#epochStart = now();
    this.#acks = new Set();
    this.#expected = this.#activeMembers().length;
    this.#switched = false;
    clearTimeout(this.#switchTimer);
    this.#switchTimer = setTimeout(
      () => this.#queue.run(() => this.#announceSwitch(true)),
      this.#ctx.options.switchTimeoutMs,
    );
    this.#switchTimer.unref?.();
  }

  #announceSwitch(timedOut: boolean): void {
    const v = this.#validator;
    if (!v || this.#switched) return;
    this.#switched = true;
    clearTimeout(this.#switchTimer);
    const f = frame({ type: 'switch', epoch: v.epoch });
    const members = this.#activeMembers();
    for (const s of members) s.send(f);
    this.#ctx.emit('epoch-switch', {
      meetingId: this.id,
      epoch: v.epoch,
      ms: now() - this.#epochStart,
      acknowledged: this.#acks.size,
      expected: members.length,
      timedOut,
    });
  }

  // --- lobby, end, teardown -----------------------------------------------------

  #sendLobby(): void {
    const entries = [...this.#seats.values()]
      .filter((s) => s.state === 'lobby')
      .map((s) => ({ userId: s.userId, displayName: s.displayName }));
    const f = frame({ type: 'lobby-list', entries });
    for (const s of this.#seats.values()) if (s.role === 'host' && s.leaf !== undefined) s.send(f);
  }

  #nextCreator(): void {
    if (this.#validator || this.#creator()) return;
    const next = this.#adds.shift();
    if (!next) return;
    next.state = 'creating';
    next.send(frame({ type: 'create-group' }));
  }

  /** Nobody left to commit: the group goes; anyone waiting starts a new one. */
  #dropGroup(): void {
    if (!this.#validator) return;
    this.#validator = undefined;
    this.#clearTimer();
    clearTimeout(this.#switchTimer);
    this.#phase = 'idle';
    this.#committer = undefined;
    this.#removes.clear();
    this.#dirtyBlocks.clear();
    this.#persist(this.#ctx.store.drop(this.id));
    this.#ctx.emit('meeting-dropped', { meetingId: this.id, reason: 'empty' });
    for (const s of [...this.#seats.values()]) {
      if (s.leaf !== undefined) {
        s.leaf = undefined;
        if (s.connected) {
          s.send(frame({ type: 'removed', reason: s.departing ?? 'removed' }));
          s.connection.close(NORMAL_CLOSE, 'group dropped');
        }
        this.#forget(s, s.departing ?? (s.connected ? 'left' : 'timeout'));
      } else if (s.state === 'proposed') {
        s.state = 'queued';
        this.#adds.push(s);
      }
    }
    this.#nextCreator();
    if (this.#seats.size === 0) this.#close();
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#clearTimer();
    clearTimeout(this.#switchTimer);
    const f = frame({ type: 'ended' });
    for (const s of this.#seats.values()) {
      clearTimeout(s.graceTimer);
      s.send(f);
      if (s.connected) s.connection.close(NORMAL_CLOSE, 'meeting ended');
    }
    this.#seats.clear();
    this.#seatsByKey.clear();
    this.#tickets.clear();
    if (this.#validator) {
      this.#validator = undefined;
      this.#persist(this.#ctx.store.drop(this.id));
    }
    this.#ctx.emit('meeting-dropped', { meetingId: this.id, reason: 'ended' });
    this.#emitCounts();
    this.#close();
  }

  #close(): void {
    this.#clearTimer();
    clearTimeout(this.#switchTimer);
    this.#ctx.closed(this);
  }

  #fatal(seat: Seat, error: CanopyError): void {
    this.#ctx.emit('rejected', {
      connectionId: seat.connection.id,
      reason: error.code,
      fatal: true,
    });
    seat.send(
      frame({ type: 'error', code: error.code, message: error.message.slice(0, 400), fatal: true }),
    );
    seat.connection.close(POLICY_CLOSE, error.code);
    if (this.#seats.get(seat.userId) === seat) {
      seat.connected = false;
      this.#depart(seat, 'removed');
    }
  }

  /**
   * The store records what this node decided (single node: the memory store
   * never fails). A failing store is logged; a multi-node store must make
   * "first commit wins" atomic itself (see group-store.ts).
   */
  #persist(write: Promise<unknown>): void {
    write.catch((e) => this.#ctx.log(`meeting ${this.id}: group store write failed`, e));
  }

  #setTimer(ms: number, task: () => void): void {
    this.#clearTimer();
    this.#timer = setTimeout(() => this.#queue.run(task), ms);
    this.#timer.unref?.();
  }

  #clearTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #emitCounts(): void {
    this.#ctx.countsChanged();
  }
}

function frame(f: ServerFrame): Uint8Array {
  return encodeServerFrame(f);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

function sameCredential(
  a: { type: string; identity?: Uint8Array },
  b: { type: string; identity?: Uint8Array },
): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'basic') return equal(a.identity!, b.identity!);
  return JSON.stringify(a) === JSON.stringify(b);
}

/** `n`'s lowest `width` bits in reverse order. */
function reverseBits(n: number, width: number): number {
  let r = 0;
  for (let i = 0; i < width; i++) r = (r << 1) | ((n >> i) & 1);
  return r;
}
