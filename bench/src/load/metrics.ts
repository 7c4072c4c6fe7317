/**
 * Metric samples and their aggregation into k6's values. A `MetricSet` holds
 * the raw samples of every metric a run records; `aggregate` turns one
 * metric's samples into the values the summary shows and thresholds test:
 *
 * - trend:   avg, min, med, max, p(90), p(95), p(99), count (+ any p(N) asked for)
 * - counter: count (sum of the samples), rate (count per second of the run)
 * - rate:    rate (share of non-zero samples), passes (non-zero), fails (zero)
 * - gauge:   value (the sample with the latest `t`), min, max
 *
 * An empty metric aggregates to the same keys, every value 0 (JSON has no
 * NaN): `count` (or `passes + fails`) 0 tells it apart from a measured 0.
 */
import { CanopyError } from '@canopy/shared/protocol';
import { METRICS, type MetricDef, type MetricType, type Sample } from './types.js';

export type MetricErrorCode = 'unknown-metric' | 'invalid-sample' | 'invalid-definition';

/** A metric name no definition has, a sample that is not two finite numbers, or bad definitions. */
export class MetricError extends CanopyError {
  constructor(
    override readonly code: MetricErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

/** The percentiles a trend always reports (k6's default summaryTrendStats plus p(99)). */
export const TREND_PERCENTILES: readonly number[] = [90, 95, 99];

/** The value names each kind of metric has, in the order the summary prints them. */
export const VALUE_NAMES: Readonly<Record<MetricType, readonly string[]>> = {
  trend: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'count'],
  counter: ['count', 'rate'],
  rate: ['rate', 'passes', 'fails'],
  gauge: ['value', 'min', 'max'],
};

/** The raw samples of a run, one list per defined metric. */
export class MetricSet {
  readonly defs: readonly MetricDef[];
  readonly #byName = new Map<string, MetricDef>();
  readonly #samples = new Map<string, Sample[]>();

  /** `defs` defaults to every metric the runner records (`METRICS`); names must be unique. */
  constructor(defs: readonly MetricDef[] = METRICS) {
    for (const def of defs) {
      if (this.#byName.has(def.name)) {
        throw new MetricError('invalid-definition', `metric ${def.name} is defined twice`);
      }
      this.#byName.set(def.name, def);
      this.#samples.set(def.name, []);
    }
    this.defs = [...defs];
  }

  /** The definition of `name` (MetricError 'unknown-metric' if there is none). */
  def(name: string): MetricDef {
    const def = this.#byName.get(name);
    if (def === undefined) {
      throw new MetricError('unknown-metric', `unknown metric ${JSON.stringify(name)}`);
    }
    return def;
  }

  has(name: string): boolean {
    return this.#byName.has(name);
  }

  /** Records one sample: `t` ms since the run's start, `v` the value. */
  add(name: string, t: number, v: number): void {
    this.def(name);
    checkSample(name, t, v);
    this.#samples.get(name)!.push([t, v]);
  }

  /** Records many samples; if any is invalid none is recorded. */
  addAll(name: string, samples: readonly Sample[]): void {
    this.def(name);
    for (const s of samples) {
      if (!Array.isArray(s) || s.length !== 2) {
        throw new MetricError('invalid-sample', `${name}: a sample must be a [t, v] pair`);
      }
      checkSample(name, s[0], s[1]);
    }
    const list = this.#samples.get(name)!;
    for (const [t, v] of samples) list.push([t, v]);
  }

  /** Every sample of `name`, in the order recorded. */
  samples(name: string): readonly Sample[] {
    this.def(name);
    return this.#samples.get(name)!;
  }
}

function checkSample(name: string, t: unknown, v: unknown): void {
  if (
    typeof t !== 'number' ||
    !Number.isFinite(t) ||
    typeof v !== 'number' ||
    !Number.isFinite(v)
  ) {
    throw new MetricError(
      'invalid-sample',
      `${name}: a sample's time and value must be finite numbers (got ${String(t)}, ${String(v)})`,
    );
  }
}

/**
 * The p-th percentile (0 ≤ p ≤ 100) of ascending `sorted` values, by linear
 * interpolation between the closest ranks (Hyndman–Fan type 7, numpy's and
 * Excel PERCENTILE.INC's default, as k6): rank h = (n − 1)·p/100, the result
 * x[⌊h⌋] + (h − ⌊h⌋)·(x[⌈h⌉] − x[⌊h⌋]). NaN for no values.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) {
    throw new MetricError('invalid-sample', `percentile ${p} is outside [0, 100]`);
  }
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = ((n - 1) * p) / 100;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** The name of a percentile value: 95 → "p(95)", 99.9 → "p(99.9)". */
export function percentileName(p: number): string {
  return `p(${p})`;
}

/**
 * k6's values of one metric over a run of `durationMs` (see the module
 * comment); for trends, `extraPercentiles` adds p(N) values (those thresholds use).
 */
export function aggregate(
  def: MetricDef,
  samples: readonly Sample[],
  durationMs: number,
  extraPercentiles: readonly number[] = [],
): Record<string, number> {
  switch (def.type) {
    case 'trend':
      return aggregateTrend(samples, extraPercentiles);
    case 'counter': {
      let count = 0;
      for (const [, v] of samples) count += v;
      return { count, rate: durationMs > 0 ? count / (durationMs / 1000) : 0 };
    }
    case 'rate': {
      let passes = 0;
      for (const [, v] of samples) if (v !== 0) passes++;
      const fails = samples.length - passes;
      return { rate: samples.length > 0 ? passes / samples.length : 0, passes, fails };
    }
    case 'gauge': {
      if (samples.length === 0) return { value: 0, min: 0, max: 0 };
      let [lastT, value] = samples[0];
      let min = value;
      let max = value;
      for (const [t, v] of samples) {
        if (t >= lastT) [lastT, value] = [t, v];
        if (v < min) min = v;
        if (v > max) max = v;
      }
      return { value, min, max };
    }
  }
}

function aggregateTrend(
  samples: readonly Sample[],
  extraPercentiles: readonly number[],
): Record<string, number> {
  const sorted = samples.map(([, v]) => v).sort((a, b) => a - b);
  const n = sorted.length;
  const at = (p: number) => (n === 0 ? 0 : percentile(sorted, p));
  let sum = 0;
  for (const v of sorted) sum += v;
  const values: Record<string, number> = {
    avg: n === 0 ? 0 : sum / n,
    min: n === 0 ? 0 : sorted[0],
    med: at(50),
    max: n === 0 ? 0 : sorted[n - 1],
  };
  for (const p of TREND_PERCENTILES) values[percentileName(p)] = at(p);
  values.count = n;
  for (const p of extraPercentiles) values[percentileName(p)] = at(p);
  return values;
}
