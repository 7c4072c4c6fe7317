// report.html: a synthetic summary (a join storm with a sweep, built by hand)
// renders to one self-contained page with Chart.js and the data inlined and a
// canvas per plot; strings from the summary are escaped (a summary is input);
// and in headless Chromium, opened from a file, every chart draws with no
// console error (a screenshot is kept for a person to look at).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from '../../../client/test/e2e/browsers.js';
import { chromium as chromiumTool, withTools } from '../../../shared/test/support/tools.js';
import { formatDuration } from '../../src/load/format.js';
import { MAX_POINTS_PER_SERIES, renderReport, scriptJson, thin } from '../../src/load/report.js';
import { validateSummary } from '../../src/load/summary.js';
import {
  METRICS,
  type Sample,
  type Summary,
  type SummaryMetric,
  type SweepPoint,
} from '../../src/load/types.js';

const CHARTS = [
  'chart-latency',
  'chart-fanout',
  'chart-cpu',
  'chart-memory',
  'chart-sweep-rekey',
  'chart-sweep-join',
];

/** A deterministic pseudo-random sequence (the same summary every run). */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

function trend(samples: Sample[], contains: SummaryMetric['contains'] = 'time'): SummaryMetric {
  const v = samples.map((s) => s[1]).sort((a, b) => a - b);
  const avg = v.reduce((a, b) => a + b, 0) / (v.length || 1);
  return {
    type: 'trend',
    contains,
    values: {
      avg,
      min: v[0] ?? 0,
      med: quantile(v, 0.5),
      max: v[v.length - 1] ?? 0,
      'p(90)': quantile(v, 0.9),
      'p(95)': quantile(v, 0.95),
      'p(99)': quantile(v, 0.99),
      count: v.length,
    },
    samples,
  };
}

/** A 90 s join storm to 500 participants with departures, as the runner would write it, plus a sweep. */
function syntheticSummary(over: Partial<Summary> = {}): Summary {
  const r = rng(7);
  const duration = 90_000;
  const participantsAt = (t: number) => Math.min(500, Math.floor(t / 100));
  const join: Sample[] = [];
  for (let i = 0; i < 500; i++) join.push([i * 100 + r() * 50, 180 + r() * 400 + i * 0.8]);
  const rekey: Sample[] = [];
  const rekeySwitch: Sample[] = [];
  for (let t = 55_000; t < 88_000; t += 2_500) {
    const v = 300 + r() * 500;
    rekey.push([t + v, v]);
    rekeySwitch.push([t + v + 40, v + 40 + r() * 60]);
  }
  // More fan-out samples than the page keeps: the report thins them.
  const fanout: Sample[] = [];
  for (let i = 0; i < 12_000; i++) {
    const t = 1_000 + (i / 12_000) * 88_000;
    fanout.push([t, 2 + r() * 20 + participantsAt(t) * 0.04 + (r() < 0.01 ? 150 : 0)]);
  }
  const timeline = Array.from({ length: 91 }, (_, s) => ({
    t: s * 1000,
    participants: participantsAt(s * 1000),
    serverCpu: 20 + r() * 60 + (s > 5 && s < 55 ? 60 : 0),
    serverRss: (140 + s * 1.2) * 1024 * 1024,
    runnerCpu: 40 + r() * 80,
    runnerRss: (220 + participantsAt(s * 1000) * 0.6) * 1024 * 1024,
  }));
  const metrics: Record<string, SummaryMetric> = {};
  for (const d of METRICS) {
    metrics[d.name] =
      d.type === 'trend'
        ? trend([], d.contains)
        : d.type === 'counter'
          ? { type: 'counter', contains: d.contains, values: { count: 0, rate: 0 }, samples: [] }
          : d.type === 'rate'
            ? {
                type: 'rate',
                contains: d.contains,
                values: { rate: 0, passes: 0, fails: 0 },
                samples: [],
              }
            : {
                type: 'gauge',
                contains: d.contains,
                values: { value: 0, min: 0, max: 0 },
                samples: [],
              };
  }
  metrics.canopy_join_admitted = {
    ...trend(join),
    thresholds: { 'p(95)<1000': { ok: true }, 'p(99)<500': { ok: false } },
  };
  metrics.canopy_rekey = { ...trend(rekey), thresholds: { 'p(95)<1000': { ok: true } } };
  metrics.canopy_rekey_switch = trend(rekeySwitch);
  metrics.canopy_commit_fanout = trend(fanout);
  metrics.canopy_join_failed = {
    type: 'rate',
    contains: 'default',
    values: { rate: 0.004, passes: 2, fails: 498 },
    thresholds: { 'rate<0.01': { ok: true } },
    samples: [],
  };
  metrics.canopy_commits = {
    type: 'counter',
    contains: 'default',
    values: { count: 61, rate: 61 / 90 },
    samples: [],
  };
  metrics.canopy_data_received = {
    type: 'counter',
    contains: 'data',
    values: { count: 734_003_200, rate: 8_155_591 },
    samples: [],
  };
  metrics.canopy_server_rss = {
    type: 'gauge',
    contains: 'data',
    values: { value: 248e6, min: 140e6, max: 250e6 },
    samples: [],
  };
  const sweep: SweepPoint[] = [100, 250, 500, 1000, 2000].map((n) => ({
    participants: n,
    metrics: {
      canopy_rekey: { med: 90 + n * 0.35, 'p(95)': 140 + n * 0.5, 'p(99)': 180 + n * 0.62 },
      canopy_join_admitted: { med: 150 + n * 0.2, 'p(95)': 260 + n * 0.45, 'p(99)': 320 + n * 0.7 },
    },
  }));
  return {
    version: 1,
    scenario: 'join-storm',
    options: { participants: 500, rate: '10/s', server: 'embedded', probes: 2 },
    segments: [{ index: 1, count: 1 }],
    startedAt: '2026-12-01T17:00:00.000Z',
    durationMs: duration,
    machine: 'Intel Xeon (2 cores), 24 GiB, Node v24.19.0, linux x64',
    metrics,
    checks: [
      { name: 'every participant admitted', passes: 498, fails: 2 },
      { name: 'security codes agree', passes: 500, fails: 0 },
    ],
    timeline,
    sweep,
    thresholdsOk: false,
    ...over,
  };
}

/** canopy_join_admitted's p(95) as the terminal summary prints it. */
function fmtP95(): string {
  return formatDuration(syntheticSummary().metrics.canopy_join_admitted!.values['p(95)']!);
}

const HOSTILE = '</script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';

/**
 * Hostile strings everywhere a summary holds one. summary.json's schema already
 * refuses some (a metric name, a start time that is not ISO 8601); the report
 * escapes them all the same, since it may be handed a summary directly.
 */
function hostileSummary(): Summary {
  const s = syntheticSummary();
  return {
    ...s,
    scenario: `smoke ${HOSTILE}`,
    options: { [`key ${HOSTILE}`]: `value ${HOSTILE}`, nested: { deep: HOSTILE } },
    machine: `box ${HOSTILE}`,
    startedAt: `2026 ${HOSTILE}`,
    segments: [{ index: 1, count: 1 }],
    checks: [{ name: `check ${HOSTILE}`, passes: 1, fails: 1 }],
    metrics: {
      ...s.metrics,
      [`custom ${HOSTILE}`]: {
        type: 'gauge',
        contains: 'default',
        values: { value: 1 },
        thresholds: { [`value<2 ${HOSTILE}`]: { ok: true } },
        samples: [],
      },
    },
  };
}

/** The JSON the page plots. */
function inlinedData(html: string): Record<string, unknown> {
  const m = /<script id="canopy-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]!);
}

describe('load report (report.html)', () => {
  test('the synthetic summary is a valid summary.json (as the runner and merge write it)', () => {
    expect(() => validateSummary(JSON.parse(JSON.stringify(syntheticSummary())))).not.toThrow();
  });

  test('inlines Chart.js (no network), the plotted data and a canvas for each plot', () => {
    const html = renderReport(syntheticSummary());
    // Chart.js's minified UMD build itself, and no external script, stylesheet or request.
    expect(html).toMatch(/\* Chart\.js v4\.\d+\.\d+/);
    expect(html).toContain('Released under the MIT License');
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
    // Nothing outside Chart.js's own source even names a web address.
    const ours = html.replace(/<script>\/\*!\s*\* Chart\.js[\s\S]*?<\/script>/, '');
    expect(ours.length).toBeLessThan(html.length - 100_000);
    expect(ours.match(/https?:/g)).toBeNull();
    expect(html).toContain("default-src 'none'");
    for (const id of CHARTS) expect(html).toContain(`<canvas id="${id}"`);

    const data = inlinedData(html) as {
      latency: { label: string; points: [number, number][]; total: number }[];
      fanout: { label: string; points: [number, number][]; total: number }[];
      participants: { points: [number, number][] };
      cpu: { label: string; points: [number, number][] }[];
      memory: { label: string; points: [number, number][] }[];
      sweep: { rekey: { label: string; points: [number, number][] }[] };
    };
    expect(data.latency.map((s) => s.label)).toEqual([
      'canopy_join_admitted',
      'canopy_rekey',
      'canopy_rekey_switch',
    ]);
    expect(data.latency[0]!.points).toHaveLength(500);
    // seconds on the x axis, milliseconds on y
    const firstJoin = syntheticSummary().metrics.canopy_join_admitted!.samples[0]!;
    expect(data.latency[0]!.points[0]![0]).toBeCloseTo(firstJoin[0] / 1000, 3);
    expect(data.latency[0]!.points[0]![1]).toBeCloseTo(firstJoin[1], 2);
    // 12,000 fan-out samples thinned to the page's bound
    expect(data.fanout[0]!.total).toBe(12_000);
    expect(data.fanout[0]!.points.length).toBeLessThanOrEqual(MAX_POINTS_PER_SERIES);
    expect(data.participants.points).toHaveLength(91);
    expect(data.participants.points.at(-1)).toEqual([90, 500]);
    expect(data.cpu.map((s) => s.label)).toEqual(['server CPU', 'runner CPU']);
    expect(data.memory[0]!.points[0]![1]).toBeCloseTo((140 * 1024 * 1024) / 1e6, 1); // MB
    expect(data.sweep.rekey.map((s) => s.label)).toEqual(['p50', 'p95', 'p99']);
    expect(data.sweep.rekey[1]!.points).toEqual([
      [100, 190],
      [250, 265],
      [500, 390],
      [1000, 640],
      [2000, 1140],
    ]);

    // The header, thresholds, checks and the metrics table, in k6's value names.
    expect(html).toContain('<h1>join-storm</h1>');
    expect(html).toContain('Thresholds failed (exit code 99)');
    expect(html).toMatch(
      /<tr class="fail">.*<code>canopy_join_admitted<\/code>.*<code>p\(99\)&lt;500<\/code>/,
    );
    expect(html).toMatch(
      /<tr class="ok">.*<code>canopy_join_failed<\/code>.*<code>rate&lt;0\.01<\/code>.*0\.40%/,
    );
    expect(html).toContain('every participant admitted');
    expect(html).toContain('99.8% passed (998 of 1000)');
    for (const k of ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'])
      expect(html).toContain(`<th class="num">${k}</th>`);
    for (const d of METRICS) expect(html).toContain(`<code>${d.name}</code>`);
    // Figures in the terminal summary's units (k6's).
    expect(html).toContain('734 MB'); // 734,003,200 bytes received
    expect(html).toContain(`<td class="num">${fmtP95()}</td>`);
    // A trend without samples shows no figures (not 0 ms).
    expect(html).toMatch(
      /<tr class="none"><td><code>canopy_probe_first_frame<\/code>.*?(<td class="num">–<\/td>){7}<td class="num">0<\/td><\/tr>/,
    );
  });

  test('merged slices and a remote server without process figures are said so', () => {
    const s = syntheticSummary({
      segments: [
        { index: 1, count: 3 },
        { index: 2, count: 3 },
        { index: 3, count: 3 },
      ],
      timeline: syntheticSummary().timeline.map(({ serverCpu: _, serverRss: __, ...p }) => p),
      thresholdsOk: true,
      warnings: ['slice 2/3 started 12 s after slice 1/3', HOSTILE],
    });
    const html = renderReport(s);
    expect(html).toContain('Merged with warnings');
    expect(html).toContain('<li>slice 2/3 started 12 s after slice 1/3</li>');
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain('3 slices: 1/3, 2/3, 3/3');
    expect(html).toContain('without process figures: only the runner is plotted');
    expect(html).toContain('All thresholds held');
    const data = inlinedData(html) as { cpu: { label: string; points: unknown[] }[] };
    expect(data.cpu.map((c) => [c.label, c.points.length])).toEqual([
      ['server CPU', 0],
      ['runner CPU', 91],
    ]);
  });

  test('without a sweep there are no sweep plots; a run without samples says so', () => {
    const s = syntheticSummary({ sweep: undefined, timeline: [] });
    const empty: Summary = {
      ...s,
      metrics: Object.fromEntries(
        Object.entries(s.metrics).map(([k, m]) => [k, { ...m, samples: [] }]),
      ),
    };
    const html = renderReport(empty);
    expect(html).not.toContain('<canvas id="chart-sweep');
    expect(html).toContain('<canvas id="chart-latency"');
    expect(html.match(/No samples in this run/g)).toHaveLength(4);
    expect(html).not.toMatch(/All thresholds held/);
  });

  test("every string from the summary is escaped; `</script>` cannot leave the data's <script>", () => {
    const html = renderReport(hostileSummary());
    expect(html).not.toContain(HOSTILE);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('window.__pwned=1</script>');
    // Each string appears escaped where it is shown.
    const escaped =
      '&lt;/script&gt;&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;';
    for (const where of [
      'smoke ',
      'key ',
      'value ',
      'box ',
      '2026 ',
      'check ',
      'custom ',
      'value&lt;2 ',
    ])
      expect(html).toContain(where + escaped);
    // Exactly the report's own three scripts: data, Chart.js, the page's.
    expect(html.match(/<script/gi)).toHaveLength(3);
    expect(html.match(/<\/script/gi)).toHaveLength(3);

    // scriptJson: the data element's text cannot end the element or open a comment.
    const text = scriptJson({ s: `</script><!-- ${HOSTILE} \u2028 & >`, n: Number.NaN });
    expect(text).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(text)).toEqual({ s: `</script><!-- ${HOSTILE} \u2028 & >`, n: null });
  });

  test('thinning keeps every sample up to the bound, then an even sample and each bucket’s lowest and highest', () => {
    const few: Sample[] = [
      [3, 1],
      [1, 2],
      [2, Number.NaN],
    ];
    expect(thin(few)).toEqual([
      [1, 2],
      [3, 1],
    ]);
    const many: Sample[] = Array.from({ length: 1000 }, (_, i) => [i, i % 7 === 0 ? 999 : i % 5]);
    many.push([500.5, 12_345]); // an outlier survives
    const out = thin(many, 100);
    expect(out.length).toBeLessThanOrEqual(100);
    expect(out).toContainEqual([500.5, 12_345]);
    // the bulk is there too, not only the extremes
    expect(out.filter((p) => p[1] < 5).length).toBeGreaterThan(30);
    expect(out.map((p) => p[0])).toEqual([...out.map((p) => p[0])].sort((a, b) => a - b));
  });
});

const TITLE = 'load report in Chromium';
if (withTools(TITLE, [chromiumTool()])) {
  describe(TITLE, () => {
    let browser: TestBrowser;
    const dir = mkdtempSync(join(tmpdir(), 'canopy-load-report-'));

    beforeAll(async () => {
      browser = await launchBrowser('chromium', { executablePath: chromiumTool().path! });
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });

    async function open(s: Summary, name: string) {
      const file = join(dir, `${name}.html`);
      writeFileSync(file, renderReport(s));
      const page = await browser.newPage();
      await page.goto(pathToFileURL(file).href);
      return { page, file };
    }

    /** Each chart: its canvas, whether Chart.js holds it, and how many of its pixels are painted. */
    const chartsDrawn = (ids: string[]) =>
      (window as unknown as { Chart: { instances: Record<string, { canvas: HTMLCanvasElement }> } })
        .Chart
        ? ids.map((id) => {
            const canvas = document.getElementById(id) as HTMLCanvasElement | null;
            // biome-ignore lint/suspicious/noExplicitAny: Chart.js's global in the page
            const Chart = (window as any).Chart;
            const chart = canvas ? Chart.getChart(canvas) : undefined;
            let painted = 0;
            if (canvas && canvas.width > 0) {
              const d = canvas
                .getContext('2d')!
                .getImageData(0, 0, canvas.width, canvas.height).data;
              for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) painted++;
            }
            return {
              id,
              chart: !!chart,
              datasets: chart ? chart.data.datasets.length : 0,
              points: chart
                ? chart.data.datasets.reduce(
                    (n: number, ds: { data: unknown[] }) => n + ds.data.length,
                    0,
                  )
                : 0,
              width: canvas?.width ?? 0,
              painted,
            };
          })
        : [];

    test('opened from a file, every chart draws its data and the page logs no error', async () => {
      const { page, file } = await open(syntheticSummary(), 'report');
      const charts = await page.evaluate(chartsDrawn, CHARTS);
      expect(charts.map((c) => c.id)).toEqual(CHARTS);
      for (const c of charts) {
        expect(c.chart, c.id).toBe(true);
        expect(c.width, c.id).toBeGreaterThan(200);
        expect(c.points, c.id).toBeGreaterThan(0);
        // Axes, grid, labels and data: a good share of the canvas is painted.
        expect(c.painted, c.id).toBeGreaterThan(5_000);
      }
      const instances = await page.evaluate(
        // biome-ignore lint/suspicious/noExplicitAny: Chart.js's global in the page
        () => Object.keys((window as any).Chart.instances).length,
      );
      expect(instances).toBe(CHARTS.length);
      expect(page.console.filter((e) => e.type === 'error' || e.type === 'pageerror')).toEqual([]);
      // Screenshots for a person: the header, then the plots.
      const top = join(dir, 'report-top.png');
      await page.screenshot(top);
      await page.evaluate(() => document.querySelector('.charts')!.scrollIntoView());
      const plots = join(dir, 'report-plots.png');
      await page.screenshot(plots);
      await page.evaluate(() => document.getElementById('chart-cpu')!.scrollIntoView());
      const more = join(dir, 'report-plots-2.png');
      await page.screenshot(more);
      await page.evaluate(() => document.querySelector('table.metrics')!.scrollIntoView());
      const table = join(dir, 'report-metrics.png');
      await page.screenshot(table);
      console.log(`[report] ${file}; screenshots ${top}, ${plots}, ${more}, ${table}`);
      console.log(`[report] charts: ${charts.map((c) => `${c.id} ${c.points} points`).join(', ')}`);
      await page.close();
    }, 60_000);

    test('a hostile summary runs none of its strings, and the charts still draw', async () => {
      const { page } = await open(hostileSummary(), 'hostile');
      const pwned = await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned);
      expect(pwned).toBeUndefined();
      expect(await page.evaluate(() => document.querySelectorAll('img').length)).toBe(0);
      const title = await page.evaluate(() => document.querySelector('h1')!.textContent);
      expect(title).toBe(`smoke ${HOSTILE}`);
      const charts = await page.evaluate(chartsDrawn, CHARTS);
      for (const c of charts) expect(c.chart, c.id).toBe(true);
      expect(page.console.filter((e) => e.type === 'error' || e.type === 'pageerror')).toEqual([]);
      await page.close();
    }, 60_000);
  });
}
