/**
 * Merging the summaries of a scenario's slices (`--segment i/n` on several
 * machines) into one, as if one machine had run it all: every metric keeps its
 * raw samples, so the merged values are recomputed exactly.
 */
import { readFile } from 'node:fs/promises';
import { aggregate } from './metrics.js';
import { summarizeMetrics } from './summary-build.js';
import { SummaryError } from './summary-error.js';
import { segmentProblem, validateSummary } from './summary-schema.js';
import type { Thresholds } from './thresholds.js';
import {
  METRICS,
  type MetricDef,
  type MetricType,
  type Sample,
  type Summary,
  type SweepPoint,
  type TimelinePoint,
} from './types.js';

/** Timeline points and summed gauges are aligned on buckets this long when slices merge. */
export const MERGE_BUCKET_MS = 1000;

/**
 * Combines the slices of one scenario run into one summary, as if one machine
 * had run it all. Slices must be of the same scenario and split, each slice at
 * most once (SummaryError 'mismatch' / 'overlap'); missing slices are listed
 * in `warnings`.
 *
 * - Samples are concatenated, each slice's `t` shifted by its start's distance
 *   from the earliest start, and values recomputed from them over the merged
 *   duration (first start → last end): trends and rates exactly as one run,
 *   counters summed.
 * - Gauges each slice holds a part of (`acrossSlices: 'sum'`: participants,
 *   runner CPU and memory) are summed at aligned 1 s buckets, each slice
 *   contributing its latest value so far (0 before its first sample); other
 *   gauges (the server, the tree) pool their samples.
 * - The timeline is merged on the same buckets: participants and runner CPU and
 *   memory summed, the server's CPU and memory (seen by every slice) the maximum.
 * - Checks are summed by name; sweep points are merged per size.
 * - Thresholds (`thresholds`, or else every expression any slice evaluated)
 *   are re-evaluated on the merged values.
 */
export function mergeSummaries(list: readonly Summary[], thresholds?: Thresholds): Summary {
  if (list.length === 0) throw new SummaryError('invalid-input', 'nothing to merge');
  const scenario = list[0].scenario;
  for (const s of list) {
    if (s.scenario !== scenario) {
      throw new SummaryError(
        'mismatch',
        `slices of different scenarios: ${scenario} and ${s.scenario}`,
      );
    }
  }
  const segments = list.flatMap((s) => s.segments).sort((a, b) => a.index - b.index);
  const problem = segmentProblem(segments);
  if (problem !== undefined) {
    throw new SummaryError(problem.code, problem.message);
  }
  const warnings = new Set(list.flatMap((s) => s.warnings ?? []));
  const count = segments[0].count;
  const missing: string[] = [];
  const have = new Set(segments.map((s) => s.index));
  for (let i = 1; i <= count; i++) if (!have.has(i)) missing.push(`${i}/${count}`);
  if (missing.length > 0) {
    const listed = missing.length > 10 ? [...missing.slice(0, 10), '…'] : missing;
    warnings.add(
      `missing slice${missing.length > 1 ? 's' : ''} ${listed.join(', ')}: ` +
        `the figures cover ${segments.length} of ${count} slices`,
    );
  }

  const starts = list.map((s) => Date.parse(s.startedAt));
  if (starts.some(Number.isNaN)) {
    throw new SummaryError('invalid-input', 'a slice has no valid startedAt (validate it first)');
  }
  const t0 = Math.min(...starts);
  const offsets = starts.map((s) => s - t0);
  const durationMs = Math.max(...list.map((s, i) => offsets[i] + s.durationMs));
  const shift = (samples: readonly Sample[], i: number): Sample[] =>
    samples.map(([t, v]) => [t + offsets[i], v]);

  // Every metric any slice has, in the order first seen.
  const defs = new Map<string, MetricDef>();
  for (const s of list) {
    for (const [name, m] of Object.entries(s.metrics)) {
      const known = defs.get(name);
      if (known === undefined) {
        defs.set(name, defOf(name, m.type, m.contains));
      } else if (known.type !== m.type || known.contains !== m.contains) {
        throw new SummaryError(
          'mismatch',
          `${name} is a ${known.type} (${known.contains}) in one slice and a ${m.type} (${m.contains}) in another`,
        );
      }
    }
  }
  const entries = [...defs.values()].map(
    (def) =>
      [
        def,
        mergeSamples(
          def,
          list.map((s, i) =>
            shift(Object.hasOwn(s.metrics, def.name) ? s.metrics[def.name].samples : [], i),
          ),
        ),
      ] as const,
  );
  const { metrics, ok } = summarizeMetrics(
    entries,
    durationMs,
    thresholds ?? slicesThresholds(list),
  );

  const checks = new Map<string, { passes: number; fails: number }>();
  for (const s of list) {
    for (const c of s.checks) {
      const sum = checks.get(c.name) ?? { passes: 0, fails: 0 };
      checks.set(c.name, { passes: sum.passes + c.passes, fails: sum.fails + c.fails });
    }
  }
  const sweep = list.some((s) => s.sweep !== undefined)
    ? mergeSweep(list, offsets, defs)
    : undefined;
  const machines = [...new Set(list.map((s) => s.machine))];

  return {
    version: 1,
    scenario,
    options: list[0].options,
    segments: segments.map((s) => ({ index: s.index, count: s.count })),
    startedAt: new Date(t0).toISOString(),
    durationMs,
    machine:
      machines.length === 1 ? machines[0] : `${machines.length} machines: ${machines.join(' | ')}`,
    metrics,
    checks: [...checks].map(([name, c]) => ({ name, ...c })),
    timeline:
      list.length === 1
        ? [...list[0].timeline]
        : mergeTimelines(
            list.map((s) => s.timeline),
            offsets,
          ),
    ...(sweep !== undefined && { sweep }),
    thresholdsOk: ok,
    ...(warnings.size > 0 && { warnings: [...warnings] }),
  };
}

/** The runner's definition of `name`, or one made from what the summary says. */
function defOf(name: string, type: MetricType, contains: MetricDef['contains']): MetricDef {
  const known = METRICS.find((d) => d.name === name);
  return known !== undefined && known.type === type && known.contains === contains
    ? known
    : { name, type, contains, description: '' };
}

/** Every threshold expression the slices evaluated, per metric. */
function slicesThresholds(list: readonly Summary[]): Thresholds {
  const out: Record<string, string[]> = {};
  for (const s of list) {
    for (const [name, m] of Object.entries(s.metrics)) {
      for (const expr of Object.keys(m.thresholds ?? {})) {
        out[name] ??= [];
        if (!out[name].includes(expr)) out[name].push(expr);
      }
    }
  }
  return out;
}

/** One metric's samples from every slice (already shifted), as one run's. */
function mergeSamples(def: MetricDef, perSlice: readonly Sample[][]): Sample[] {
  if (def.type === 'gauge' && def.acrossSlices === 'sum' && perSlice.length > 1) {
    return sumAligned(perSlice);
  }
  return perSlice.flat().sort((a, b) => a[0] - b[0]);
}

/** Sums per-slice gauges on MERGE_BUCKET_MS buckets, each slice carrying its latest value forward. */
function sumAligned(perSlice: readonly Sample[][]): Sample[] {
  const byBucket = perSlice.map((samples) => lastPerBucket(samples, (s) => s[0]));
  const buckets = [...new Set(byBucket.flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
  const latest = perSlice.map(() => 0);
  return buckets.map((b) => {
    byBucket.forEach((m, i) => {
      const s = m.get(b);
      if (s !== undefined) latest[i] = s[1];
    });
    return [b * MERGE_BUCKET_MS, latest.reduce((x, y) => x + y, 0)];
  });
}

/** bucket → the item with the latest time in it (the later one on a tie). */
function lastPerBucket<T>(items: readonly T[], time: (x: T) => number): Map<number, T> {
  const m = new Map<number, T>();
  for (const x of items) {
    const b = Math.floor(time(x) / MERGE_BUCKET_MS);
    const prev = m.get(b);
    if (prev === undefined || time(x) >= time(prev)) m.set(b, x);
  }
  return m;
}

function mergeTimelines(
  timelines: readonly (readonly TimelinePoint[])[],
  offsets: readonly number[],
): TimelinePoint[] {
  const byBucket = timelines.map((points, i) =>
    lastPerBucket(
      points.map((p) => ({ ...p, t: p.t + offsets[i] })),
      (p) => p.t,
    ),
  );
  const buckets = [...new Set(byBucket.flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
  const latest: (TimelinePoint | undefined)[] = timelines.map(() => undefined);
  return buckets.map((b) => {
    byBucket.forEach((m, i) => {
      const p = m.get(b);
      if (p !== undefined) latest[i] = p;
    });
    const now = latest.filter((p): p is TimelinePoint => p !== undefined);
    const sum = (f: (p: TimelinePoint) => number) => now.reduce((x, p) => x + f(p), 0);
    const max = (f: (p: TimelinePoint) => number | undefined) => {
      const xs = now.map(f).filter((x): x is number => x !== undefined);
      return xs.length > 0 ? Math.max(...xs) : undefined;
    };
    const serverCpu = max((p) => p.serverCpu);
    const serverRss = max((p) => p.serverRss);
    return {
      t: b * MERGE_BUCKET_MS,
      participants: sum((p) => p.participants),
      ...(serverCpu !== undefined && { serverCpu }),
      ...(serverRss !== undefined && { serverRss }),
      runnerCpu: sum((p) => p.runnerCpu),
      runnerRss: sum((p) => p.runnerRss),
    };
  });
}

/**
 * Sweep points merged per size: recomputed from samples when every slice kept
 * them (and its duration), else combined from the values — counts, passes and
 * fails summed, rates recomputed, min and max exact, avg weighted by count,
 * medians and percentiles the slices' maximum (an upper bound), gauges summed
 * or their extremes (acrossSlices).
 */
function mergeSweep(
  list: readonly Summary[],
  offsets: readonly number[],
  defs: ReadonlyMap<string, MetricDef>,
): SweepPoint[] {
  const sizes = [...new Set(list.flatMap((s) => (s.sweep ?? []).map((p) => p.participants)))].sort(
    (a, b) => a - b,
  );
  return sizes.map((participants) => {
    const points: [SweepPoint, number][] = [];
    list.forEach((s, i) => {
      for (const p of s.sweep ?? [])
        if (p.participants === participants) points.push([p, offsets[i]]);
    });
    const names = [...new Set(points.flatMap(([p]) => Object.keys(p.metrics)))];
    const defFor = (n: string) => defs.get(n) ?? METRICS.find((d) => d.name === n);
    const exact =
      points.every(([p]) => p.samples !== undefined && p.durationMs !== undefined) &&
      names.every(
        (n) => defFor(n) !== undefined && points.every(([p]) => Object.hasOwn(p.samples!, n)),
      );
    const metrics: Record<string, Record<string, number>> = {};
    if (exact) {
      const durationMs = Math.max(...points.map(([p]) => p.durationMs!));
      const samples: Record<string, Sample[]> = {};
      for (const n of names) {
        const def = defFor(n)!;
        samples[n] = mergeSamples(
          def,
          points.map(([p, off]) => p.samples![n].map(([t, v]): Sample => [t + off, v])),
        );
        metrics[n] = aggregate(def, samples[n], durationMs);
      }
      return { participants, metrics, samples, durationMs };
    }
    for (const n of names) {
      const valuesList = points.flatMap(([p]) =>
        Object.hasOwn(p.metrics, n) ? [p.metrics[n]] : [],
      );
      metrics[n] = combineValues(defFor(n), valuesList);
    }
    return { participants, metrics };
  });
}

function combineValues(
  def: MetricDef | undefined,
  list: readonly Readonly<Record<string, number>>[],
): Record<string, number> {
  const keys = [...new Set(list.flatMap((v) => Object.keys(v)))];
  const sum = (k: string) => list.reduce((x, v) => x + (v[k] ?? 0), 0);
  const measured = def?.type === 'trend' ? list.filter((v) => (v.count ?? 0) > 0) : list;
  const max = (k: string) =>
    measured.length > 0 ? Math.max(...measured.map((v) => v[k] ?? 0)) : 0;
  const min = (k: string) =>
    measured.length > 0 ? Math.min(...measured.map((v) => v[k] ?? 0)) : 0;
  const out: Record<string, number> = {};
  const summed = def?.type === 'gauge' && def.acrossSlices === 'sum';
  for (const k of keys) {
    if (
      k === 'count' ||
      k === 'passes' ||
      k === 'fails' ||
      (def?.type === 'counter' && k === 'rate')
    ) {
      out[k] = sum(k);
    } else if (summed) {
      out[k] = sum(k);
    } else if (k === 'min') {
      out[k] = min(k);
    } else if (k === 'avg') {
      const n = sum('count');
      out[k] = n > 0 ? list.reduce((x, v) => x + (v.avg ?? 0) * (v.count ?? 0), 0) / n : 0;
    } else if (k === 'rate' && def?.type === 'rate') {
      const n = sum('passes') + sum('fails');
      out[k] = n > 0 ? sum('passes') / n : 0;
    } else {
      out[k] = max(k);
    }
  }
  return out;
}

/**
 * Reads, validates and merges the `summary.json` of every slice. A file that
 * cannot be read, is not JSON or not a version 1 summary is a SummaryError
 * naming it.
 */
export async function mergeFiles(
  paths: readonly string[],
  thresholds?: Thresholds,
): Promise<Summary> {
  if (paths.length === 0)
    throw new SummaryError('invalid-input', 'merge needs at least one summary.json');
  const list: Summary[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      throw new SummaryError('unreadable', `${path}: cannot read it (${why})`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new SummaryError('invalid-summary', `${path}: not JSON (${(e as Error).message})`);
    }
    try {
      list.push(validateSummary(json));
    } catch (e) {
      if (e instanceof SummaryError) throw new SummaryError(e.code, `${path}: ${e.message}`);
      throw e;
    }
  }
  return mergeSummaries(list, thresholds);
}
