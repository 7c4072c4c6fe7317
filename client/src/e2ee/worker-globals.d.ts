// Worker-side WebRTC Encoded Transform types (lib.webworker has them, but the
// client is compiled with the DOM lib), and the insertable-streams fallback.

interface RTCRtpScriptTransformer extends EventTarget {
  readonly options: unknown;
  readonly readable: ReadableStream<RTCEncodedVideoFrame | RTCEncodedAudioFrame>;
  readonly writable: WritableStream<RTCEncodedVideoFrame | RTCEncodedAudioFrame>;
  generateKeyFrame?(rid?: string): Promise<unknown>;
  sendKeyFrameRequest?(): Promise<void>;
}

interface RTCTransformEvent extends Event {
  readonly transformer: RTCRtpScriptTransformer;
}

/** The worker's global scope, as the transform worker uses it. */
interface TransformWorkerScope {
  onrtctransform: ((event: RTCTransformEvent) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
}

/** Chromium's older insertable streams (`encodedInsertableStreams: true` on the peer connection). */
interface RTCInsertableStreams {
  readable: ReadableStream<RTCEncodedVideoFrame | RTCEncodedAudioFrame>;
  writable: WritableStream<RTCEncodedVideoFrame | RTCEncodedAudioFrame>;
}

interface RTCRtpSender {
  createEncodedStreams?(): RTCInsertableStreams;
}

interface RTCRtpReceiver {
  createEncodedStreams?(): RTCInsertableStreams;
}
