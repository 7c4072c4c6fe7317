/**
 * The delivery-service protocol: binary WebSocket frames between a participant
 * core and the server's delivery service (DESIGN.md, "Key management"). MLS
 * payloads travel as raw RFC 9420 bytes, never as base64 inside JSON.
 *
 * A frame is `uint8 type` followed by the body in the TLS presentation
 * language (RFC 9420 §2.1: varint-prefixed opaque vectors, big-endian
 * integers). Every frame type has its own size limit; decoding is strict
 * (unknown type, oversize, truncated, trailing bytes, out-of-range values all
 * throw ProtocolError) and a decoded frame holds copies of its bytes.
 *
 * Client → server: hello, key-package, group-create, commit, ack, report,
 * host, leave, ping. Server → client: identity, create-group, lobby,
 * lobby-list, proposal, commit-request, commit, refused, welcome, switch,
 * reset, removed, ended, error, pong, resume-ticket.
 *
 * Heartbeat: browsers cannot see WebSocket ping frames, so a client learns
 * that its connection silently died from its own `ping` frames going
 * unanswered; the server answers each (rate-limited) with a `pong` carrying
 * the same number.
 */
import { bytesToUtf8 } from '@noble/ciphers/utils.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { DecodeError, Reader, Writer } from '../codec/index.js';
import { DisplayName, Id } from './common.js';
import { ProtocolError } from './errors.js';

/** A participant's role in a meeting, as its link grants it. */
export type DeliveryRole = 'host' | 'participant';

/** RFC 9420 §5.3 Credential, carried as the AS issued it. */
export type WireCredential =
  | { readonly type: 'basic'; readonly identity: Uint8Array }
  | { readonly type: 'x509'; readonly certificates: readonly Uint8Array[] };

/** What a host can do to a meeting or a participant. */
export type HostAction = 'admit' | 'deny' | 'remove' | 'lock' | 'unlock' | 'end';

/** Why a participant is no longer in the meeting. */
export type RemovalReason = 'left' | 'removed' | 'denied' | 'locked' | 'timeout';

/** What a member failed to process. */
export type ReportSubject = 'commit' | 'welcome';

/** Why the DS asks a member to commit: pending proposals, or a self-update to fill the tree. */
export type CommitReason = 'proposals' | 'update';

export type ClientFrame =
  /**
   * First frame: the signed link and the signature key the AS should vouch
   * for; `resume`, the ticket a previous connection of this participant got
   * (`resume-ticket`), to come back without waiting in the lobby.
   */
  | {
      readonly type: 'hello';
      readonly token: string;
      readonly displayName: string;
      readonly signatureKey: Uint8Array;
      readonly resume?: Uint8Array;
    }
  /** A KeyPackage (MLSMessage) whose credential is the one `identity` issued. */
  | { readonly type: 'key-package'; readonly keyPackage: Uint8Array }
  /** The first member's new group: GroupInfo (MLSMessage) and ratchet tree. */
  | {
      readonly type: 'group-create';
      readonly groupInfo: Uint8Array;
      readonly ratchetTree: Uint8Array;
    }
  /** A commit (PublicMessage) with the new epoch's GroupInfo and, for adds, the Welcome. */
  | {
      readonly type: 'commit';
      readonly commit: Uint8Array;
      readonly groupInfo: Uint8Array;
      readonly welcome?: Uint8Array;
    }
  /** This member applied `epoch`. */
  | { readonly type: 'ack'; readonly epoch: bigint }
  /** This member could not process the commit into, or the Welcome for, `epoch`. */
  | {
      readonly type: 'report';
      readonly subject: ReportSubject;
      readonly epoch: bigint;
      readonly reason: string;
    }
  /** A host's action; `userId` names the participant for admit, deny and remove. */
  | { readonly type: 'host'; readonly action: HostAction; readonly userId?: string }
  | { readonly type: 'leave' }
  /** Heartbeat: the server answers with a `pong` carrying `seq`. */
  | { readonly type: 'ping'; readonly seq: number };

export type ServerFrame =
  /** Answer to hello: who the link and the AS say this connection is. */
  | {
      readonly type: 'identity';
      readonly meetingId: string;
      readonly userId: string;
      readonly displayName: string;
      readonly role: DeliveryRole;
      readonly credential: WireCredential;
      /** The DS's external-sender signature key (RFC 9420 §12.1.8). */
      readonly externalSenderKey: Uint8Array;
    }
  /** The meeting has no group yet: create it (send group-create). */
  | { readonly type: 'create-group' }
  /** Waiting in the lobby for a host. */
  | { readonly type: 'lobby' }
  /** For hosts: who waits in the lobby now. */
  | {
      readonly type: 'lobby-list';
      readonly entries: readonly { readonly userId: string; readonly displayName: string }[];
    }
  /** An external proposal (PublicMessage) signed by the DS, for the current epoch. */
  | { readonly type: 'proposal'; readonly message: Uint8Array }
  /** You are named committer for `epoch`. */
  | { readonly type: 'commit-request'; readonly epoch: bigint; readonly reason: CommitReason }
  /**
   * The accepted commit that starts `epoch`. `sentAt` is when the DS sent it
   * (wall-clock ms since the Unix epoch, µs resolution), set where the fan-out
   * is encoded, so a load runner can measure DS send → member receive; members
   * ignore it (across machines it needs synchronised clocks).
   */
  | {
      readonly type: 'commit';
      readonly epoch: bigint;
      readonly message: Uint8Array;
      readonly sentAt?: number;
    }
  /** Your commit was refused; the group is at `epoch`. Discard it (and rebase when asked). */
  | { readonly type: 'refused'; readonly epoch: bigint; readonly reason: string }
  /** You were added in `epoch`: the Welcome and that epoch's ratchet tree. */
  | {
      readonly type: 'welcome';
      readonly epoch: bigint;
      readonly welcome: Uint8Array;
      readonly ratchetTree: Uint8Array;
    }
  /** Senders switch media to `epoch` now. */
  | { readonly type: 'switch'; readonly epoch: bigint }
  /** Discard your group state and send a fresh KeyPackage: you are being re-added. */
  | { readonly type: 'reset'; readonly reason: string }
  | { readonly type: 'removed'; readonly reason: RemovalReason }
  | { readonly type: 'ended' }
  /** A typed error; `fatal` errors are followed by the server closing the connection. */
  | {
      readonly type: 'error';
      readonly code: string;
      readonly message: string;
      readonly fatal: boolean;
    }
  /** The answer to `ping` `seq`. */
  | { readonly type: 'pong'; readonly seq: number }
  /**
   * A member's ticket to resume its place after a lost connection (hello's
   * `resume`): it skips the lobby, for this meeting, user and role only, and
   * dies when the member leaves, is removed, or the meeting ends.
   */
  | { readonly type: 'resume-ticket'; readonly ticket: Uint8Array };

export type ClientFrameType = ClientFrame['type'];
export type ServerFrameType = ServerFrame['type'];

/** Length of a resume ticket (random bytes). */
export const RESUME_TICKET_BYTES = 16;

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Largest frame of each type (whole frame, in bytes). A 10,000-member ratchet
 * tree is ~2.3 MB, so Welcomes carry up to 8 MiB; commits of a sparse tree
 * carry an UpdatePath linear in the members they encrypt to.
 */
export const DELIVERY_LIMITS = {
  client: {
    hello: 8 * KiB,
    'key-package': 16 * KiB,
    'group-create': 64 * KiB,
    commit: 4 * MiB,
    ack: 16,
    report: 1 * KiB,
    host: 256,
    leave: 1,
    ping: 5,
  } satisfies Record<ClientFrameType, number>,
  server: {
    identity: 16 * KiB,
    'create-group': 1,
    lobby: 1,
    'lobby-list': 2 * MiB,
    proposal: 32 * KiB,
    'commit-request': 16,
    commit: 4 * MiB,
    refused: 1 * KiB,
    welcome: 16 * MiB,
    switch: 16,
    reset: 1 * KiB,
    removed: 2,
    ended: 1,
    error: 2 * KiB,
    pong: 5,
    'resume-ticket': 1 + 1 + RESUME_TICKET_BYTES,
  } satisfies Record<ServerFrameType, number>,
  /** Longest link token, in bytes. */
  maxTokenBytes: 4 * KiB,
  /** Longest free-text reason or message, in bytes. */
  maxReasonBytes: 512,
} as const;

/** The largest frame a client may send (the WebSocket's receive cap on the server). */
export const MAX_CLIENT_FRAME_BYTES = Math.max(...Object.values(DELIVERY_LIMITS.client));
/** The largest frame the server may send. */
export const MAX_SERVER_FRAME_BYTES = Math.max(...Object.values(DELIVERY_LIMITS.server));

const CLIENT_TYPES: readonly ClientFrameType[] = [
  'hello',
  'key-package',
  'group-create',
  'commit',
  'ack',
  'report',
  'host',
  'leave',
  'ping',
];
const SERVER_TYPES: readonly ServerFrameType[] = [
  'identity',
  'create-group',
  'lobby',
  'lobby-list',
  'proposal',
  'commit-request',
  'commit',
  'refused',
  'welcome',
  'switch',
  'reset',
  'removed',
  'ended',
  'error',
  'pong',
  'resume-ticket',
];
/** Client frames are 1–127, server frames 128–255, so one can never pass for the other. */
const SERVER_BASE = 128;

const ROLES: readonly DeliveryRole[] = ['host', 'participant'];
const ACTIONS: readonly HostAction[] = ['admit', 'deny', 'remove', 'lock', 'unlock', 'end'];
const REASONS: readonly RemovalReason[] = ['left', 'removed', 'denied', 'locked', 'timeout'];
const SUBJECTS: readonly ReportSubject[] = ['commit', 'welcome'];
const COMMIT_REASONS: readonly CommitReason[] = ['proposals', 'update'];

function writeText(w: Writer, text: string): void {
  w.opaque(utf8ToBytes(text));
}

/** Strict UTF-8: bytes that do not re-encode to themselves (invalid sequences) are refused. */
function readText(r: Reader, maxBytes: number): string {
  const bytes = r.opaque(maxBytes);
  const text = bytesToUtf8(bytes);
  const again = utf8ToBytes(text);
  if (again.length !== bytes.length || again.some((b, i) => b !== bytes[i]))
    throw new DecodeError('invalid-value', 'text is not valid UTF-8');
  return text;
}

function enumIndex<T>(values: readonly T[], value: T): number {
  const i = values.indexOf(value);
  if (i < 0) throw new ProtocolError('invalid-message', `cannot encode ${String(value)}`);
  return i;
}

function readEnum<T>(r: Reader, values: readonly T[], what: string): T {
  const i = r.u8();
  if (i >= values.length) throw new DecodeError('invalid-value', `${what} ${i}`);
  return values[i];
}

function readId(r: Reader): string {
  const id = readText(r, 64);
  if (!Id.safeParse(id).success) throw new DecodeError('invalid-value', 'malformed user id');
  return id;
}

function readDisplayName(r: Reader): string {
  const name = readText(r, 4 * 64);
  if (!DisplayName.safeParse(name).success)
    throw new DecodeError('invalid-value', 'malformed display name');
  return name;
}

function readTicket(r: Reader): Uint8Array {
  const ticket = r.opaque(RESUME_TICKET_BYTES);
  if (ticket.length !== RESUME_TICKET_BYTES)
    throw new DecodeError('invalid-value', `a resume ticket has ${RESUME_TICKET_BYTES} bytes`);
  return ticket;
}

function writeCredential(w: Writer, c: WireCredential): void {
  if (c.type === 'basic') w.u16(1).opaque(c.identity);
  else w.u16(2).vector(c.certificates, (w2, cert) => w2.opaque(cert));
}

function readCredential(r: Reader): WireCredential {
  const type = r.u16();
  if (type === 1) return { type: 'basic', identity: r.opaque() };
  if (type === 2) return { type: 'x509', certificates: r.vector((r2) => r2.opaque()) };
  throw new DecodeError('invalid-value', `credential type ${type}`);
}

function encodeClientBody(w: Writer, f: ClientFrame): void {
  switch (f.type) {
    case 'hello':
      writeText(w, f.token);
      writeText(w, f.displayName);
      w.opaque(f.signatureKey);
      w.optional(f.resume, (w2, v) => w2.opaque(v));
      return;
    case 'key-package':
      w.opaque(f.keyPackage);
      return;
    case 'group-create':
      w.opaque(f.groupInfo).opaque(f.ratchetTree);
      return;
    case 'commit':
      w.opaque(f.commit).opaque(f.groupInfo);
      w.optional(f.welcome, (w2, v) => w2.opaque(v));
      return;
    case 'ack':
      w.u64(f.epoch);
      return;
    case 'report':
      w.u8(enumIndex(SUBJECTS, f.subject)).u64(f.epoch);
      writeText(w, f.reason);
      return;
    case 'host':
      w.u8(enumIndex(ACTIONS, f.action));
      w.optional(f.userId, (w2, v) => writeText(w2, v));
      return;
    case 'leave':
      return;
    case 'ping':
      w.u32(f.seq);
      return;
  }
}

function decodeClientBody(r: Reader, type: ClientFrameType): ClientFrame {
  switch (type) {
    case 'hello': {
      const token = readText(r, DELIVERY_LIMITS.maxTokenBytes);
      const displayName = readDisplayName(r);
      const signatureKey = r.opaque(256);
      const resume = r.optional(readTicket);
      return resume
        ? { type, token, displayName, signatureKey, resume }
        : { type, token, displayName, signatureKey };
    }
    case 'key-package':
      return { type, keyPackage: r.opaque() };
    case 'group-create':
      return { type, groupInfo: r.opaque(), ratchetTree: r.opaque() };
    case 'commit': {
      const commit = r.opaque();
      const groupInfo = r.opaque();
      const welcome = r.optional((r2) => r2.opaque());
      return welcome ? { type, commit, groupInfo, welcome } : { type, commit, groupInfo };
    }
    case 'ack':
      return { type, epoch: r.u64() };
    case 'report':
      return {
        type,
        subject: readEnum(r, SUBJECTS, 'report subject'),
        epoch: r.u64(),
        reason: readText(r, DELIVERY_LIMITS.maxReasonBytes),
      };
    case 'host': {
      const action = readEnum(r, ACTIONS, 'host action');
      const userId = r.optional(readId);
      return userId === undefined ? { type, action } : { type, action, userId };
    }
    case 'leave':
      return { type };
    case 'ping':
      return { type, seq: r.u32() };
  }
}

function encodeServerBody(w: Writer, f: ServerFrame): void {
  switch (f.type) {
    case 'identity':
      writeText(w, f.meetingId);
      writeText(w, f.userId);
      writeText(w, f.displayName);
      w.u8(enumIndex(ROLES, f.role));
      writeCredential(w, f.credential);
      w.opaque(f.externalSenderKey);
      return;
    case 'create-group':
    case 'lobby':
    case 'ended':
      return;
    case 'lobby-list':
      w.vector(f.entries, (w2, e) => {
        writeText(w2, e.userId);
        writeText(w2, e.displayName);
      });
      return;
    case 'proposal':
      w.opaque(f.message);
      return;
    case 'commit-request':
      w.u64(f.epoch).u8(enumIndex(COMMIT_REASONS, f.reason));
      return;
    case 'commit':
      w.u64(f.epoch).opaque(f.message);
      w.optional(f.sentAt, (w2, t) => w2.u64(BigInt(Math.round(t * 1000))));
      return;
    case 'refused':
      w.u64(f.epoch);
      writeText(w, f.reason);
      return;
    case 'welcome':
      w.u64(f.epoch).opaque(f.welcome).opaque(f.ratchetTree);
      return;
    case 'switch':
      w.u64(f.epoch);
      return;
    case 'reset':
      writeText(w, f.reason);
      return;
    case 'removed':
      w.u8(enumIndex(REASONS, f.reason));
      return;
    case 'error':
      writeText(w, f.code);
      writeText(w, f.message);
      w.bool(f.fatal);
      return;
    case 'pong':
      w.u32(f.seq);
      return;
    case 'resume-ticket':
      w.opaque(f.ticket);
      return;
  }
}

function decodeServerBody(r: Reader, type: ServerFrameType): ServerFrame {
  const max = DELIVERY_LIMITS.maxReasonBytes;
  switch (type) {
    case 'identity':
      return {
        type,
        meetingId: readId(r),
        userId: readId(r),
        displayName: readDisplayName(r),
        role: readEnum(r, ROLES, 'role'),
        credential: readCredential(r),
        externalSenderKey: r.opaque(256),
      };
    case 'create-group':
    case 'lobby':
    case 'ended':
      return { type };
    case 'lobby-list':
      return {
        type,
        entries: r.vector((r2) => ({ userId: readId(r2), displayName: readDisplayName(r2) })),
      };
    case 'proposal':
      return { type, message: r.opaque() };
    case 'commit-request':
      return { type, epoch: r.u64(), reason: readEnum(r, COMMIT_REASONS, 'commit reason') };
    case 'commit': {
      const epoch = r.u64();
      const message = r.opaque();
      const sentAt = r.optional((r2) => Number(r2.u64()) / 1000);
      return sentAt === undefined ? { type, epoch, message } : { type, epoch, message, sentAt };
    }
    case 'refused':
      return { type, epoch: r.u64(), reason: readText(r, max) };
    case 'welcome':
      return { type, epoch: r.u64(), welcome: r.opaque(), ratchetTree: r.opaque() };
    case 'switch':
      return { type, epoch: r.u64() };
    case 'reset':
      return { type, reason: readText(r, max) };
    case 'removed':
      return { type, reason: readEnum(r, REASONS, 'removal reason') };
    case 'error':
      return { type, code: readText(r, 64), message: readText(r, max), fatal: r.bool() };
    case 'pong':
      return { type, seq: r.u32() };
    case 'resume-ticket':
      return { type, ticket: readTicket(r) };
  }
}

function encodeFrame<F extends { type: string }>(
  code: number,
  frame: F,
  body: (w: Writer, f: F) => void,
  limit: number,
): Uint8Array {
  const w = new Writer();
  w.u8(code);
  body(w, frame);
  const bytes = w.finish();
  if (bytes.length > limit) {
    throw new ProtocolError(
      'message-too-large',
      `${frame.type} frame of ${bytes.length} bytes exceeds ${limit}`,
    );
  }
  return bytes;
}

function decodeFrame<T extends string, F>(
  bytes: Uint8Array,
  types: readonly T[],
  base: number,
  limits: Record<T, number>,
  body: (r: Reader, type: T) => F,
): F {
  if (bytes.length === 0) throw new ProtocolError('invalid-message', 'empty frame');
  const code = bytes[0] - base;
  if (code < 1 || code > types.length)
    throw new ProtocolError('invalid-message', `unknown frame type ${bytes[0]}`);
  const type = types[code - 1];
  if (bytes.length > limits[type]) {
    throw new ProtocolError(
      'message-too-large',
      `${type} frame of ${bytes.length} bytes exceeds ${limits[type]}`,
    );
  }
  try {
    const r = new Reader(bytes, 1);
    const frame = body(r, type);
    r.done();
    return frame;
  } catch (e) {
    if (e instanceof DecodeError)
      throw new ProtocolError('invalid-message', `malformed ${type} frame: ${e.message}`);
    throw e;
  }
}

/** Encodes a frame a client sends. Throws ProtocolError if it exceeds its type's limit. */
export function encodeClientFrame(frame: ClientFrame): Uint8Array {
  return encodeFrame(
    1 + CLIENT_TYPES.indexOf(frame.type),
    frame,
    encodeClientBody,
    DELIVERY_LIMITS.client[frame.type],
  );
}

/** Decodes a client's frame (server side). Throws ProtocolError on any malformed input. */
export function decodeClientFrame(bytes: Uint8Array): ClientFrame {
  return decodeFrame(bytes, CLIENT_TYPES, 0, DELIVERY_LIMITS.client, decodeClientBody);
}

/** Encodes a frame the server sends; encode a broadcast once and send the bytes to all. */
export function encodeServerFrame(frame: ServerFrame): Uint8Array {
  return encodeFrame(
    SERVER_BASE + 1 + SERVER_TYPES.indexOf(frame.type),
    frame,
    encodeServerBody,
    DELIVERY_LIMITS.server[frame.type],
  );
}

/** Decodes a server's frame (client side). Throws ProtocolError on any malformed input. */
export function decodeServerFrame(bytes: Uint8Array): ServerFrame {
  return decodeFrame(bytes, SERVER_TYPES, SERVER_BASE, DELIVERY_LIMITS.server, decodeServerBody);
}
