/**
 * Canopy's browser SDK: join a meeting, publish camera and microphone, and
 * receive everyone else, with every frame end-to-end encrypted by SFrame in a
 * transform worker.
 */
export { KID_LAYOUT, SFRAME_SUITE } from './e2ee/media-keys.js';
export type { FrameCounters } from './e2ee/messages.js';
export {
  detectTransformMode,
  E2eeUnsupportedError,
  type TransformMode,
} from './e2ee/transforms.js';
export { type EpochView, KeyWorker, type KeyWorkerStart } from './keys/keys.js';
export {
  type AudioEnergy,
  CanopyMeeting,
  type JoinOptions,
  type LocalTrack,
  type MeetingEvents,
  type RemoteTrack,
  type RemoteTrackStats,
} from './meeting.js';
export { SignalingClient, SignalingError, type SignalingTransport } from './signaling.js';
