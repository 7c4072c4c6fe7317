/**
 * The SFrame transform worker: encrypts every frame a sender sends and
 * decrypts every frame a receiver gets, between the codec and the packetizer
 * (RTCRtpScriptTransform, or Chromium's insertable streams as a fallback).
 *
 * A frame is never sent in clear: until the page has set the sender index and
 * a key, outgoing frames are dropped. A frame that fails to decrypt is
 * dropped and counted. Counters go to the page four times a second.
 *
 * One SFrameSender per SFrame context lives as long as the worker, so a track
 * that is sent again never restarts its counter under the same key.
 */
import { clearByteCount, SFrameError, SFrameReceiver, SFrameSender } from '@canopy/shared/sframe';
import {
  type FrameCounters,
  type FromWorker,
  type ToWorker,
  type TransformOptions,
  zeroCounters,
} from './messages.js';

type EncodedFrame = RTCEncodedVideoFrame | RTCEncodedAudioFrame;
type Suite = ConstructorParameters<typeof SFrameSender>[0]['suite'];
type Layout = Extract<ToWorker, { type: 'configure' }>['layout'];

const scope = globalThis as unknown as TransformWorkerScope;

let config: { suite: Suite; layout: Layout; senderIndex: number } | undefined;
let currentKey: { epoch: bigint; baseKey: Uint8Array } | undefined;
const senders = new Map<number, SFrameSender>();
let receiver: SFrameReceiver | undefined;
const total = zeroCounters();
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

function senderFor(context: number): SFrameSender | undefined {
  if (!config || !currentKey) return undefined;
  let sender = senders.get(context);
  if (!sender) {
    sender = new SFrameSender({
      suite: config.suite,
      layout: config.layout,
      senderIndex: config.senderIndex,
      context,
    });
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
    transform(frame, controller) {
      if (frame.data.byteLength === 0) return;
      const sender = senderFor(context);
      if (!sender) {
        count(options.id, 'noKey');
        return;
      }
      try {
        const data = new Uint8Array(frame.data);
        const clear = clearByteCount(mimeTypeOf(frame, options), data, isKeyframe(frame));
        frame.data = asArrayBuffer(sender.encryptFrame(data, clear));
        count(options.id, 'encrypted');
        controller.enqueue(frame);
      } catch (e) {
        count(options.id, 'encryptFailed');
        if (!(e instanceof SFrameError)) reportError(e);
      }
    },
  };
}

function decryptor(options: TransformOptions): Transformer<EncodedFrame, EncodedFrame> {
  return {
    transform(frame, controller) {
      if (frame.data.byteLength === 0) return;
      if (!receiver) {
        count(options.id, 'noKey');
        return;
      }
      try {
        const data = new Uint8Array(frame.data);
        const clear = clearByteCount(mimeTypeOf(frame, options), data, isKeyframe(frame));
        frame.data = asArrayBuffer(receiver.decryptFrame(data, clear));
        count(options.id, 'decrypted');
        controller.enqueue(frame);
      } catch (e) {
        count(options.id, 'decryptFailed');
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
  const transform = options.role === 'encrypt' ? encryptor(options) : decryptor(options);
  readable
    .pipeThrough(new TransformStream(transform))
    .pipeTo(writable)
    .catch((e: unknown) => reportError(e))
    .finally(() => {
      if (transformer) encryptTransformers.delete(transformer);
    });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
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
    (o.kind === 'audio' || o.kind === 'video')
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
    case 'configure': {
      const paramsChanged =
        !config ||
        config.suite !== message.suite ||
        JSON.stringify(config.layout) !== JSON.stringify(message.layout);
      // New KIDs (new index, suite or layout) mean new senders; counters restart only under new KIDs.
      if (paramsChanged || config?.senderIndex !== message.senderIndex) senders.clear();
      config = {
        suite: message.suite as Suite,
        layout: message.layout,
        senderIndex: message.senderIndex,
      };
      if (paramsChanged) {
        receiver = new SFrameReceiver({ suite: config.suite, layout: config.layout });
        if (currentKey) receiver.addEpoch(currentKey.epoch, currentKey.baseKey);
      }
      break;
    }
    case 'key':
      // Refuse before changing anything: epochs only move forward, and an epoch keeps its key.
      if (
        currentKey &&
        (message.epoch < currentKey.epoch ||
          (message.epoch === currentKey.epoch && !sameBytes(message.baseKey, currentKey.baseKey)))
      ) {
        throw new Error(
          `refused key for epoch ${message.epoch}: older, or another key for the current epoch`,
        );
      }
      currentKey = { epoch: message.epoch, baseKey: message.baseKey };
      for (const sender of senders.values()) sender.setEpoch(message.epoch, message.baseKey);
      receiver?.addEpoch(message.epoch, message.baseKey);
      // A new key: receivers need a keyframe they can decrypt.
      for (const t of encryptTransformers) void t.generateKeyFrame?.().catch(() => {});
      break;
    case 'streams':
      run(message.options, message.readable, message.writable);
      break;
  }
}

setInterval(() => {
  post({ type: 'counters', total: { ...total }, byTransform: Object.fromEntries(byTransform) });
}, 250);
