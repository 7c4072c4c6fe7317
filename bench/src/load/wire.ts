/**
 * Messages between the load runner's coordinator (main thread) and its
 * crowds: the participants of one worker thread, or the host in the main
 * thread. Plain structured-clone data; epochs travel as strings (bigint-free
 * JSON for the summary), times as wall-clock ms (`performance.timeOrigin +
 * performance.now()`), comparable across threads.
 */
import type { Sample } from './types.js';

/** What a crowd needs to join the meeting. */
export interface CrowdConfig {
  /** The signaling WebSocket URL (ws://host/ws). */
  readonly url: string;
  /** The link token this crowd's participants join with (host or participant link). */
  readonly token: string;
  /** The AS public key (base64url), from the link's `#as=` fragment. */
  readonly asKey: string;
  /** Wall-clock ms of the run's start: samples are ms since then. */
  readonly origin: number;
  /** How often samples go to the coordinator, ms. */
  readonly batchMs: number;
  /** Display names are `${prefix}${vid}`. */
  readonly prefix: string;
  /** A host crowd admits everyone who waits in the lobby. */
  readonly host: boolean;
  /** A participant not admitted this long after its join was asked for gives up (ms). */
  readonly joinTimeout: number;
  /** The crowd's members share their signature verifications (shared-verify.ts). */
  readonly sharedVerify: boolean;
}

/** A departure the coordinator announced: who, and when it was requested. */
export interface Departure {
  readonly userId: string;
  readonly at: number;
}

export type ToCrowd =
  /** Join these virtual participants; `at` is when the coordinator asked (wall ms). */
  | { readonly type: 'join'; readonly vids: readonly number[]; readonly at: number }
  /** These members leave (a goodbye: the DS removes them). */
  | { readonly type: 'leave'; readonly vids: readonly number[] }
  /** Host crowd: remove these members. */
  | { readonly type: 'remove'; readonly userIds: readonly string[] }
  /** Watch for the group to drop these members (every crowd gets it before the departure). */
  | { readonly type: 'departing'; readonly departures: readonly Departure[] }
  /** Report every member's epoch and security code (the end-of-run check). */
  | { readonly type: 'state' }
  /** Everyone leaves, per-participant totals are sent, then the crowd stops. */
  | { readonly type: 'finish' };

/** A member's view for the final agreement check. */
export interface MemberState {
  readonly vid: number;
  readonly epoch: string;
  readonly securityCode: string;
}

/** One crowd's report of a departure: when its last member got past it. */
export interface DepartureReport {
  readonly userId: string;
  /** The first epoch without the departed its members applied (undefined: no member here waited). */
  readonly epoch?: string;
  /** When this crowd's last waiting member applied that epoch (wall ms). */
  readonly appliedAt?: number;
  /** When this crowd's last waiting member got the switch to it (wall ms). */
  readonly switchedAt?: number;
}

export type FromCrowd =
  | {
      readonly type: 'batch';
      /** Samples by metric name, collected since the last batch. */
      readonly samples: Readonly<Record<string, Sample[]>>;
      readonly joined: readonly { readonly vid: number; readonly userId: string }[];
      readonly failed: readonly { readonly vid: number; readonly error: string }[];
      /** Members that left the group or lost their connection (vid, why). */
      readonly gone: readonly { readonly vid: number; readonly why: string }[];
      /** A departed member's last applied epoch (for the "never after removal" check). */
      readonly departed: readonly { readonly userId: string; readonly lastEpoch: string }[];
      readonly rekeyed: readonly DepartureReport[];
      /** Members in the group now; their lowest and highest epochs; the tree's leaves as one sees it. */
      readonly members: number;
      /** The longest this thread's event loop was blocked, or a frame waited to be handled, since the last batch, ms. */
      readonly lagMs: number;
      readonly minEpoch?: string;
      readonly maxEpoch?: string;
      readonly treeSize?: number;
    }
  | { readonly type: 'state'; readonly members: readonly MemberState[] }
  | { readonly type: 'finished' };
