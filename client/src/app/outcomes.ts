/**
 * Why the page is not (or no longer) in a meeting, and what the error screen
 * says about it: a title, a sentence, and what the person can do next.
 */

export type Outcome =
  /** The address has no token or no AS key: not a whole meeting link. */
  | 'bad-link'
  /** The server refused the link (forged, malformed, for another meeting). */
  | 'invalid-link'
  | 'expired-link'
  | 'locked'
  | 'denied'
  | 'removed'
  | 'ended'
  | 'left'
  /** The connection dropped while in the meeting (or before joining). */
  | 'connection-lost'
  /** No RTCRtpScriptTransform and no createEncodedStreams: E2EE is impossible here. */
  | 'unsupported'
  /** Camera and microphone were refused or are missing. */
  | 'no-media'
  /** Anything else (the detail says what). */
  | 'failed';

export type OutcomeAction = 'reconnect' | 'rejoin' | 'home' | 'retry';

export interface OutcomeView {
  title: string;
  text: string;
  icon: 'alert' | 'info' | 'lock';
  actions: OutcomeAction[];
}

const VIEWS: Record<Outcome, OutcomeView> = {
  'bad-link': {
    title: 'This link is incomplete',
    text: 'A meeting link has a token and an identity key. Copy the whole link again, or ask the host for a new one.',
    icon: 'alert',
    actions: ['home'],
  },
  'invalid-link': {
    title: 'This link is not valid',
    text: 'The server did not accept this meeting link. It may have been changed or belong to another meeting. Ask the host for a new one.',
    icon: 'alert',
    actions: ['home'],
  },
  'expired-link': {
    title: 'This link has expired',
    text: 'Meeting links are valid for a limited time. Ask the host for a new one.',
    icon: 'alert',
    actions: ['home'],
  },
  locked: {
    title: 'This meeting is locked',
    text: 'The host has locked the meeting, so nobody new can join. Ask the host to unlock it, then try again.',
    icon: 'lock',
    actions: ['retry', 'home'],
  },
  denied: {
    title: 'You were not let in',
    text: 'The host declined your request to join this meeting.',
    icon: 'info',
    actions: ['home'],
  },
  removed: {
    title: 'You were removed from the meeting',
    text: 'A host removed you. The meeting was rekeyed at once: media sent from now on cannot be decrypted with the keys this browser had.',
    icon: 'info',
    actions: ['home'],
  },
  ended: {
    title: 'The meeting has ended',
    text: 'The host ended the meeting for everyone.',
    icon: 'info',
    actions: ['home'],
  },
  left: {
    title: 'You left the meeting',
    text: 'Your browser has forgotten this meeting’s keys.',
    icon: 'info',
    actions: ['rejoin', 'home'],
  },
  'connection-lost': {
    title: 'Connection lost',
    text: 'The connection to the meeting dropped and could not be restored. Check your network, then reconnect: you join the encrypted group again with fresh keys.',
    icon: 'alert',
    actions: ['reconnect', 'home'],
  },
  unsupported: {
    title: 'This browser cannot encrypt calls',
    text: 'Canopy encrypts every frame in the browser, which needs encoded transforms (RTCRtpScriptTransform). Use a current Chrome, Edge, Firefox or Safari.',
    icon: 'alert',
    actions: ['home'],
  },
  'no-media': {
    title: 'Camera and microphone are blocked',
    text: 'Allow this site to use your camera and microphone in the browser’s address bar, then try again.',
    icon: 'alert',
    actions: ['retry'],
  },
  failed: {
    title: 'Could not join the meeting',
    text: 'Something went wrong while joining. Try again in a moment.',
    icon: 'alert',
    actions: ['retry', 'home'],
  },
};

export function describeOutcome(outcome: Outcome): OutcomeView {
  return VIEWS[outcome];
}

/** The outcome of a server error code (the DS's or the signaling's). */
export function outcomeOfServerCode(code: string | undefined): Outcome {
  switch (code) {
    case 'invalid-link':
    case 'wrong-meeting':
      return 'invalid-link';
    case 'expired-link':
      return 'expired-link';
    case 'meeting-ended':
      return 'ended';
    default:
      return 'failed';
  }
}

/** The outcome of a removal reason the DS gave. */
export function outcomeOfRemoval(reason: string): Outcome {
  switch (reason) {
    case 'locked':
    case 'denied':
    case 'removed':
    case 'left':
      return reason;
    case 'timeout':
      return 'connection-lost';
    default:
      return 'removed';
  }
}
