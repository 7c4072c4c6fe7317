/**
 * Messages of the key worker (structured-cloned). Three parties:
 * the page's main thread (`ToKeyWorker` / `FromKeyWorker`: no key bytes ever
 * travel here), and the SFrame transform worker, which gets each epoch's
 * base key on a MessagePort the key worker holds (`MediaKeyMessage`).
 */
import { DisplayName, type HostAction, Id } from '@canopy/shared/protocol';
import type { RosterEntry } from '../participant/participant.js';

/** Main thread → key worker. */
export type ToKeyWorker =
  | {
      type: 'start';
      /** The signaling WebSocket URL (ws: or wss:). */
      url: string;
      /** The meeting link's token (`?t=`). */
      token: string;
      displayName: string;
      /** The AS public key from the link (`#as=`); public. */
      asPublicKey: Uint8Array;
      /** Where the transform worker listens for media keys (transferred). */
      mediaKeys: MessagePort;
      /** Heartbeat interval (ms) that detects a silently lost connection; default 3,000. */
      heartbeatMs?: number;
    }
  /**
   * A new transform worker's media-keys port (transferred), after the page
   * rejoined the media: it gets the epoch in force at once, then every new one.
   */
  | { type: 'media-keys'; port: MessagePort }
  /** A JSON signaling message to send on the connection. */
  | { type: 'signal'; text: string }
  /** A host action (the DS checks the role; the worker checks the shape). */
  | { type: 'host'; action: HostAction; userId?: string }
  | { type: 'leave' }
  | { type: 'close' };

/** What a host can do from the page. `admit`, `deny` and `remove` name a user id. */
export type { HostAction };

const HOST_ACTIONS: readonly HostAction[] = ['admit', 'deny', 'remove', 'lock', 'unlock', 'end'];
const TARGETED: ReadonlySet<HostAction> = new Set(['admit', 'deny', 'remove']);

/** Longest JSON signaling message the page may relay (the server's own cap is lower). */
export const MAX_SIGNAL_LENGTH = 1 << 20;

/** Heartbeat intervals the page may ask for (ms). */
export const HEARTBEAT_RANGE_MS = { min: 100, max: 60_000 } as const;

/**
 * Checks a message from the page: the key worker treats the page as
 * untrusted too, so anything not exactly one of `ToKeyWorker` is dropped
 * (undefined). Returns a fresh object holding only the known fields.
 */
export function parseToKeyWorker(data: unknown): ToKeyWorker | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const m = data as Record<string, unknown>;
  switch (m.type) {
    case 'start': {
      const { url, token, displayName, asPublicKey, mediaKeys } = m;
      if (typeof url !== 'string' || !/^wss?:\/\//.test(url) || url.length > 2048) return undefined;
      if (typeof token !== 'string' || token.length === 0 || token.length > 8192) return undefined;
      if (typeof displayName !== 'string' || !DisplayName.safeParse(displayName).success)
        return undefined;
      if (
        !(asPublicKey instanceof Uint8Array) ||
        asPublicKey.length === 0 ||
        asPublicKey.length > 256
      )
        return undefined;
      if (typeof MessagePort === 'undefined' || !(mediaKeys instanceof MessagePort))
        return undefined;
      const { heartbeatMs } = m;
      if (heartbeatMs === undefined)
        return { type: 'start', url, token, displayName, asPublicKey, mediaKeys };
      if (
        typeof heartbeatMs !== 'number' ||
        !Number.isInteger(heartbeatMs) ||
        heartbeatMs < HEARTBEAT_RANGE_MS.min ||
        heartbeatMs > HEARTBEAT_RANGE_MS.max
      )
        return undefined;
      return { type: 'start', url, token, displayName, asPublicKey, mediaKeys, heartbeatMs };
    }
    case 'media-keys':
      return typeof MessagePort !== 'undefined' && m.port instanceof MessagePort
        ? { type: 'media-keys', port: m.port }
        : undefined;
    case 'signal':
      return typeof m.text === 'string' && m.text.length <= MAX_SIGNAL_LENGTH
        ? { type: 'signal', text: m.text }
        : undefined;
    case 'host': {
      const action = HOST_ACTIONS.find((a) => a === m.action);
      if (!action) return undefined;
      if (!TARGETED.has(action))
        return m.userId === undefined ? { type: 'host', action } : undefined;
      return typeof m.userId === 'string' && Id.safeParse(m.userId).success
        ? { type: 'host', action, userId: m.userId }
        : undefined;
    }
    case 'leave':
      return { type: 'leave' };
    case 'close':
      return { type: 'close' };
    default:
      return undefined;
  }
}

/** Key worker → main thread: what the page may know (never key bytes). */
export type FromKeyWorker =
  /** The connection is open: JSON signaling may flow. */
  | { type: 'open' }
  /** A JSON signaling message from the server. */
  | { type: 'signal'; text: string }
  /** Who the AS says we are, and which library runs MLS's X25519/Ed25519 here. */
  | {
      type: 'identity';
      userId: string;
      displayName: string;
      role: string;
      mlsCrypto: 'libsodium' | 'noble';
    }
  | { type: 'lobby' }
  /** Hosts: who waits in the lobby (user id and the name they gave). */
  | { type: 'lobby-list'; entries: { userId: string; displayName: string }[] }
  /**
   * Something from the server was refused and changed nothing (a member whose
   * credential does not verify, a commit or Welcome that could not be processed).
   */
  | { type: 'rejected'; what: string; message: string }
  /** An epoch was applied (its keys went to the transform worker, not here). */
  | {
      type: 'epoch';
      epoch: bigint;
      leafIndex: number;
      securityCode: string;
      roster: RosterEntry[];
    }
  | { type: 'switch'; epoch: bigint }
  | { type: 'removed'; reason: string }
  | { type: 'ended' }
  /** `serverCode`: the server's error code when the server refused (e.g. `invalid-link`). */
  | { type: 'error'; code: string; message: string; serverCode?: string }
  /** The connection signaling ran on is gone (the media over it ended); a reconnect may follow. */
  | { type: 'signal-closed'; code: number; reason: string }
  /**
   * The connection was lost while a member (`cause`: the heartbeat went
   * unanswered, or how it closed): the worker connects again in `delayMs`
   * (attempt `attempt`), resuming its place with fresh keys.
   */
  | { type: 'reconnecting'; attempt: number; delayMs: number; cause: string }
  /** The worker is done: no connection, no reconnect. */
  | { type: 'closed'; code: number; reason: string };

/** Key worker → transform worker, on the media-keys port. */
export type MediaKeyMessage =
  /** Receivers install the epoch now; senders keep theirs until its switch (or have none yet). */
  | { type: 'epoch'; epoch: bigint; baseKey: Uint8Array; leafIndex: number }
  /** Senders switch to `epoch` now. */
  | { type: 'switch'; epoch: bigint };
