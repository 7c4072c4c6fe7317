/**
 * Prometheus metrics of one Canopy server (`GET /metrics`): meetings and
 * participants, the delivery service's proposals, commits (accepted and
 * refused), commit fan-out and epoch-switch times, recoveries and rejected
 * messages by reason, plus the process's own CPU and memory (which the load
 * runner samples during a run). Each server owns its own registry, so several
 * servers in one process (tests) do not share counters.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds; commit fan-out and epoch switches span sub-millisecond to seconds. */
const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export class ServerMetrics {
  readonly registry = new Registry();
  readonly meetings = new Gauge({
    name: 'canopy_meetings',
    help: 'Meetings with an MLS group on this server',
    registers: [this.registry],
  });
  readonly participants = new Gauge({
    name: 'canopy_participants',
    help: 'Participants connected to the delivery service (members and lobby)',
    registers: [this.registry],
  });
  readonly proposals = new Counter({
    name: 'canopy_proposals_total',
    help: 'External proposals the delivery service issued, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly commits = new Counter({
    name: 'canopy_commits_total',
    help: 'Commits received, by result (accepted, refused) and reason',
    labelNames: ['result', 'reason'] as const,
    registers: [this.registry],
  });
  readonly commitFanout = new Histogram({
    name: 'canopy_commit_fanout_seconds',
    help: 'Time to validate an accepted commit and hand it to every member connection',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly epochSwitch = new Histogram({
    name: 'canopy_epoch_switch_seconds',
    help: 'Commit accepted → media switch announced (all or a quorum acknowledged, or the timeout)',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly recoveries = new Counter({
    name: 'canopy_recoveries_total',
    help: 'Members removed and re-added because they could not process a commit or Welcome',
    registers: [this.registry],
  });
  readonly rejectedMessages = new Counter({
    name: 'canopy_rejected_messages_total',
    help: 'Client messages rejected at the boundary or by the delivery service, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: 'canopy_' });
  }

  /** The text exposition format, for `GET /metrics`. */
  async handle(_req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await this.registry.metrics();
    res.writeHead(200, { 'Content-Type': this.registry.contentType, 'Cache-Control': 'no-store' });
    res.end(body);
  }
}
