// The delivery service's events as Prometheus metrics (server/src/observability).
import type { ServerMetrics } from '../observability/index.js';
import type { DeliveryService } from './delivery-service.js';

/** Feeds `metrics` from `ds`'s events; returns a function that stops it. */
export function recordDeliveryMetrics(ds: DeliveryService, metrics: ServerMetrics): () => void {
  const handlers = {
    counts: (e: { meetings: number; participants: number }) => {
      metrics.meetings.set(e.meetings);
      metrics.participants.set(e.participants);
    },
    proposal: (e: { type: string }) => metrics.proposals.inc({ type: e.type }),
    'commit-accepted': (e: { fanoutMs: number }) => {
      metrics.commits.inc({ result: 'accepted', reason: 'ok' });
      metrics.commitFanout.observe(e.fanoutMs / 1000);
    },
    'commit-refused': (e: { reason: string }) =>
      metrics.commits.inc({ result: 'refused', reason: e.reason }),
    'epoch-switch': (e: { ms: number }) => metrics.epochSwitch.observe(e.ms / 1000),
    recovery: () => metrics.recoveries.inc(),
    rejected: (e: { reason: string }) => metrics.rejectedMessages.inc({ reason: e.reason }),
  };
  for (const [event, handler] of Object.entries(handlers)) ds.on(event as never, handler as never);
  return () => {
    for (const [event, handler] of Object.entries(handlers))
      ds.off(event as never, handler as never);
  };
}
