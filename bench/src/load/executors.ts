/**
 * k6's executors as schedules: `arrivals` turns an executor into the ms
 * offsets (from the scenario's start) at which each virtual participant
 * starts, and `sliceArrivals` keeps one slice's share of them (`--segment i/n`,
 * as k6's execution segments) so several load machines together run the whole.
 *
 * Arrival-rate executors place the k-th arrival (k = 0, 1, …) at the time the
 * cumulative expected count ∫rate reaches k: a constant rate r gives
 * 0, 1/r, 2/r, …; a linear ramp inverts the quadratic. A schedule therefore
 * holds ⌈∫rate⌉ arrivals, each before the end of its executor.
 */
import { CanopyError } from '@canopy/shared/protocol';
import { formatDuration, formatNumber } from './format.js';
import type { Executor } from './types.js';

export type ExecutorErrorCode = 'invalid-executor' | 'invalid-segment';

export class ExecutorError extends CanopyError {
  constructor(
    override readonly code: ExecutorErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

/** The most arrivals one schedule may hold (a typo in a rate must not exhaust memory). */
export const MAX_ARRIVALS = 1_000_000;

/** `--segment i/n`: slice `index` (1-based) of `count`. */
export interface Segment {
  readonly index: number;
  readonly count: number;
}

/**
 * Checks an executor (from a scenario or the command line): a known kind,
 * positive finite rates (a ramp may start or end at 0), durations and time
 * unit, a whole positive participant count, at least one and at most
 * MAX_ARRIVALS arrivals. ExecutorError 'invalid-executor' otherwise.
 */
export function validateExecutor(e: unknown): Executor {
  const fail = (why: string): never => {
    throw new ExecutorError('invalid-executor', why);
  };
  if (typeof e !== 'object' || e === null) fail('an executor must be an object');
  const x = e as Record<string, unknown>;
  const positive = (key: string, v: unknown = x[key]) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      fail(`${String(x.executor)}: ${key} must be a positive number (got ${String(v)})`);
    }
  };
  const nonNegative = (key: string, v: unknown) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      fail(`${String(x.executor)}: ${key} must be a number ≥ 0 (got ${String(v)})`);
    }
  };
  let expected = 0;
  switch (x.executor) {
    case 'constant-arrival-rate':
      positive('rate');
      positive('timeUnit');
      positive('duration');
      expected = ((x.rate as number) * (x.duration as number)) / (x.timeUnit as number);
      break;
    case 'ramping-arrival-rate': {
      nonNegative('startRate', x.startRate);
      positive('timeUnit');
      const stages = x.stages;
      if (!Array.isArray(stages) || stages.length === 0) {
        fail('ramping-arrival-rate: stages must be a non-empty list');
      }
      let rate = x.startRate as number;
      for (const [i, st] of (stages as unknown[]).entries()) {
        if (typeof st !== 'object' || st === null)
          fail(`ramping-arrival-rate: stage ${i + 1} must be an object`);
        const s = st as Record<string, unknown>;
        nonNegative(`stages[${i}].target`, s.target);
        positive(`stages[${i}].duration`, s.duration);
        expected +=
          (((rate + (s.target as number)) / 2) * (s.duration as number)) / (x.timeUnit as number);
        rate = s.target as number;
      }
      break;
    }
    case 'constant-participants':
      positive('participants');
      // 0: they stay until the scenario has them leave
      nonNegative('duration', x.duration);
      if (!Number.isInteger(x.participants))
        fail('constant-participants: participants must be a whole number');
      expected = x.participants as number;
      break;
    default:
      fail(
        `unknown executor ${JSON.stringify(x.executor)} ` +
          '(expected constant-arrival-rate, ramping-arrival-rate or constant-participants)',
      );
  }
  if (expected > MAX_ARRIVALS)
    fail(`${x.executor} schedules ${Math.ceil(expected)} arrivals, more than ${MAX_ARRIVALS}`);
  if (round(expected) <= 0) fail(`${x.executor} schedules no arrivals (every rate is 0)`);
  return e as Executor;
}

/** Start offsets (ms from the scenario's start, ascending) of every virtual participant. */
export function arrivals(e: Executor): number[] {
  validateExecutor(e);
  switch (e.executor) {
    case 'constant-participants':
      return new Array<number>(e.participants).fill(0);
    case 'constant-arrival-rate':
      return ramp(e.rate, e.timeUnit, [{ target: e.rate, duration: e.duration }]);
    case 'ramping-arrival-rate':
      return ramp(e.startRate, e.timeUnit, e.stages);
  }
}

/** How long the executor runs, in ms (constant-participants: how long they stay). */
export function executorDuration(e: Executor): number {
  return e.executor === 'ramping-arrival-rate'
    ? e.stages.reduce((sum, s) => sum + s.duration, 0)
    : e.duration;
}

/**
 * Arrivals of linear stages. In units of `timeUnit`, a stage from rate r0 to
 * r1 over S has cumulative count N(s) = c0 + r0·s + a·s² with a = (r1 − r0)/2S;
 * arrival k is at s = 2d / (r0 + √(r0² + 4ad)), d = k − c0 (the root of
 * N(s) = k written so it stays exact when a is 0 or r0 is 0).
 */
function ramp(
  startRate: number,
  timeUnit: number,
  stages: readonly { readonly target: number; readonly duration: number }[],
): number[] {
  const out: number[] = [];
  let c0 = 0; // expected arrivals before this stage
  let t0 = 0; // this stage's start, ms
  let r0 = startRate;
  let k = 0;
  for (const { target: r1, duration } of stages) {
    const S = duration / timeUnit;
    // Rounded so that decimal rates (0.1 × 30 = 3.0000000000000004) do not gain an arrival.
    const c1 = round(c0 + ((r0 + r1) / 2) * S);
    const a = (r1 - r0) / (2 * S);
    for (; k < c1; k++) {
      const d = k - c0;
      const s = d <= 0 ? 0 : (2 * d) / (r0 + Math.sqrt(Math.max(0, r0 * r0 + 4 * a * d)));
      out.push(t0 + Math.min(s, S) * timeUnit);
    }
    c0 = c1;
    t0 += duration;
    r0 = r1;
  }
  return out;
}

function round(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}

/** Parses `--segment i/n` (1 ≤ i ≤ n); ExecutorError 'invalid-segment' otherwise. */
export function parseSegment(text: string): Segment {
  const m = typeof text === 'string' ? /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text) : null;
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || index < 1 || index > count) {
    throw new ExecutorError(
      'invalid-segment',
      `segment ${JSON.stringify(text)}: expected i/n with 1 ≤ i ≤ n, e.g. 2/4 for the second of four slices`,
    );
  }
  return { index, count };
}

/**
 * Slice `seg` of a schedule: the arrivals whose index ≡ index − 1 (mod count),
 * so every slice ramps like the whole, and the slices 1/n … n/n together are
 * exactly the whole, each arrival in one slice.
 */
export function sliceArrivals(all: readonly number[], seg: Segment): number[] {
  const { index, count } = seg;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || index < 1 || index > count) {
    throw new ExecutorError('invalid-segment', `segment ${index}/${count}: expected 1 ≤ i ≤ n`);
  }
  return all.filter((_, k) => k % count === index - 1);
}

/** One line for the summary header, e.g. "ramping arrival rate (joins/s): 0 → 50 over 10s, 250 participants". */
export function describeExecutor(e: Executor, seg?: Segment): string {
  const total = arrivals(e).length;
  const per = (timeUnit: number) => (timeUnit === 1000 ? '/s' : ` per ${formatDuration(timeUnit)}`);
  let line: string;
  switch (e.executor) {
    case 'constant-arrival-rate':
      line =
        `constant arrival rate: ${formatNumber(e.rate)} joins${per(e.timeUnit)} ` +
        `for ${formatDuration(e.duration)}`;
      break;
    case 'ramping-arrival-rate':
      line =
        `ramping arrival rate (joins${per(e.timeUnit)}): ${formatNumber(e.startRate)}` +
        e.stages
          .map((s) => ` → ${formatNumber(s.target)} over ${formatDuration(s.duration)}`)
          .join('');
      break;
    case 'constant-participants':
      line = `constant participants: all at once, staying ${formatDuration(e.duration)}`;
      break;
  }
  line += `, ${total} participant${total === 1 ? '' : 's'}`;
  if (seg !== undefined && seg.count > 1) {
    line += `; slice ${seg.index}/${seg.count}: ${sliceArrivals(new Array(total).fill(0), seg).length} of them`;
  }
  return line;
}
