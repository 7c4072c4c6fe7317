/**
 * Messages of the key worker (structured-cloned). Three parties:
 * the page's main thread (`ToKeyWorker` / `FromKeyWorker`: no key bytes ever
 * travel here), and the SFrame transform worker, which gets each epoch's
 * base key on a MessagePort the key worker holds (`MediaKeyMessage`).
 */
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
    }
  /** A JSON signaling message to send on the connection. */
  | { type: 'signal'; text: string }
  | { type: 'leave' }
  | { type: 'close' };

/** Key worker → main thread: what the page may know (never key bytes). */
export type FromKeyWorker =
  /** The connection is open: JSON signaling may flow. */
  | { type: 'open' }
  /** A JSON signaling message from the server. */
  | { type: 'signal'; text: string }
  | { type: 'identity'; userId: string; displayName: string; role: string }
  | { type: 'lobby' }
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
  | { type: 'error'; code: string; message: string }
  | { type: 'closed'; code: number; reason: string };

/** Key worker → transform worker, on the media-keys port. */
export type MediaKeyMessage =
  /** Receivers install the epoch now; senders keep theirs until its switch (or have none yet). */
  | { type: 'epoch'; epoch: bigint; baseKey: Uint8Array; leafIndex: number }
  /** Senders switch to `epoch` now. */
  | { type: 'switch'; epoch: bigint };
