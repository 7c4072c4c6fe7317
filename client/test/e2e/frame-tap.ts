// Per-frame timings from inside a page's SFrame transform worker, for the
// rekey e2e tests: when each transform last encrypted or decrypted a frame,
// and under which epoch (the KID's low epoch bits). The app's worker reports
// only counters, so the test prepends `workerFrameTap` to the e2ee-worker.js
// it serves (a test build, never the product): it wraps the transform streams
// the worker is handed (RTCRtpScriptTransform or insertable streams), reads
// the SFrame header of each frame going in (decrypt) or coming out (encrypt),
// and posts its tallies to the page every 50 ms, where `recordPageTimes`
// keeps them. Times are wall-clock milliseconds (Date.now), comparable with
// the test's own clock on the same machine.
import type { TestPage } from './browsers.js';

/** One epoch's frames through a transform. */
export interface EpochTally {
  n: number;
  /** Date.now() of the first and last such frame. */
  first: number;
  last: number;
}

/** What a transform encrypted (sender) or decrypted (receiver). */
export interface TransformTally {
  role: 'encrypt' | 'decrypt';
  kind: 'audio' | 'video';
  /** Decrypt: the leaf index the track's frames must come from. */
  senderIndex?: number;
  /** Frames that came in (decrypt: before decryption, whatever became of them). */
  in: number;
  /** Frames that went out (decrypt: decrypted; encrypt: encrypted). */
  out: number;
  /** Out frames by KID epoch bits (the epoch's low 4 bits). */
  epochs: Record<string, EpochTally>;
  /** In frames by KID epoch bits (decrypt only). */
  epochsIn: Record<string, EpochTally>;
}

/** Per transform id (the app's `tx…`/`rx…`). */
export type FrameTap = Record<string, TransformTally>;

/** Prepended to the e2ee worker bundle: runs before the worker installs its handlers. */
export function workerFrameTap(): void {
  // biome-ignore lint/suspicious/noExplicitAny: the worker's global scope, wrapped
  const scope = globalThis as any;
  const tallies: Record<string, TransformTally> = {};
  const inEpoch = new WeakMap<object, number>();
  // RFC 9605 §4.3: |X|K(3)|Y|C(3)|; X=0: K is the KID, else K+1 KID bytes follow. KID low 4 bits = epoch.
  const epochBits = (data: ArrayBuffer, keyframe: boolean, kind: string): number | undefined => {
    const b = new Uint8Array(data);
    const clear = kind === 'audio' ? 1 : keyframe ? 10 : 3;
    const h = b[clear];
    if (h === undefined) return undefined;
    if (!(h & 0x80)) return (h >> 4) & 0x07 & 0x0f;
    const n = ((h >> 4) & 0x07) + 1;
    let kid = 0;
    for (let i = 0; i < n; i++) kid = kid * 256 + (b[clear + 1 + i] ?? 0);
    return kid % 16;
  };
  const note = (t: TransformTally, field: 'epochs' | 'epochsIn', bits: number | undefined) => {
    if (bits === undefined) return;
    const now = Date.now();
    const e = t[field][bits];
    if (e) {
      e.n++;
      e.last = now;
    } else t[field][bits] = { n: 1, first: now, last: now };
  };
  // biome-ignore lint/suspicious/noExplicitAny: encoded frames of either kind
  const isKey = (f: any) => f.type === 'key';
  // biome-ignore lint/suspicious/noExplicitAny: the transform options the app passes
  const tap = (options: any, readable: ReadableStream, writable: WritableStream) => {
    const t: TransformTally = {
      role: options.role,
      kind: options.kind,
      ...(options.senderIndex !== undefined && { senderIndex: options.senderIndex }),
      in: 0,
      out: 0,
      epochs: {},
      epochsIn: {},
    };
    tallies[options.id] = t;
    const decrypt = options.role === 'decrypt';
    const input = decrypt
      ? readable.pipeThrough(
          new TransformStream({
            transform(f, c) {
              t.in++;
              const bits = epochBits(f.data, isKey(f), options.kind);
              if (bits !== undefined) inEpoch.set(f, bits);
              note(t, 'epochsIn', bits);
              c.enqueue(f);
            },
          }),
        )
      : readable;
    const output = new TransformStream({
      transform(f, c) {
        t.out++;
        note(t, 'epochs', decrypt ? inEpoch.get(f) : epochBits(f.data, isKey(f), options.kind));
        c.enqueue(f);
      },
    });
    output.readable.pipeTo(writable).catch(() => {});
    return { readable: input, writable: output.writable };
  };
  // The app assigns onrtctransform / onmessage: keep its handlers, hand them tapped streams.
  // biome-ignore lint/suspicious/noExplicitAny: the app's handlers
  let appTransform: ((e: any) => void) | null = null;
  // biome-ignore lint/suspicious/noExplicitAny: the app's handlers
  let appMessage: ((e: any) => void) | null = null;
  Object.defineProperty(scope, 'onrtctransform', {
    configurable: true,
    get: () => appTransform,
    set: (fn) => {
      appTransform = fn;
    },
  });
  Object.defineProperty(scope, 'onmessage', {
    configurable: true,
    get: () => appMessage,
    set: (fn) => {
      appMessage = fn;
    },
  });
  // biome-ignore lint/suspicious/noExplicitAny: RTCTransformEvent
  scope.addEventListener('rtctransform', (event: any) => {
    const tr = event.transformer;
    const s = tap(tr.options, tr.readable, tr.writable);
    const proxy = {
      options: tr.options,
      readable: s.readable,
      writable: s.writable,
      ...(tr.generateKeyFrame && {
        generateKeyFrame: (...a: unknown[]) => tr.generateKeyFrame(...a),
      }),
      ...(tr.sendKeyFrameRequest && { sendKeyFrameRequest: () => tr.sendKeyFrameRequest() }),
    };
    appTransform?.({ transformer: proxy });
  });
  scope.addEventListener('message', (event: MessageEvent) => {
    const m = event.data;
    if (m?.type === 'streams' && m.options) {
      const s = tap(m.options, m.readable, m.writable);
      appMessage?.({ data: { ...m, readable: s.readable, writable: s.writable } });
    } else appMessage?.(event);
  });
  setInterval(() => scope.postMessage({ type: 'e2e-frame-tap', tallies }), 50);
}

/** The e2ee worker bundle with the tap in front. */
export function tappedWorkerSource(bundle: string): string {
  return `(${workerFrameTap.toString()})();\n${bundle}`;
}

/** Times the page keeps for the test (window.__canopyTimes). */
export interface PageTimes {
  /** The transform worker's latest tallies. */
  tap: FrameTap;
  /** Date.now() when each remote video track (by track id) first showed a frame. */
  firstRendered: Record<string, number>;
}

/**
 * Installed in every page before its scripts: keeps the transform worker's
 * tallies, and the first rendered frame of each remote video (any <video>
 * showing a track that is not this page's camera).
 */
export function recordPageTimes(): void {
  const times = { tap: {}, firstRendered: {} as Record<string, number> };
  (window as unknown as { __canopyTimes: typeof times }).__canopyTimes = times;
  const NativeWorker = window.Worker;
  window.Worker = class extends NativeWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      this.addEventListener('message', (e: MessageEvent) => {
        if (e.data?.type === 'e2e-frame-tap') times.tap = e.data.tallies;
      });
    }
  };
  const local = new Set<string>();
  // (undefined where the document is not a secure context, e.g. the first about:blank)
  const devices = navigator.mediaDevices as MediaDevices | undefined;
  if (devices) {
    const gum = devices.getUserMedia.bind(devices);
    devices.getUserMedia = async (c) => {
      const stream = await gum(c);
      for (const t of stream.getTracks()) local.add(t.id);
      return stream;
    };
  }
  const hooked = new WeakSet<HTMLVideoElement>();
  setInterval(() => {
    for (const video of document.querySelectorAll('video')) {
      const track = (video.srcObject as MediaStream | null)?.getVideoTracks()[0];
      if (!track || local.has(track.id) || times.firstRendered[track.id]) continue;
      if (hooked.has(video)) continue;
      hooked.add(video);
      const id = track.id;
      video.requestVideoFrameCallback(() => {
        times.firstRendered[id] ??= Date.now();
        hooked.delete(video);
      });
    }
  }, 20);
}

export async function pageTimes(page: TestPage): Promise<PageTimes> {
  return page.evaluate(
    () =>
      (window as unknown as { __canopyTimes: PageTimes }).__canopyTimes ?? {
        tap: {},
        firstRendered: {},
      },
  );
}
