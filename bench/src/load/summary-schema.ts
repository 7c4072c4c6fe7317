/**
 * Reading `summary.json` back: anything that is not a version 1 summary — a
 * garbled, truncated or hostile file — is a SummaryError, never a crash, and
 * nothing downstream (merge, render, report) sees unchecked data.
 */
import { z } from 'zod';
import type { Segment } from './executors.js';
import { VALUE_NAMES } from './metrics.js';
import { SummaryError } from './summary-error.js';
import { parseThreshold, supports } from './thresholds.js';
import type { Summary } from './types.js';

const METRIC_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const VALUE_NAME = /^(avg|min|med|max|count|rate|passes|fails|value|p\(\d+(\.\d+)?\))$/;

const zSample = z.tuple([z.number(), z.number()]);
const zMetricName = z.string().max(200).regex(METRIC_NAME, 'not a metric name');
const zValues = z.record(z.string().regex(VALUE_NAME, 'not a value name'), z.number());
const zType = z.enum(['trend', 'counter', 'rate', 'gauge']);
const zSegment = z
  .object({ index: z.number().int().min(1), count: z.number().int().min(1).max(1_000_000) })
  .refine((s) => s.index <= s.count, 'a slice index beyond its count');

const zMetric = z
  .object({
    type: zType,
    contains: z.enum(['time', 'data', 'default']),
    values: zValues,
    thresholds: z.record(z.string().max(200), z.object({ ok: z.boolean() })).optional(),
    samples: z.array(zSample),
  })
  .superRefine((m, ctx) => {
    for (const name of VALUE_NAMES[m.type]) {
      if (!Object.hasOwn(m.values, name)) {
        ctx.addIssue({ code: 'custom', path: ['values'], message: `a ${m.type} needs ${name}` });
      }
    }
    for (const expr of Object.keys(m.thresholds ?? {})) {
      try {
        const t = parseThreshold(expr);
        if (!supports(m.type, t.aggregation))
          throw new Error(`a ${m.type} has no ${t.aggregation}`);
      } catch (e) {
        ctx.addIssue({ code: 'custom', path: ['thresholds', expr], message: (e as Error).message });
      }
    }
  });

const zTimelinePoint = z.object({
  t: z.number(),
  participants: z.number().min(0),
  serverCpu: z.number().optional(),
  serverRss: z.number().optional(),
  runnerCpu: z.number(),
  runnerRss: z.number(),
});

const zSweepPoint = z.object({
  participants: z.number().int().min(0),
  metrics: z.record(zMetricName, zValues),
  samples: z.record(zMetricName, z.array(zSample)).optional(),
  durationMs: z.number().min(0).optional(),
});

const zSummary = z
  .object({
    version: z.literal(1),
    scenario: z.string().min(1).max(200),
    options: z.record(z.string(), z.unknown()),
    segments: z.array(zSegment).min(1),
    startedAt: z.iso.datetime({ offset: true }),
    durationMs: z.number().min(0),
    machine: z.string().max(2000),
    metrics: z.record(zMetricName, zMetric),
    checks: z.array(
      z.object({
        name: z.string().max(500),
        passes: z.number().int().min(0),
        fails: z.number().int().min(0),
      }),
    ),
    timeline: z.array(zTimelinePoint),
    sweep: z.array(zSweepPoint).optional(),
    thresholdsOk: z.boolean(),
    warnings: z.array(z.string().max(2000)).optional(),
  })
  .superRefine((s, ctx) => {
    const problem = segmentProblem(s.segments);
    if (problem !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['segments'], message: problem.message });
    }
  });

/**
 * A parsed `summary.json` as a Summary, or SummaryError: 'unsupported-version'
 * for another version, 'invalid-summary' naming the first problems for
 * anything else. Unknown fields are dropped.
 */
export function validateSummary(json: unknown): Summary {
  if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
    const version = (json as { version?: unknown }).version;
    if (version !== 1 && version !== undefined) {
      throw new SummaryError(
        'unsupported-version',
        `summary version ${JSON.stringify(version)}; this runner reads version 1`,
      );
    }
  }
  const r = zSummary.safeParse(json);
  if (!r.success) {
    const issues = r.error.issues
      .slice(0, 3)
      .map((i) => `${['summary', ...i.path.map(String)].join('.')}: ${i.message}`);
    const more = r.error.issues.length > 3 ? ` (and ${r.error.issues.length - 3} more)` : '';
    throw new SummaryError(
      'invalid-summary',
      `not a version 1 summary: ${issues.join('; ')}${more}`,
    );
  }
  return r.data as Summary;
}

/** Why a list of slices is inconsistent (different splits, a slice twice), or undefined. */
export function segmentProblem(
  segments: readonly Segment[],
): { code: 'mismatch' | 'overlap'; message: string } | undefined {
  const seen = new Set<number>();
  for (const s of segments) {
    if (s.count !== segments[0].count) {
      const first = `${segments[0].index}/${segments[0].count}`;
      return {
        code: 'mismatch',
        message: `slices of different splits: ${first} and ${s.index}/${s.count}`,
      };
    }
    if (seen.has(s.index)) {
      return { code: 'overlap', message: `slice ${s.index}/${s.count} is given twice` };
    }
    seen.add(s.index);
  }
  return undefined;
}
