/** Messages between the page and the SFrame transform worker (structured-cloned). */

/** Options of one transform; given to RTCRtpScriptTransform or posted with encoded streams. */
export interface TransformOptions {
  /** Unique per transform on the page, for per-track counters. */
  id: string;
  role: 'encrypt' | 'decrypt';
  kind: 'audio' | 'video';
  /** The sender's SFrame context for this track (encrypt only). */
  context?: number;
  /** The sending member's leaf index (decrypt only): frames under any other sender's KID are dropped. */
  senderIndex?: number;
  /** Codec, when the frames' metadata lacks it. */
  mimeType?: string;
}

export interface FrameCounters {
  /** Frames encrypted and sent. */
  encrypted: number;
  /** Frames decrypted and passed to the decoder. */
  decrypted: number;
  /** Frames that failed to decrypt (wrong key, tampering, replay) and were dropped. */
  decryptFailed: number;
  /** Frames that could not be encrypted and were dropped (never sent in clear). */
  encryptFailed: number;
  /** Frames dropped because no key (or sender index) was set yet. */
  noKey: number;
  /** Frames dropped because their KID names another sender than the track's. */
  wrongSender: number;
}

/** When the first and the last frame of one kind were decrypted (Date.now(): wall clock, no key). */
export interface DecryptSpan {
  first: number;
  last: number;
}

/** Decrypted remote frames by kind: when the page first and last saw media it could read. */
export interface DecryptTimes {
  audio?: DecryptSpan;
  video?: DecryptSpan;
}

/**
 * Page → transform worker. Keys never come this way: they arrive on the
 * media-keys port (`keys`) from the key worker (see keys/messages.ts).
 */
export type ToWorker =
  | { type: 'keys'; port: MessagePort }
  | {
      type: 'streams';
      options: TransformOptions;
      readable: ReadableStream;
      writable: WritableStream;
    }
  /** Report counters and times now (`final` in the reply): the page is about to stop the worker. */
  | { type: 'report' };

export type FromWorker =
  | {
      type: 'counters';
      total: FrameCounters;
      byTransform: Record<string, FrameCounters>;
      times: DecryptTimes;
      /** The reply to `report`: nothing after it. */
      final?: boolean;
    }
  | { type: 'error'; message: string };

export function zeroCounters(): FrameCounters {
  return {
    encrypted: 0,
    decrypted: 0,
    decryptFailed: 0,
    encryptFailed: 0,
    noKey: 0,
    wrongSender: 0,
  };
}
