/**
 * The SFrame transform worker: encrypts every frame a sender sends and
 * decrypts every frame a receiver gets, between the codec and the packetizer
 * (RTCRtpScriptTransform, or Chromium's insertable streams as a fallback).
 *
 * Keys come from the key worker over a MessagePort, never from the page:
 * each applied MLS epoch's base key (and this member's leaf index, the
 * sender index of its KIDs). Receivers install an epoch at once and keep the
 * previous ones for at most 10 s (the key store's TTL and count bounds);
 * senders start on the first epoch they get and then move only when the DS
 * announces the switch, and ask their encoder for a keyframe where the
 * engine can. A receiver accepts a track's frames only under the KID sender
 * bits of the member that sends the track; a receiver that could not decrypt
 * and then can asks the sender for a keyframe, at most once a second.
 *
 * A frame is never sent in clear: until a key is there, outgoing frames are
 * dropped. A frame that fails to decrypt is dropped and counted. Counters,
 * and when the first and last remote frame of each kind were decrypted, go to
 * the page four times a second, and once more when the page stops the worker.
 *
 * One SFrameSender per SFrame context lives as long as the worker's leaf
 * index, so a track that is sent again never restarts its counter under the
 * same key.
 *
 * Frames are encrypted and decrypted on WebCrypto (the SFrame module's async
 * path: native AES-GCM, CryptoKeys imported once per KID). Each transform()
 * awaits its frame, so a stream's frames leave in the order they came; a
 * sender takes a frame's CTR before anything is awaited.
 */
import { clearByteCount, SFrameError, SFrameReceiver, SFrameSender } from '@canopy/shared/sframe';
import type { MediaKeyMessage } from '../keys/messages.js';
import { KID_LAYOUT, SFRAME_SUITE } from './media-keys.js';
import {
  type DecryptTimes,
  type FrameCounters,
  type FromWorker,
  type ToWorker,
  type TransformOptions,
  zeroCounters,
} from './messages.js';
import { kidSenderIndex, SendEpochs } from './send-epochs.js';

type EncodedFrame = RTCEncodedVideoFrame | RTCEncodedAudioFrame;

const scope = globalThis as unknown as TransformWorkerScope;

/** Which epoch senders use, and this member's leaf (the sender bits of its KIDs). */
const sendEpochs = new SendEpochs();
const senders = new Map<number, SFrameSender>();
const receiver = new SFrameReceiver({ suite: SFRAME_SUITE, layout: KID_LAYOUT });
const total = zeroCounters();
const times: DecryptTimes = {};
const byTransform = new Map<string, FrameCounters>();
const encryptTransformers = new Set<RTCRtpScriptTransformer>();

function post(message: FromWorker): void {
  scope.postMessage(message);
}

function count(id: string, field: keyof FrameCounters): void {
  total[field]++;
  let c = byTransform.get(id);
  if (!c) {
    c = zeroCounters();
    byTransform.set(id, c);
  }
  c[field]++;
}

function decryptedAt(kind: 'audio' | 'video'): void {
  const now = Date.now();
  const span = times[kind];
  if (span) span.last = now;
  else times[kind] = { first: now, last: now };
}

function senderFor(context: number): SFrameSender | undefined {
  const senderIndex = sendEpochs.leafIndex;
  const currentKey = sendEpochs.current;
  if (senderIndex === undefined || !currentKey) return undefined;
  let sender = senders.get(context);
  if (!sender) {
    sender = new SFrameSender({ suite: SFRAME_SUITE, layout: KID_LAYOUT, senderIndex, context });
    sender.setEpoch(currentKey.epoch, currentKey.baseKey);
    senders.set(context, sender);
  }
  return sender;
}

function mimeTypeOf(frame: EncodedFrame, options: TransformOptions): string {
  return (
    frame.getMetadata().mimeType ??
    options.mimeType ??
    (options.kind === 'video' ? 'video/VP8' : 'audio/opus')
  );
}

function isKeyframe(frame: EncodedFrame): boolean {
  return 'type' in frame && frame.type === 'key';
}

function asArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? (bytes.buffer as ArrayBuffer)
    : (bytes.slice().buffer as ArrayBuffer);
}

function encryptor(options: TransformOptions): Transformer<EncodedFrame, EncodedFrame> {
  const context = options.context ?? 0;
  return {
    async transform(frame, controller) {
      if (frame.data.byteLength === 0) return;
      const sender = senderFor(context);
      if (!sender) {
        count(options.id, 'noKey');
        return;
      }
      try {
        const data = new Uint8Array(frame.data);
        const clear = clearByteCount(mimeTypeOf(frame, options), data, isKeyframe(frame));
        frame.data = asArrayBuffer(await sender.encryptFrameAsync(data, clear));
        count(options.id, 'encrypted');
        controller.enqueue(frame);
      } catch (e) {
        count(options.id, 'encryptFailed');
        if (!(e instanceof SFrameError)) reportError(e);
      }
    },
  };
}

/** How often a receiver may ask a sender for a keyframe (no storm while it waits for keys). */
const KEYFRAME_REQUEST_INTERVAL_MS = 1_000;

function decryptor(
  options: TransformOptions,
  transformer?: RTCRtpScriptTransformer,
): Transformer<EncodedFrame, EncodedFrame> {
  /** Frames were lost to missing keys: the decoder needs a keyframe once they decrypt. */
  let starved = false;
  let lastRequest = Number.NEGATIVE_INFINITY;
  return {
    async transform(frame, controller) {
      if (frame.data.byteLength === 0) return;
      try {
        const data = new Uint8Array(frame.data);
        const keyframe = isKeyframe(frame);
        const clear = clearByteCount(mimeTypeOf(frame, options), data, keyframe);
        // Only the track's sender may speak on it: the KID's sender bits must be its leaf.
        if (kidSenderIndex(data, clear) !== options.senderIndex) {
          count(options.id, 'wrongSender');
          return;
        }
        frame.data = asArrayBuffer(await receiver.decryptFrameAsync(data, clear));
        count(options.id, 'decrypted');
        decryptedAt(options.kind);
        controller.enqueue(frame);
        if (starved && options.kind === 'video' && !keyframe) {
          const now = performance.now();
          if (now - lastRequest >= KEYFRAME_REQUEST_INTERVAL_MS) {
            lastRequest = now;
            void transformer?.sendKeyFrameRequest?.().catch(() => {});
          }
        } else if (keyframe) starved = false;
      } catch (e) {
        const noKey =
          e instanceof SFrameError && (e.code === 'unknown-kid' || e.code === 'expired-epoch');
        if (noKey) starved = true;
        count(options.id, noKey ? 'noKey' : 'decryptFailed');
        if (!(e instanceof SFrameError)) reportError(e);
      }
    },
  };
}

function run(
  options: TransformOptions,
  readable: ReadableStream<EncodedFrame>,
  writable: WritableStream<EncodedFrame>,
  transformer?: RTCRtpScriptTransformer,
): void {
  byTransform.set(options.id, byTransform.get(options.id) ?? zeroCounters());
  if (transformer && options.role === 'encrypt') encryptTransformers.add(transformer);
  const transform =
    options.role === 'encrypt' ? encryptor(options) : decryptor(options, transformer);
  readable
    .pipeThrough(new TransformStream(transform))
    .pipeTo(writable)
    .catch((e: unknown) => reportError(e))
    .finally(() => {
      if (transformer) encryptTransformers.delete(transformer);
    });
}

function reportError(e: unknown): void {
  post({ type: 'error', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
}

function isTransformOptions(value: unknown): value is TransformOptions {
  const o = value as TransformOptions | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof o.id === 'string' &&
    (o.role === 'encrypt' || o.role === 'decrypt') &&
    (o.kind === 'audio' || o.kind === 'video') &&
    (o.role === 'encrypt' || Number.isInteger(o.senderIndex))
  );
}

scope.onrtctransform = (event) => {
  const { transformer } = event;
  if (!isTransformOptions(transformer.options)) {
    reportError(new Error('transform without valid options'));
    return;
  }
  run(transformer.options, transformer.readable, transformer.writable, transformer);
};

scope.onmessage = (event) => {
  try {
    handle(event.data as ToWorker);
  } catch (e) {
    // e.g. a key for an epoch already in use with another key: refused, nothing changed.
    reportError(e);
  }
};

function handle(message: ToWorker): void {
  switch (message.type) {
    case 'keys':
      message.port.onmessage = (event: MessageEvent<MediaKeyMessage>) => {
        try {
          onMediaKey(event.data);
        } catch (e) {
          // e.g. a key for an epoch already held with another key: refused, nothing changed
          reportError(e);
        }
      };
      break;
    case 'report':
      report(true);
      break;
    case 'streams':
      if (!isTransformOptions(message.options)) {
        reportError(new Error('streams without valid options'));
        return;
      }
      run(message.options, message.readable, message.writable);
      break;
  }
}

function onMediaKey(m: MediaKeyMessage): void {
  let change: ReturnType<SendEpochs['applied']>;
  if (m.type === 'epoch') {
    sendEpochs.check(m.epoch, m.baseKey, m.leafIndex);
    receiver.addEpoch(m.epoch, m.baseKey); // throws before anything changed
    change = sendEpochs.applied(m.epoch, m.baseKey, m.leafIndex);
  } else if (m.type === 'switch') {
    change = sendEpochs.switched(m.epoch);
  } else return;
  if (!change) return;
  // a new leaf means new KIDs: new senders (their counters start under keys never used)
  if (change === 'new-leaf') senders.clear();
  const key = sendEpochs.current!;
  for (const sender of senders.values()) sender.setEpoch(key.epoch, key.baseKey);
  // Receivers that only now hold this epoch need a keyframe (where the engine can make one).
  for (const t of encryptTransformers) void t.generateKeyFrame?.().catch(() => {});
}

function report(final = false): void {
  post({
    type: 'counters',
    total: { ...total },
    byTransform: Object.fromEntries(byTransform),
    times: structuredClone(times),
    ...(final && { final }),
  });
}

setInterval(report, 250);
