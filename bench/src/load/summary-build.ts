/**
 * A run's or slice's summary from its metric samples: every metric's values
 * (k6's names), its samples, and its thresholds evaluated.
 */
import type { Segment } from './executors.js';
import { aggregate, type MetricSet } from './metrics.js';
import { SummaryError } from './summary-error.js';
import {
  allHeld,
  checkThresholds,
  type MetricValues,
  type Thresholds,
  thresholdPercentiles,
} from './thresholds.js';
import type {
  MetricDef,
  Sample,
  Summary,
  SummaryCheck,
  SummaryMetric,
  SweepPoint,
  TimelinePoint,
} from './types.js';

export interface SummaryInput {
  readonly scenario: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly segment: Segment;
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly machine: string;
  readonly metrics: MetricSet;
  readonly checks: readonly SummaryCheck[];
  readonly timeline: readonly TimelinePoint[];
  readonly sweep?: readonly SweepPoint[];
  readonly thresholds: Thresholds;
}

/**
 * The summary of one run or slice: every metric's values and samples, its
 * thresholds evaluated (ThresholdError for a threshold on an unknown metric or
 * an aggregation its kind lacks).
 */
export function buildSummary(input: SummaryInput): Summary {
  const { segment, startedAt, durationMs } = input;
  if (!(startedAt instanceof Date) || Number.isNaN(startedAt.getTime())) {
    throw new SummaryError('invalid-input', 'startedAt must be a valid Date');
  }
  if (!(Number.isFinite(durationMs) && durationMs >= 0)) {
    throw new SummaryError('invalid-input', `durationMs must be a number ≥ 0 (got ${durationMs})`);
  }
  if (
    !Number.isSafeInteger(segment.index) ||
    !Number.isSafeInteger(segment.count) ||
    segment.index < 1 ||
    segment.index > segment.count
  ) {
    throw new SummaryError('invalid-input', `segment ${segment.index}/${segment.count} is not i/n`);
  }
  const { metrics, ok } = summarizeMetrics(
    input.metrics.defs.map((def) => [def, input.metrics.samples(def.name)]),
    durationMs,
    input.thresholds,
  );
  return {
    version: 1,
    scenario: input.scenario,
    options: input.options,
    segments: [{ index: segment.index, count: segment.count }],
    startedAt: startedAt.toISOString(),
    durationMs,
    machine: input.machine,
    metrics,
    checks: input.checks.map((c) => ({ name: c.name, passes: c.passes, fails: c.fails })),
    timeline: [...input.timeline],
    ...(input.sweep !== undefined && { sweep: [...input.sweep] }),
    thresholdsOk: ok,
  };
}

/** Values, samples and evaluated thresholds of every metric (shared by build and merge). */
export function summarizeMetrics(
  entries: readonly (readonly [MetricDef, readonly Sample[]])[],
  durationMs: number,
  thresholds: Thresholds,
): { metrics: Record<string, SummaryMetric>; ok: boolean } {
  const values: Record<string, MetricValues> = {};
  for (const [def, samples] of entries) {
    values[def.name] = {
      type: def.type,
      values: aggregate(def, samples, durationMs, thresholdPercentiles(thresholds, def.name)),
    };
  }
  const results = checkThresholds(thresholds, values);
  const metrics: Record<string, SummaryMetric> = {};
  for (const [def, samples] of entries) {
    metrics[def.name] = {
      type: def.type,
      contains: def.contains,
      values: values[def.name].values,
      ...(Object.hasOwn(results, def.name) && { thresholds: results[def.name] }),
      samples: [...samples],
    };
  }
  return { metrics, ok: allHeld(results) };
}
