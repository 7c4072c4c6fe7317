/** Messages between the page and the SFrame transform worker (structured-cloned). */

/** Options of one transform; given to RTCRtpScriptTransform or posted with encoded streams. */
export interface TransformOptions {
  /** Unique per transform on the page, for per-track counters. */
  id: string;
  role: 'encrypt' | 'decrypt';
  kind: 'audio' | 'video';
  /** The sender's SFrame context for this track (encrypt only). */
  context?: number;
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
}

export type ToWorker =
  | {
      type: 'configure';
      suite: number;
      layout: { senderBits: number; epochBits: number; contextBits: number };
      senderIndex: number;
    }
  | { type: 'key'; epoch: bigint; baseKey: Uint8Array }
  | {
      type: 'streams';
      options: TransformOptions;
      readable: ReadableStream;
      writable: WritableStream;
    };

export type FromWorker =
  | { type: 'counters'; total: FrameCounters; byTransform: Record<string, FrameCounters> }
  | { type: 'error'; message: string };

export function zeroCounters(): FrameCounters {
  return { encrypted: 0, decrypted: 0, decryptFailed: 0, encryptFailed: 0, noKey: 0 };
}
