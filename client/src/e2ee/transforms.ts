/**
 * The page side of SFrame: one transform worker for the meeting, attached to
 * every RTCRtpSender (encrypt) and RTCRtpReceiver (decrypt), with keys posted
 * to it and its frame counters readable here.
 *
 * RTCRtpScriptTransform is used where it exists; otherwise Chromium's
 * insertable streams (`createEncodedStreams`), which need the peer
 * connections created with `encodedInsertableStreams: true`
 * (see `peerConnectionSettings`).
 */
import {
  type DecryptTimes,
  type FrameCounters,
  type FromWorker,
  type ToWorker,
  type TransformOptions,
  zeroCounters,
} from './messages.js';

export type TransformMode = 'script-transform' | 'encoded-streams';

/** How this browser can transform encoded frames, if at all. */
export function detectTransformMode(): TransformMode | undefined {
  if (typeof RTCRtpScriptTransform !== 'undefined') return 'script-transform';
  if (typeof RTCRtpSender !== 'undefined' && 'createEncodedStreams' in RTCRtpSender.prototype) {
    return 'encoded-streams';
  }
  return undefined;
}

export class E2eeUnsupportedError extends Error {
  constructor() {
    super(
      'this browser cannot transform encoded media frames; end-to-end encryption is impossible',
    );
  }
}

export class FrameEncryption {
  readonly mode: TransformMode;
  readonly #worker: Worker;
  #total: FrameCounters = zeroCounters();
  #byTransform: Record<string, FrameCounters> = {};
  #times: DecryptTimes = {};
  #stopping?: () => void;
  #nextId = 0;
  /** Errors the worker reported (most recent last, bounded). */
  readonly errors: string[] = [];

  /** Start the worker at `workerUrl` (the bundled e2ee worker). */
  constructor(workerUrl: string | URL, mode: TransformMode | undefined = detectTransformMode()) {
    if (!mode) throw new E2eeUnsupportedError();
    this.mode = mode;
    this.#worker = new Worker(workerUrl, { type: 'module', name: 'canopy-sframe' });
    this.#worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const m = event.data;
      if (m.type === 'counters') {
        this.#total = m.total;
        this.#byTransform = m.byTransform;
        this.#times = m.times;
        if (m.final) this.#stopping?.();
      } else if (m.type === 'error') {
        this.errors.push(m.message);
        if (this.errors.length > 20) this.errors.shift();
      }
    };
  }

  /** RTCPeerConnection settings the transports need for this mode. */
  get peerConnectionSettings(): Partial<RTCConfiguration> | undefined {
    return this.mode === 'encoded-streams'
      ? ({ encodedInsertableStreams: true } as Partial<RTCConfiguration>)
      : undefined;
  }

  /** Frame counters over every transform (at most ~250 ms old). */
  get counters(): FrameCounters {
    return { ...this.#total };
  }

  /** When remote audio and video frames were first and last decrypted (wall clock; at most ~250 ms old). */
  get decryptTimes(): DecryptTimes {
    return structuredClone(this.#times);
  }

  /** Frame counters of one transform (by the id `attachSender`/`attachReceiver` returned). */
  countersOf(id: string): FrameCounters {
    return { ...(this.#byTransform[id] ?? zeroCounters()) };
  }

  /**
   * Where the worker gets its keys: the transform worker's end of a channel
   * whose other end the key worker holds (transferred; the page keeps no end).
   */
  attachKeys(port: MessagePort): void {
    this.#post({ type: 'keys', port }, [port]);
  }

  /** Encrypt everything `sender` sends, in SFrame context `context`. Returns the transform id. */
  attachSender(sender: RTCRtpSender, kind: 'audio' | 'video', context: number): string {
    const options: TransformOptions = { id: `tx${this.#nextId++}`, role: 'encrypt', kind, context };
    this.#attach(sender, options);
    return options.id;
  }

  /**
   * Decrypt everything `receiver` gets from the member at leaf `senderIndex`
   * (frames under another sender's KID are dropped). Returns the transform id.
   */
  attachReceiver(
    receiver: RTCRtpReceiver,
    kind: 'audio' | 'video',
    senderIndex: number,
    mimeType?: string,
  ): string {
    const options: TransformOptions = {
      id: `rx${this.#nextId++}`,
      role: 'decrypt',
      kind,
      senderIndex,
      ...(mimeType && { mimeType }),
    };
    this.#attach(receiver, options);
    return options.id;
  }

  /**
   * Stops the worker, after its last report (within 250 ms) so the counters
   * and times read afterwards include its last frames.
   */
  close(): void {
    if (this.#stopping) return;
    const stop = () => {
      clearTimeout(timer);
      this.#worker.terminate();
    };
    const timer = setTimeout(stop, 250);
    this.#stopping = stop;
    this.#post({ type: 'report' });
  }

  #attach(target: RTCRtpSender | RTCRtpReceiver, options: TransformOptions): void {
    if (this.mode === 'script-transform') {
      target.transform = new RTCRtpScriptTransform(this.#worker, options);
      return;
    }
    const streams = target.createEncodedStreams?.();
    if (!streams) throw new E2eeUnsupportedError();
    this.#post(
      { type: 'streams', options, readable: streams.readable, writable: streams.writable },
      [streams.readable, streams.writable],
    );
  }

  #post(message: ToWorker, transfer: Transferable[] = []): void {
    this.#worker.postMessage(message, transfer);
  }
}
