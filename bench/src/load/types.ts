/**
 * The load runner's shared vocabulary (`npm run load`): metric kinds, the
 * scenario definition, and the JSON summary every slice writes and `merge`
 * combines. Named after k6's: a Trend of times, a Counter, a Rate of
 * true/false, a Gauge; thresholds in k6's syntax keyed by metric name.
 */

/** k6's four metric kinds. */
export type MetricType = 'trend' | 'counter' | 'rate' | 'gauge';

/** What a metric's values measure (k6's `contains`): times are milliseconds. */
export type MetricContains = 'time' | 'data' | 'default';

/** Every metric the runner records, with its kind and unit. */
export interface MetricDef {
  readonly name: string;
  readonly type: MetricType;
  readonly contains: MetricContains;
  /** One line for the terminal summary and the report. */
  readonly description: string;
  /**
   * Gauges only: how `merge` combines slices. 'sum' when each slice holds its
   * own part (its participants, its runner's CPU and memory): summed at aligned
   * times; 'same' (the default) when every slice observes one thing (the server,
   * the group's tree): samples pooled.
   */
  readonly acrossSlices?: 'sum' | 'same';
}

/**
 * One observation: `t` is milliseconds since the run's start (wall clock,
 * `performance.timeOrigin + performance.now()` minus the run's start, so it is
 * comparable across worker threads), `v` the value (ms for times, bytes for
 * data, 0/1 for rates, a count for counters).
 */
export type Sample = readonly [t: number, v: number];

/** A metric as the JSON summary holds it (k6's `metrics.<name>` plus raw samples). */
export interface SummaryMetric {
  readonly type: MetricType;
  readonly contains: MetricContains;
  /**
   * k6's aggregated values. trend: avg, min, med, max, p(90), p(95), p(99), count;
   * counter: count, rate (per second of the run); rate: rate, passes, fails;
   * gauge: value, min, max.
   */
  readonly values: Readonly<Record<string, number>>;
  /** Threshold expression → whether it held (only for metrics with thresholds). */
  readonly thresholds?: Readonly<Record<string, { readonly ok: boolean }>>;
  /** Every sample, so slices can be merged exactly and the report can plot over time. */
  readonly samples: readonly Sample[];
}

/** One check (k6's `check()`): a named condition counted over the run. */
export interface SummaryCheck {
  readonly name: string;
  readonly passes: number;
  readonly fails: number;
}

/** A point of the run's timeline, sampled about once a second. */
export interface TimelinePoint {
  /** ms since the run's start. */
  readonly t: number;
  /** Participants in the group (Welcome processed, not yet left) in this slice. */
  readonly participants: number;
  /** The server process: CPU % of one core, resident bytes (absent for a remote server without /metrics). */
  readonly serverCpu?: number;
  readonly serverRss?: number;
  /** This runner process: CPU % of one core, resident bytes. */
  readonly runnerCpu: number;
  readonly runnerRss: number;
}

/** `sweep` runs the same measurements at several sizes: one row per size. */
export interface SweepPoint {
  readonly participants: number;
  /** Aggregated values (as in SummaryMetric.values) of each metric at this size. */
  readonly metrics: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /**
   * Optional: the raw samples behind `metrics` and how long this size ran, so
   * `merge` recomputes the values exactly (without them it combines the values:
   * counts summed, min/max exact, avg weighted, percentiles the slices' maximum).
   */
  readonly samples?: Readonly<Record<string, readonly Sample[]>>;
  readonly durationMs?: number;
}

/** `summary.json`: one per run or slice; `merge` combines slices into one. */
export interface Summary {
  readonly version: 1;
  readonly scenario: string;
  /** The options the run used (participants, rates, durations, server URL, probes). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Which slice this is: `{ index: 1, count: 1 }` for a whole run; merged summaries list the slices. */
  readonly segments: readonly { readonly index: number; readonly count: number }[];
  /** Wall-clock start (ISO 8601) and duration of the run. */
  readonly startedAt: string;
  readonly durationMs: number;
  /** The machine the runner ran on (CPU model, cores, memory, Node version). */
  readonly machine: string;
  readonly metrics: Readonly<Record<string, SummaryMetric>>;
  readonly checks: readonly SummaryCheck[];
  readonly timeline: readonly TimelinePoint[];
  readonly sweep?: readonly SweepPoint[];
  /** Did every threshold hold? (exit code 99 when not) */
  readonly thresholdsOk: boolean;
  /** Set by `merge`: what the merged summary lacks (e.g. slices that were not given). */
  readonly warnings?: readonly string[];
}

/**
 * k6's executors: when virtual participants start.
 * - constant-arrival-rate: `rate` joins per `timeUnit` ms for `duration` ms.
 * - ramping-arrival-rate: starts at `startRate` per `timeUnit`, then each stage
 *   ramps linearly to `target` over `duration` ms.
 * - constant-participants: `participants` join at once (as fast as admitted) and stay for `duration`.
 */
export type Executor =
  | {
      readonly executor: 'constant-arrival-rate';
      readonly rate: number;
      readonly timeUnit: number;
      readonly duration: number;
    }
  | {
      readonly executor: 'ramping-arrival-rate';
      readonly startRate: number;
      readonly timeUnit: number;
      readonly stages: readonly { readonly target: number; readonly duration: number }[];
    }
  | {
      readonly executor: 'constant-participants';
      readonly participants: number;
      readonly duration: number;
    };

/** Every metric the runner records (the JSON summary holds each one, even when empty). */
export const METRICS: readonly MetricDef[] = [
  {
    name: 'canopy_join_admitted',
    type: 'trend',
    contains: 'time',
    description: 'join → Welcome processed (includes the lobby and the host admitting)',
  },
  {
    name: 'canopy_join_failed',
    type: 'rate',
    contains: 'default',
    description: 'joins that never got into the group',
  },
  {
    name: 'canopy_commit_fanout',
    type: 'trend',
    contains: 'time',
    description: 'DS sends a commit → a member receives it',
  },
  {
    name: 'canopy_rekey',
    type: 'trend',
    contains: 'time',
    description: 'departure → every remaining member applied an epoch without the departed',
  },
  {
    name: 'canopy_rekey_switch',
    type: 'trend',
    contains: 'time',
    description: 'departure → every remaining member got the media switch to that epoch',
  },
  {
    name: 'canopy_commits',
    type: 'counter',
    contains: 'default',
    description: 'commits accepted by the DS (epochs the group went through)',
  },
  {
    name: 'canopy_commits_refused',
    type: 'counter',
    contains: 'default',
    description: 'commits the DS refused (lost races)',
  },
  {
    name: 'canopy_recoveries',
    type: 'counter',
    contains: 'default',
    description: 'members removed and re-added after they could not process a message',
  },
  {
    name: 'canopy_ws_msgs_sent',
    type: 'counter',
    contains: 'default',
    description: 'WebSocket messages the participants sent',
  },
  {
    name: 'canopy_ws_msgs_received',
    type: 'counter',
    contains: 'default',
    description: 'WebSocket messages the participants received',
  },
  {
    name: 'canopy_data_sent',
    type: 'counter',
    contains: 'data',
    description: 'bytes the participants sent',
  },
  {
    name: 'canopy_data_received',
    type: 'counter',
    contains: 'data',
    description: 'bytes the participants received',
  },
  {
    name: 'canopy_participant_data_received',
    type: 'trend',
    contains: 'data',
    description: 'bytes one participant received over its stay',
  },
  {
    name: 'canopy_participant_msgs_received',
    type: 'trend',
    contains: 'default',
    description: 'messages one participant received over its stay',
  },
  {
    name: 'canopy_participants',
    type: 'gauge',
    contains: 'default',
    description: "members in the group held by this runner (a slice's own; merge sums slices)",
    acrossSlices: 'sum',
  },
  {
    name: 'canopy_tree_size',
    type: 'gauge',
    contains: 'default',
    description: 'leaves in the ratchet tree (members and blanks)',
  },
  {
    name: 'canopy_server_cpu',
    type: 'gauge',
    contains: 'default',
    description: 'server process CPU, % of one core',
  },
  {
    name: 'canopy_server_rss',
    type: 'gauge',
    contains: 'data',
    description: 'server process resident memory',
  },
  {
    name: 'canopy_runner_cpu',
    type: 'gauge',
    contains: 'default',
    description: 'runner process CPU, % of one core',
    acrossSlices: 'sum',
  },
  {
    name: 'canopy_runner_rss',
    type: 'gauge',
    contains: 'data',
    description: 'runner process resident memory',
    acrossSlices: 'sum',
  },
  {
    name: 'canopy_runner_rss_per_participant',
    type: 'gauge',
    contains: 'data',
    description: 'runner resident memory per participant at the peak',
  },
  {
    name: 'canopy_probe_first_frame',
    type: 'trend',
    contains: 'time',
    description: 'media probe: admission → first decrypted remote video frame',
  },
  {
    name: 'canopy_probe_removal_window',
    type: 'trend',
    contains: 'time',
    description: 'media probe: host removes it → the last frame it could still decrypt',
  },
];
