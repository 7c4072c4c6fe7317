/** Joins a meeting's media on the key worker's connection (which is the MLS member). */
import type { TransformMode } from '../e2ee/transforms.js';
import type { KeyWorker } from '../keys/keys.js';
import { CanopyMeeting } from '../meeting.js';
import { SignalingClient } from '../signaling.js';

export interface JoinMediaOptions {
  keys: KeyWorker;
  meetingId: string;
  displayName: string;
  /** The transform worker's end of the media-keys channel. */
  mediaKeys: MessagePort;
  transformMode?: TransformMode;
}

export function joinMedia(o: JoinMediaOptions): Promise<CanopyMeeting> {
  return CanopyMeeting.join({
    signaling: SignalingClient.over(o.keys.signaling()),
    meetingId: o.meetingId,
    displayName: o.displayName,
    mediaKeys: o.mediaKeys,
    workerUrl: new URL('./e2ee-worker.js', import.meta.url),
    ...(o.transformMode && { transformMode: o.transformMode }),
  });
}
