/**
 * Thresholds in k6's syntax: `<aggregation> <op> <value>`, e.g. `p(95)<1000`,
 * `rate < 0.01`, `count>=1`, keyed by metric name. A run whose thresholds do
 * not all hold exits with code 99 (as k6).
 *
 * - aggregation: avg | min | max | med | count | rate | value | p(N), N in (0, 100]
 *   (decimals allowed: p(99.9)); which ones a metric has depends on its kind
 *   (`AGGREGATIONS`): p(95) on a counter is an error, not a silent pass.
 * - op: < <= > >= == != (and k6's === for ==)
 * - value: a decimal number, in the metric's unit (ms for times, bytes for data)
 *
 * Whitespace around the parts is ignored. Anything else is a ThresholdError.
 * A metric with no samples aggregates to zeros (see metrics.ts), so `p(95)<1000`
 * holds on it; add `count>0` to require that something was measured.
 */
import { CanopyError } from '@canopy/shared/protocol';
import { percentileName } from './metrics.js';
import type { MetricDef, MetricType } from './types.js';

export type ThresholdErrorCode =
  | 'invalid-threshold' // an expression or option that does not parse
  | 'unknown-metric' // thresholds on a metric the run does not record
  | 'unsupported-aggregation' // an aggregation the metric's kind does not have
  | 'missing-value'; // the metric's values lack the aggregation (it was not computed)

export class ThresholdError extends CanopyError {
  constructor(
    override readonly code: ThresholdErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

/** k6's exit code when a threshold failed. */
export const THRESHOLDS_FAILED_EXIT_CODE = 99;

export type ThresholdOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

/** One parsed expression. `aggregation` is canonical: `p(95.0)` → `p(95)`. */
export interface Threshold {
  readonly source: string;
  readonly aggregation: string;
  readonly op: ThresholdOp;
  readonly value: number;
}

/** Metric name → threshold expressions (k6's `options.thresholds`). */
export type Thresholds = Record<string, readonly string[]>;

/** Per metric, per expression: did it hold (the shape of SummaryMetric.thresholds). */
export type ThresholdResults = Record<string, Record<string, { ok: boolean }>>;

/** What a threshold is evaluated against: a metric's kind and aggregated values. */
export interface MetricValues {
  readonly type: MetricType;
  readonly values: Readonly<Record<string, number>>;
}

/** The aggregations thresholds may use on each kind of metric (p(N) is written 'p(N)'). */
export const AGGREGATIONS: Readonly<Record<MetricType, readonly string[]>> = {
  trend: ['avg', 'min', 'max', 'med', 'count', 'p(N)'],
  counter: ['count', 'rate'],
  rate: ['rate'],
  gauge: ['value', 'min', 'max'],
};

const NAMED = ['avg', 'min', 'max', 'med', 'count', 'rate', 'value'] as const;
// Longest first, so that `<=` is not read as `<` followed by `=…`.
const OPS = ['===', '==', '!=', '<=', '>=', '<', '>'] as const;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const PERCENTILE = /^p\(\s*(\d+(?:\.\d+)?|\.\d+)\s*\)/;
const METRIC_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Parses one expression such as `p(95)<1000` (ThresholdError 'invalid-threshold' otherwise). */
export function parseThreshold(source: string): Threshold {
  if (typeof source !== 'string') {
    throw new ThresholdError('invalid-threshold', 'a threshold must be a string');
  }
  const fail = (why: string): never => {
    throw new ThresholdError('invalid-threshold', `threshold ${JSON.stringify(source)}: ${why}`);
  };
  const s = source.trim();
  let aggregation: string | undefined;
  let rest = '';
  const p = PERCENTILE.exec(s);
  if (p !== null) {
    const n = Number(p[1]);
    if (!(n > 0 && n <= 100)) fail(`the percentile must be in (0, 100], not ${p[1]}`);
    aggregation = percentileName(n);
    rest = s.slice(p[0].length);
  } else if (/^p\(/.test(s)) {
    fail('a percentile is written p(N) with N a number in (0, 100], e.g. p(95) or p(99.9)');
  } else {
    const word = /^[A-Za-z_]\w*/.exec(s)?.[0];
    if (word === undefined) fail(`expected an aggregation (${NAMED.join(', ')}, p(N))`);
    if (!(NAMED as readonly string[]).includes(word!)) {
      fail(`unknown aggregation ${JSON.stringify(word)} (expected ${NAMED.join(', ')} or p(N))`);
    }
    aggregation = word!;
    rest = s.slice(word!.length);
  }
  rest = rest.trimStart();
  const op = OPS.find((o) => rest.startsWith(o));
  if (op === undefined) fail(`expected an operator (<, <=, >, >=, ==, !=) after ${aggregation}`);
  const valueText = rest.slice(op!.length).trim();
  if (!NUMBER.test(valueText)) {
    fail(
      valueText === ''
        ? `expected a number after ${op}`
        : `${JSON.stringify(valueText)} is not a number (times are plain milliseconds, e.g. 1000)`,
    );
  }
  const value = Number(valueText);
  if (!Number.isFinite(value)) fail(`${valueText} is not a finite number`);
  return { source, aggregation: aggregation!, op: op === '===' ? '==' : op!, value };
}

/** Whether `aggregation` exists for `type` (AGGREGATIONS). */
export function supports(type: MetricType, aggregation: string): boolean {
  const allowed = AGGREGATIONS[type];
  return aggregation.startsWith('p(') ? allowed.includes('p(N)') : allowed.includes(aggregation);
}

/**
 * Whether `t` holds for a metric's aggregated values. With `type`, an
 * aggregation the kind lacks is ThresholdError 'unsupported-aggregation'; a
 * value absent from `values` (e.g. p(95) on a counter's values) is
 * 'unsupported-aggregation' too when `type` is not given, else 'missing-value'.
 */
export function evaluateThreshold(
  t: Threshold,
  values: Readonly<Record<string, number>>,
  type?: MetricType,
): boolean {
  if (type !== undefined && !supports(type, t.aggregation)) {
    throw new ThresholdError(
      'unsupported-aggregation',
      `threshold ${JSON.stringify(t.source)}: a ${type} has no ${t.aggregation} ` +
        `(it has ${AGGREGATIONS[type].join(', ')})`,
    );
  }
  const actual = Object.hasOwn(values, t.aggregation) ? values[t.aggregation] : undefined;
  if (typeof actual !== 'number') {
    throw new ThresholdError(
      type === undefined ? 'unsupported-aggregation' : 'missing-value',
      `threshold ${JSON.stringify(t.source)}: the metric has no value ${t.aggregation}`,
    );
  }
  switch (t.op) {
    case '<':
      return actual < t.value;
    case '<=':
      return actual <= t.value;
    case '>':
      return actual > t.value;
    case '>=':
      return actual >= t.value;
    case '==':
      return actual === t.value;
    case '!=':
      return actual !== t.value;
  }
}

/**
 * Parses every expression and checks it against the metric definitions: an
 * unknown metric or an aggregation its kind lacks is a ThresholdError. For the
 * CLI to refuse bad thresholds before a run starts.
 */
export function compileThresholds(
  thresholds: Thresholds,
  defs: readonly MetricDef[],
): Map<string, Threshold[]> {
  const out = new Map<string, Threshold[]>();
  for (const [name, exprs] of Object.entries(thresholds)) {
    const [def, parsed] = parseList(
      name,
      defs.find((d) => d.name === name),
      exprs,
    );
    for (const t of parsed) {
      if (!supports(def.type, t.aggregation)) {
        throw new ThresholdError(
          'unsupported-aggregation',
          `threshold ${JSON.stringify(t.source)} on ${name}: a ${def.type} has no ${t.aggregation} ` +
            `(it has ${AGGREGATIONS[def.type].join(', ')})`,
        );
      }
    }
    out.set(name, parsed);
  }
  return out;
}

/** Metric `name` (`found`, undefined when unknown) and its parsed expressions, or a ThresholdError. */
function parseList<T>(name: string, found: T | undefined, exprs: unknown): [T, Threshold[]] {
  if (found === undefined)
    throw new ThresholdError(
      'unknown-metric',
      `thresholds on unknown metric ${JSON.stringify(name)}`,
    );
  if (!Array.isArray(exprs))
    throw new ThresholdError(
      'invalid-threshold',
      `thresholds of ${name} must be a list of strings`,
    );
  return [found, exprs.map(parseThreshold)];
}

/** The percentiles (as numbers) the thresholds of `name` use, for `aggregate`'s extras. */
export function thresholdPercentiles(thresholds: Thresholds, name: string): number[] {
  const exprs = Object.hasOwn(thresholds, name) ? thresholds[name] : [];
  const ps = new Set<number>();
  for (const e of exprs) {
    const a = parseThreshold(e).aggregation;
    if (a.startsWith('p(')) ps.add(Number(a.slice(2, -1)));
  }
  return [...ps];
}

/**
 * Evaluates every threshold: metric name → expression → `{ ok }`. A name
 * missing from `metrics` is ThresholdError 'unknown-metric'; every expression
 * is parsed and checked before any is evaluated.
 */
export function checkThresholds(
  thresholds: Thresholds,
  metrics: Readonly<Record<string, MetricValues>>,
): ThresholdResults {
  const parsed: [string, MetricValues, Threshold[]][] = [];
  for (const [name, exprs] of Object.entries(thresholds)) {
    const found = Object.hasOwn(metrics, name) ? metrics[name] : undefined;
    const [metric, list] = parseList(name, found, exprs);
    parsed.push([name, metric, list]);
  }
  const results: ThresholdResults = {};
  for (const [name, metric, list] of parsed) {
    const r: Record<string, { ok: boolean }> = {};
    for (const t of list) r[t.source] = { ok: evaluateThreshold(t, metric.values, metric.type) };
    results[name] = r;
  }
  return results;
}

/** Whether every evaluated threshold held. */
export function allHeld(results: ThresholdResults): boolean {
  return Object.values(results).every((r) => Object.values(r).every((x) => x.ok));
}

/**
 * Parses a `--threshold` option `metric:expression`, e.g.
 * `canopy_rekey:p(95)<1000` → `{ metric: 'canopy_rekey', expression: 'p(95)<1000' }`.
 */
export function parseThresholdOption(option: string): {
  metric: string;
  expression: string;
  threshold: Threshold;
} {
  const colon = typeof option === 'string' ? option.indexOf(':') : -1;
  if (colon < 0) {
    throw new ThresholdError(
      'invalid-threshold',
      `--threshold ${JSON.stringify(option)}: expected metric:expression, e.g. canopy_rekey:p(95)<1000`,
    );
  }
  const metric = option.slice(0, colon).trim();
  if (!METRIC_NAME.test(metric)) {
    throw new ThresholdError(
      'invalid-threshold',
      `--threshold ${JSON.stringify(option)}: ${JSON.stringify(metric)} is not a metric name`,
    );
  }
  const expression = option.slice(colon + 1).trim();
  return { metric, expression, threshold: parseThreshold(expression) };
}

/** `base` plus the `--threshold` options (appended to the metric's expressions). */
export function withThresholdOptions(base: Thresholds, options: readonly string[]): Thresholds {
  const out: Thresholds = { ...base };
  for (const o of options) {
    const { metric, expression } = parseThresholdOption(o);
    out[metric] = [...(Object.hasOwn(out, metric) ? out[metric] : []), expression];
  }
  return out;
}
