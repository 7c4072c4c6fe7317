/**
 * The end-of-test summary in the terminal, in k6's style: a header, then the
 * thresholds (✓ held, ✗ failed, with the value they tested), the checks with
 * their pass rate, and every metric on one dotted line with its values —
 * times as µs/ms/s, data as kB/MB, counters with their rate per second
 * ("no samples" for a trend, rate or gauge that recorded none).
 */
import { describeExecutor, validateExecutor } from './executors.js';
import { formatBytes, formatDuration, formatNumber, formatPercent } from './format.js';
import { parseThreshold } from './thresholds.js';
import type { MetricContains, Summary, SummaryMetric } from './types.js';

export interface RenderOptions {
  /** ANSI colours (green ✓, red ✗, dim dots); off by default. */
  readonly color?: boolean;
}

const ANSI = {
  green: '\x1b[32m',
  red: '\x1b[31m',
  dim: '\x1b[2m',
  bold: '\x1b[1m',
  reset: '\x1b[0m',
};

export function renderSummary(s: Summary, { color = false }: RenderOptions = {}): string {
  const paint = (code: keyof typeof ANSI, text: string) =>
    color ? `${ANSI[code]}${text}${ANSI.reset}` : text;
  const mark = (ok: boolean) => (ok ? paint('green', '✓') : paint('red', '✗'));
  const section = (title: string) => ['', `  ${paint('bold', `█ ${title}`)}`, ''];
  const lines: string[] = [];

  const slices = s.segments.map((g) => `${g.index}/${g.count}`).join(', ');
  lines.push(`  scenario: ${s.scenario} (slice${s.segments.length > 1 ? 's' : ''} ${slices})`);
  const executor = s.options.executor;
  if (executor !== undefined) {
    try {
      const seg = s.segments.length === 1 ? s.segments[0] : undefined;
      lines.push(`  executor: ${describeExecutor(validateExecutor(executor), seg)}`);
    } catch {
      // an executor the summary cannot describe: its options line still shows the rest
    }
  }
  const opts = Object.entries(s.options)
    .filter(([k, v]) => k !== 'executor' && ['string', 'number', 'boolean'].includes(typeof v))
    .map(([k, v]) => `${k}=${String(v)}`);
  if (opts.length > 0) lines.push(`  options: ${opts.join(' ')}`);
  lines.push(`  started: ${s.startedAt}, ran ${formatDuration(s.durationMs)}`);
  lines.push(`  machine: ${s.machine}`);
  for (const w of s.warnings ?? []) lines.push(`  ${paint('red', '⚠')} ${w}`);

  const withThresholds = Object.entries(s.metrics).filter(([, m]) => m.thresholds !== undefined);
  if (withThresholds.length > 0) {
    lines.push(...section('THRESHOLDS'));
    for (const [name, m] of withThresholds) {
      lines.push(`    ${name}`);
      for (const [expr, { ok }] of Object.entries(m.thresholds!)) {
        const agg = aggregationOf(expr);
        const shown =
          agg !== undefined && Object.hasOwn(m.values, agg)
            ? ` ${agg}=${formatValue(m, agg, m.values[agg])}`
            : '';
        lines.push(`    ${mark(ok)} '${expr}'${shown}`);
      }
    }
  }

  const names = Object.keys(s.metrics);
  const width = Math.max(32, ...names.map((n) => n.length + 3));

  if (s.checks.length > 0) {
    lines.push(...section('CHECKS'));
    const total = s.checks.reduce((n, c) => n + c.passes + c.fails, 0);
    const passes = s.checks.reduce((n, c) => n + c.passes, 0);
    lines.push(
      `    ${pad('checks_succeeded', width, paint)}: ${formatPercent(total > 0 ? passes / total : 0)} ` +
        `${passes} out of ${total}`,
    );
    for (const c of s.checks) {
      const n = c.passes + c.fails;
      lines.push(
        `    ${mark(c.fails === 0)} ${c.name}: ${formatPercent(n > 0 ? c.passes / n : 0)} ` +
          `— ✓ ${c.passes} / ✗ ${c.fails}`,
      );
    }
  }

  lines.push(...section('METRICS'));
  for (const name of names) {
    lines.push(`    ${pad(name, width, paint)}: ${metricLine(s.metrics[name])}`);
  }

  if (s.sweep !== undefined && s.sweep.length > 0) {
    lines.push(...section('SWEEP'));
    for (const p of s.sweep) {
      lines.push(`    ${p.participants} participants`);
      for (const [name, values] of Object.entries(p.metrics)) {
        const metric = Object.hasOwn(s.metrics, name) ? s.metrics[name] : undefined;
        const contains = metric?.contains ?? 'default';
        const shown = Object.entries(values)
          .map(([k, v]) => `${k}=${formatFor(contains, k, v)}`)
          .join(' ');
        lines.push(`      ${pad(name, width - 2, paint)}: ${shown}`);
      }
    }
  }
  lines.push('');
  return lines.join('\n');
}

/** `name.....` to `width` characters (the dots dim when coloured). */
function pad(name: string, width: number, paint: (c: 'dim', t: string) => string): string {
  return name + paint('dim', '.'.repeat(Math.max(2, width - name.length)));
}

/** The values of one metric after its dotted name, as k6 prints each kind. */
function metricLine(m: SummaryMetric): string {
  const v = m.values;
  if (m.samples.length === 0 && m.type !== 'counter') return 'no samples';
  switch (m.type) {
    case 'trend':
      return Object.entries(v)
        .map(([k, x]) => `${k}=${formatValue(m, k, x)}`)
        .join(' ');
    case 'counter':
      return m.contains === 'data'
        ? `${formatBytes(v.count)} ${formatBytes(v.rate)}/s`
        : `${formatNumber(v.count)} ${formatNumber(v.rate)}/s`;
    case 'rate':
      return `${formatPercent(v.rate)} ${v.passes} out of ${v.passes + v.fails}`;
    case 'gauge':
      return `${formatValue(m, 'value', v.value)} min=${formatValue(m, 'min', v.min)} max=${formatValue(m, 'max', v.max)}`;
  }
}

function formatValue(m: SummaryMetric, key: string, x: number): string {
  if (m.type === 'rate' && key === 'rate') return formatPercent(x);
  if (m.type === 'counter' && key === 'rate') return `${formatNumber(x)}/s`;
  return formatFor(m.contains, key, x);
}

function formatFor(contains: MetricContains, key: string, x: number): string {
  if (key === 'count' || key === 'passes' || key === 'fails') return formatNumber(x);
  if (contains === 'time') return formatDuration(x);
  if (contains === 'data') return formatBytes(x);
  return formatNumber(x);
}

/** The aggregation a threshold expression tests (as SummaryMetric.values names it). */
function aggregationOf(expr: string): string | undefined {
  try {
    return parseThreshold(expr).aggregation;
  } catch {
    return undefined;
  }
}
