// Structured logs of the delivery service: one JSON line per event an operator
// reads (a meeting's group created or dropped, admissions, departures,
// commits accepted or refused, committers passed over, recoveries, rejected
// frames), each with its meeting or connection. Never MLS payloads or secrets.
import type { Logger } from '../observability/index.js';
import type { DeliveryService } from './delivery-service.js';

/** Logs `ds`'s events through `logger`; returns a function that stops it. */
export function recordDeliveryLogs(ds: DeliveryService, logger: Logger): () => void {
  const log = logger.child({ component: 'delivery' });
  const meeting = (meetingId: string) => log.child({ meeting: meetingId });
  const handlers = {
    'meeting-created': (e: { meetingId: string }) => meeting(e.meetingId).info('group created'),
    'meeting-dropped': (e: { meetingId: string; reason: string }) =>
      meeting(e.meetingId).info({ reason: e.reason }, 'group dropped'),
    admitted: (e: { meetingId: string; userId: string; leaf: number; epoch: bigint }) =>
      meeting(e.meetingId).info(
        { user: e.userId, leaf: e.leaf, epoch: Number(e.epoch) },
        'participant admitted',
      ),
    departed: (e: { meetingId: string; userId: string; reason: string }) =>
      meeting(e.meetingId).info({ user: e.userId, reason: e.reason }, 'participant departed'),
    resumed: (e: { meetingId: string; userId: string; tookOver: boolean }) =>
      meeting(e.meetingId).info({ user: e.userId, tookOver: e.tookOver }, 'participant resumed'),
    'commit-accepted': (e: {
      meetingId: string;
      epoch: bigint;
      committer: string;
      added: number;
      removed: number;
      path: boolean;
      bytes: number;
      fanoutMs: number;
    }) =>
      meeting(e.meetingId).debug(
        {
          epoch: Number(e.epoch),
          committer: e.committer,
          added: e.added,
          removed: e.removed,
          path: e.path,
          bytes: e.bytes,
          fanoutMs: Math.round(e.fanoutMs * 100) / 100,
        },
        'commit accepted',
      ),
    'commit-refused': (e: { meetingId: string; epoch: bigint; userId: string; reason: string }) =>
      meeting(e.meetingId).info(
        { epoch: Number(e.epoch), user: e.userId, reason: e.reason },
        'commit refused',
      ),
    'committer-passed-over': (e: {
      meetingId: string;
      epoch: bigint;
      userId: string;
      why: string;
    }) =>
      meeting(e.meetingId).warn(
        { epoch: Number(e.epoch), user: e.userId, why: e.why },
        'committer passed over',
      ),
    recovery: (e: {
      meetingId: string;
      userId: string;
      subject: string;
      epoch: bigint;
      committer: string | undefined;
    }) =>
      meeting(e.meetingId).warn(
        { user: e.userId, subject: e.subject, epoch: Number(e.epoch), committer: e.committer },
        'member could not process the group state: re-adding it',
      ),
    rejected: (e: { connectionId: string; reason: string; fatal: boolean }) =>
      log
        .child({ connection: e.connectionId })
        .warn(
          { reason: e.reason, fatal: e.fatal },
          e.fatal ? 'frame rejected, connection closed' : 'frame rejected',
        ),
  };
  for (const [event, handler] of Object.entries(handlers)) ds.on(event as never, handler as never);
  return () => {
    for (const [event, handler] of Object.entries(handlers))
      ds.off(event as never, handler as never);
  };
}
