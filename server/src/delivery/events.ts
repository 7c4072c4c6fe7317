// The delivery service's typed events: everything an operator measures
// (metrics, logs) without reaching into its internals.
import type { RemovalReason, ReportSubject } from '@canopy/shared/protocol';

export interface DeliveryEvents {
  /** A meeting's first member created its group. */
  'meeting-created': [e: { meetingId: string }];
  /** A meeting's group is gone: ended by a host, or nobody left to commit. */
  'meeting-dropped': [e: { meetingId: string; reason: 'ended' | 'empty' }];
  /** A participant entered the group (its Welcome was sent). */
  admitted: [e: { meetingId: string; userId: string; leaf: number; epoch: bigint }];
  /** A participant left the meeting (whatever its state). */
  departed: [e: { meetingId: string; userId: string; reason: RemovalReason }];
  /** The DS issued an external proposal. */
  proposal: [e: { meetingId: string; epoch: bigint; type: 'add' | 'remove' }];
  /** A commit was accepted and handed to every member; `fanoutMs` covers validation and sends. */
  'commit-accepted': [
    e: {
      meetingId: string;
      epoch: bigint;
      committer: string;
      added: number;
      removed: number;
      path: boolean;
      bytes: number;
      fanoutMs: number;
    },
  ];
  /** A commit was refused; `reason` is a stable code (wrong-epoch, missing-proposal, an MlsError code…). */
  'commit-refused': [e: { meetingId: string; epoch: bigint; userId: string; reason: string }];
  /** The named committer stayed silent, went away or sent an unusable commit; another is named. */
  'committer-passed-over': [
    e: { meetingId: string; epoch: bigint; userId: string; why: 'timeout' | 'gone' | 'refused' },
  ];
  /** Media switch announced for `epoch`, `ms` after its commit was accepted. */
  'epoch-switch': [
    e: {
      meetingId: string;
      epoch: bigint;
      ms: number;
      acknowledged: number;
      expected: number;
      timedOut: boolean;
    },
  ];
  /**
   * A participant came back with its resume ticket (no lobby); `tookOver`: its
   * previous connection was still seated and was closed.
   */
  resumed: [e: { meetingId: string; userId: string; tookOver: boolean }];
  /** A member could not process a commit or Welcome: it is removed and re-added. */
  recovery: [
    e: {
      meetingId: string;
      userId: string;
      subject: ReportSubject;
      epoch: bigint;
      committer: string | undefined;
    },
  ];
  /** A client frame was rejected (the connection is closed when `fatal`). */
  rejected: [e: { connectionId: string; reason: string; fatal: boolean }];
  /** Meetings with a group, and connected participants (members and waiting). */
  counts: [e: { meetings: number; participants: number }];
}
