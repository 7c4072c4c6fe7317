/**
 * The delivery service (DS) of one server (DESIGN.md, "Key management"): it
 * identifies connections by their signed link, has the Authentication Service
 * vouch for their MLS signature keys, and runs each meeting's MLS group as
 * external sender — admissions and departures become external proposals it
 * signs, members it names commit them, and it orders one commit per epoch.
 * It holds no group secret.
 *
 * ```ts
 * const ds = new DeliveryService({ suite, authentication, links });
 * new SignalingServer(http, (connection) => ds.accept(connection));
 * ds.on('commit-accepted', (e) => metrics.commits.inc({ result: 'accepted' }));
 * ```
 *
 * Lifecycle: `close()` ends every meeting. Events: see DeliveryEvents.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { CipherSuite } from '@canopy/shared/crypto';
import type { CanopyIdentity } from '@canopy/shared/identity';
import { type Credential, DEFAULT_MAX_KEY_PACKAGE_LIFETIME } from '@canopy/shared/mls';
import {
  CanopyError,
  type DeliveryRole,
  decodeClientFrame,
  encodeServerFrame,
  MeetingId,
} from '@canopy/shared/protocol';
import type { SignalingConnection } from '../signaling/index.js';
import { DeliveryError } from './errors.js';
import type { DeliveryEvents } from './events.js';
import { type GroupStore, MemoryGroupStore } from './group-store.js';
import type { LinkVerifier } from './links.js';
import { type MeetingContext, MeetingGroup, type MeetingOptions } from './meeting-group.js';
import { type DeliveryConnection, Seat } from './seat.js';

/** The Authentication Service as the DS uses it (server/src/auth/authentication-service.ts). */
export interface CredentialIssuer {
  readonly publicKey: Uint8Array;
  issueCredential(identity: CanopyIdentity, signatureKey: Uint8Array): Credential;
}

export interface DeliveryServiceOptions {
  /** The MLS cipher suite of every meeting (Canopy: suite 1 on the native provider). */
  readonly suite: CipherSuite;
  readonly authentication: CredentialIssuer;
  readonly links: LinkVerifier;
  /** The external-sender signature private key (distinct from the AS key); default: a fresh one. */
  readonly externalSenderPrivateKey?: Uint8Array;
  /** Where meetings' ordering state lives; default MemoryGroupStore. */
  readonly store?: GroupStore;
  /** Per-meeting timings and limits (see MeetingOptions for each default). */
  readonly meeting?: Partial<MeetingOptions>;
  readonly log?: (message: string, error?: unknown) => void;
}

/**
 * Defaults: batches of 30 ms, committers silent for 3 s are passed over, a
 * committer set of 3, 2 s of grace after a disconnect, the media switch when
 * every member acknowledged or after 1 s, self-updates 50 ms apart.
 */
export const DEFAULT_MEETING_OPTIONS: MeetingOptions = {
  batchWindowMs: 30,
  committerTimeoutMs: 3_000,
  committers: 3,
  disconnectGraceMs: 2_000,
  switchQuorum: 1,
  switchTimeoutMs: 1_000,
  selfUpdateDelayMs: 50,
  maxParticipants: 10_000,
  maxKeyPackageLifetime: DEFAULT_MAX_KEY_PACKAGE_LIFETIME,
  resumeWindowMs: 120_000,
};

/**
 * Heartbeat pings answered per connection: a burst of PING_BURST, refilled at
 * PINGS_PER_SECOND; pings beyond that go unanswered (a client pinging that
 * often only makes itself look lost). Clients ping every few seconds.
 */
export const PING_BURST = 4;
export const PINGS_PER_SECOND = 4;

/** How many ended meeting ids are remembered (their links are refused). */
const ENDED_MEMORY = 10_000;

/** Who a connection is in the MLS group of its meeting (see DeliveryService.memberOf). */
export interface DeliveryMember {
  readonly meetingId: string;
  readonly userId: string;
  /** As the AS certified it in the member's credential. */
  readonly displayName: string;
  readonly role: DeliveryRole;
  /** Its MLS leaf index: the sender index of every SFrame KID it sends. */
  readonly leafIndex: number;
}

/** The DS's handle on one connection: feed it frames, tell it when the connection is gone. */
export interface DeliveryEndpoint {
  frame(bytes: Uint8Array): void;
  closed(): void;
}

export class DeliveryService extends EventEmitter<DeliveryEvents> {
  /** The external-sender signature public key every group's external_senders must name. */
  readonly externalSenderKey: Uint8Array;
  readonly #suite: CipherSuite;
  readonly #auth: CredentialIssuer;
  readonly #links: LinkVerifier;
  readonly #meetings = new Map<string, MeetingGroup>();
  readonly #ended = new Set<string>();
  /** Seats by connection id, from hello until the connection is gone. */
  readonly #seats = new Map<string, Seat>();
  readonly #ctx: Omit<MeetingContext, 'options'>;
  readonly #options: MeetingOptions;
  readonly #log: (message: string, error?: unknown) => void;
  #closed = false;

  constructor(options: DeliveryServiceOptions) {
    super();
    this.#suite = options.suite;
    this.#auth = options.authentication;
    this.#links = options.links;
    this.#log = options.log ?? ((m, e) => console.error(`[delivery] ${m}`, e ?? ''));
    this.#options = { ...DEFAULT_MEETING_OPTIONS, ...options.meeting };
    const q = this.#options.switchQuorum;
    if (!(q > 0 && q <= 1)) throw new RangeError('switchQuorum must be in (0, 1]');
    const key = options.externalSenderPrivateKey ?? this.#suite.signature.generatePrivateKey();
    this.externalSenderKey = this.#suite.signature.publicKey(key);
    if (equal(this.externalSenderKey, this.#auth.publicKey))
      throw new RangeError('the external-sender key must differ from the AS key');
    this.#ctx = {
      suite: this.#suite,
      asPublicKey: this.#auth.publicKey,
      externalSenderKey: this.externalSenderKey,
      externalSenderPrivateKey: key,
      store: options.store ?? new MemoryGroupStore(),
      emit: (event, ...args) => {
        try {
          (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args);
        } catch (e) {
          this.#log(`a ${event} listener threw`, e);
        }
      },
      log: this.#log,
      countsChanged: () => this.#counts(),
      closed: (meeting) => {
        if (this.#meetings.get(meeting.id) === meeting) this.#meetings.delete(meeting.id);
        if (meeting.ended) this.#remember(meeting.id);
        this.#counts();
      },
    };
  }

  /** Serves the DS protocol (binary frames) on a signaling connection. */
  accept(connection: SignalingConnection): void {
    const endpoint = this.attach({
      id: connection.id,
      send: (bytes) => connection.sendBinary(bytes),
      close: (code, reason) => connection.close(code, reason),
    });
    connection.setBinaryHandler((bytes) => endpoint.frame(bytes));
    connection.once('close', () => endpoint.closed());
  }

  /** Serves the DS protocol on any transport of binary frames. */
  attach(connection: DeliveryConnection): DeliveryEndpoint {
    let phase: 'new' | 'hello' | 'seated' | 'closed' = 'new';
    let seat: Seat | undefined;
    let meeting: MeetingGroup | undefined;
    let pings = PING_BURST;
    let pingsAt = performance.now();
    const fatal = (error: CanopyError) => {
      if (phase === 'closed') return;
      this.#ctx.emit('rejected', { connectionId: connection.id, reason: error.code, fatal: true });
      connection.send(
        encodeServerFrame({
          type: 'error',
          code: error.code,
          message: error.message.slice(0, 400),
          fatal: true,
        }),
      );
      connection.close(1008, error.code);
      if (seat && meeting) meeting.disconnected(seat);
      if (seat) this.#seats.delete(connection.id);
      phase = 'closed';
    };
    return {
      frame: (bytes) => {
        if (phase === 'closed') return;
        let f: ReturnType<typeof decodeClientFrame>;
        try {
          f = decodeClientFrame(bytes);
        } catch (e) {
          if (e instanceof CanopyError) return fatal(e);
          throw e;
        }
        if (f.type === 'ping' && phase !== 'new') {
          // answered here, not behind the meeting's queue: it measures the connection
          const t = performance.now();
          pings = Math.min(PING_BURST, pings + ((t - pingsAt) / 1000) * PINGS_PER_SECOND);
          pingsAt = t;
          if (pings < 1) return;
          pings -= 1;
          connection.send(encodeServerFrame({ type: 'pong', seq: f.seq }));
          return;
        }
        if (phase === 'seated') return meeting!.receive(seat!, f);
        if (phase === 'hello' || f.type !== 'hello')
          return fatal(
            new DeliveryError('unexpected-frame', 'the first frame must be hello, alone'),
          );
        phase = 'hello';
        this.#hello(connection, f.token, f.displayName, f.signatureKey, f.resume).then(
          (joined) => {
            if (!joined) {
              phase = 'closed'; // turned away (a revoked resume ticket), already told why
              return;
            }
            if (phase !== 'hello') {
              joined.meeting.disconnected(joined.seat);
              return;
            }
            ({ seat, meeting } = joined);
            this.#seats.set(connection.id, joined.seat);
            phase = 'seated';
          },
          (e) => {
            if (e instanceof CanopyError) fatal(e);
            else {
              this.#log(`connection ${connection.id}: hello failed`, e);
              fatal(new DeliveryError('invalid-link', 'the link could not be checked'));
            }
          },
        );
      },
      closed: () => {
        if (phase === 'seated' && seat && meeting) meeting.disconnected(seat);
        if (seat) this.#seats.delete(connection.id);
        phase = 'closed';
      },
    };
  }

  async #hello(
    connection: DeliveryConnection,
    token: string,
    displayName: string,
    signatureKey: Uint8Array,
    resume: Uint8Array | undefined,
  ): Promise<{ seat: Seat; meeting: MeetingGroup } | undefined> {
    let claims: Awaited<ReturnType<LinkVerifier['verify']>>;
    try {
      claims = await this.#links.verify(token);
    } catch (e) {
      throw new DeliveryError('invalid-link', e instanceof Error ? e.message : 'invalid link');
    }
    if (this.#closed) throw new DeliveryError('meeting-ended', 'the server is closing');
    if (!MeetingId.safeParse(claims.meetingId).success)
      throw new DeliveryError('invalid-link', 'malformed meeting id');
    // the same scheme as the DS's own key: same public key size
    if (signatureKey.length !== this.externalSenderKey.length)
      throw new DeliveryError('invalid-signature-key', 'not a public key of the MLS cipher suite');
    if (this.#ended.has(claims.meetingId))
      throw new DeliveryError('meeting-ended', 'the meeting has ended');
    // A resume ticket names the user whose place this connection takes (or the removal it met).
    const resumed = resume
      ? this.#meetings.get(claims.meetingId)?.lookupTicket(resume, claims.role, displayName)
      : undefined;
    if (resumed && 'refused' in resumed) {
      connection.send(encodeServerFrame({ type: 'removed', reason: resumed.refused }));
      connection.close(1000, resumed.refused);
      return undefined;
    }
    const identity: CanopyIdentity = {
      meetingId: claims.meetingId,
      userId: resumed?.userId ?? claims.userId ?? randomBytes(16).toString('base64url'),
      displayName,
      role: claims.role,
    };
    const credential = this.#auth.issueCredential(identity, signatureKey);
    let meeting = this.#meetings.get(identity.meetingId);
    if (!meeting) {
      meeting = new MeetingGroup(identity.meetingId, { ...this.#ctx, options: this.#options });
      this.#meetings.set(identity.meetingId, meeting);
    }
    const seat = new Seat(
      connection,
      identity.meetingId,
      identity.userId,
      displayName,
      identity.role,
      signatureKey.slice(),
      credential,
    );
    meeting.join(seat, resumed ? resume : undefined);
    connection.send(
      encodeServerFrame({
        type: 'identity',
        meetingId: identity.meetingId,
        userId: identity.userId,
        displayName,
        role: identity.role,
        credential,
        externalSenderKey: this.externalSenderKey,
      }),
    );
    this.#counts();
    return { seat, meeting };
  }

  /** The meeting's delivery state, while it has participants. */
  meeting(meetingId: string): MeetingGroup | undefined {
    return this.#meetings.get(meetingId);
  }

  /** Whether `userId` is in `meetingId`'s MLS group (gate media admission on this). */
  isMember(meetingId: string, userId: string): boolean {
    return this.#meetings.get(meetingId)?.isMember(userId) ?? false;
  }

  /**
   * The meeting, identity and leaf of the connection `connectionId` while it
   * is an active member of its meeting's MLS group (admitted, connected, not
   * being removed); undefined otherwise. Media admission is gated on this:
   * a connection gets media only in the meeting whose group it is in, and
   * sends under its own leaf index.
   */
  memberOf(connectionId: string): DeliveryMember | undefined {
    const seat = this.#seats.get(connectionId);
    if (!seat?.active || seat.leaf === undefined) return undefined;
    if (!this.#meetings.get(seat.meetingId)?.isMember(seat.userId)) return undefined;
    return {
      meetingId: seat.meetingId,
      userId: seat.userId,
      displayName: seat.displayName,
      role: seat.role,
      leafIndex: seat.leaf,
    };
  }

  /**
   * memberOf, once the connection's pending admission settles: the member
   * that created its meeting's group already holds its first epoch while the
   * DS is still checking the group it sent, so that case is awaited (at most
   * `timeoutMs`); any other non-member is answered at once.
   */
  async settledMemberOf(
    connectionId: string,
    timeoutMs = 5_000,
  ): Promise<DeliveryMember | undefined> {
    const now = this.memberOf(connectionId);
    const seat = this.#seats.get(connectionId);
    if (now || seat?.state !== 'creating' || !seat.connected) return now;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.off('admitted', admitted);
        this.off('departed', admitted);
        resolve();
      };
      const admitted = (e: { meetingId: string; userId: string }) => {
        if (e.meetingId === seat.meetingId && e.userId === seat.userId) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.on('admitted', admitted);
      this.on('departed', admitted);
    });
    return this.memberOf(connectionId);
  }

  /** Ends every meeting; new hellos are refused. */
  close(): void {
    this.#closed = true;
    for (const m of this.#meetings.values()) m.end();
  }

  #remember(meetingId: string): void {
    this.#ended.add(meetingId);
    if (this.#ended.size > ENDED_MEMORY) this.#ended.delete(this.#ended.values().next().value!);
  }

  #counts(): void {
    let participants = 0;
    let meetings = 0;
    for (const m of this.#meetings.values()) {
      participants += m.size;
      if (m.epoch !== undefined) meetings++;
    }
    this.#ctx.emit('counts', { meetings, participants });
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
