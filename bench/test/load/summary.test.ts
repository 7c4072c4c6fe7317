// The JSON summary: building, rendering k6's end-of-test summary, validating
// hostile files, and merging slices back into the whole.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CanopyError } from '@canopy/shared/protocol';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { aggregate, MetricSet } from '../../src/load/metrics.js';
import {
  buildSummary,
  mergeFiles,
  mergeSummaries,
  renderSummary,
  type SummaryInput,
  validateSummary,
} from '../../src/load/summary.js';
import { ThresholdError } from '../../src/load/thresholds.js';
import { METRICS, type Sample, type Summary, type TimelinePoint } from '../../src/load/types.js';

const code = (c: string) => expect.objectContaining({ code: c });
const T0 = new Date('2026-12-01T12:00:00.000Z');
const def = (name: string) => METRICS.find((d) => d.name === name)!;

/** A deterministic run: per-join, per-commit samples over 10 s. */
function wholeSamples() {
  const rekey: Sample[] = [];
  const joins: Sample[] = [];
  const commits: Sample[] = [];
  const failed: Sample[] = [];
  const tree: Sample[] = [];
  for (let k = 0; k < 40; k++) {
    const t = k * 250;
    rekey.push([t, 100 + ((k * 37) % 23) * 40]);
    joins.push([t + 5, 50 + ((k * 11) % 7) * 10]);
    commits.push([t, 1]);
    failed.push([t, k % 10 === 3 ? 1 : 0]);
    tree.push([t, k + 1]);
  }
  return { rekey, joins, commits, failed, tree };
}

function input(over: Partial<SummaryInput> & { fill?: (m: MetricSet) => void } = {}): SummaryInput {
  const metrics = new MetricSet();
  over.fill?.(metrics);
  return {
    scenario: 'churn',
    options: { participants: 40 },
    segment: { index: 1, count: 1 },
    startedAt: T0,
    durationMs: 10_000,
    machine: 'test machine',
    metrics,
    checks: [],
    timeline: [],
    thresholds: {},
    ...over,
  };
}

describe('buildSummary', () => {
  test('every metric with its values and samples, thresholds evaluated', () => {
    const w = wholeSamples();
    const s = buildSummary(
      input({
        fill: (m) => {
          m.addAll('canopy_rekey', w.rekey);
          m.addAll('canopy_commits', w.commits);
          m.addAll('canopy_join_failed', w.failed);
        },
        thresholds: {
          canopy_rekey: ['p(95)<2000', 'p(99.9)<900'],
          canopy_join_failed: ['rate<0.2'],
        },
      }),
    );
    expect(Object.keys(s.metrics)).toEqual(METRICS.map((d) => d.name));
    expect(s.metrics.canopy_rekey.samples).toEqual(w.rekey);
    expect(s.metrics.canopy_rekey.values).toEqual(
      aggregate(def('canopy_rekey'), w.rekey, 10_000, [99.9]),
    );
    expect(s.metrics.canopy_commits.values).toEqual({ count: 40, rate: 4 });
    expect(s.metrics.canopy_join_failed.values).toEqual({ rate: 0.1, passes: 4, fails: 36 });
    expect(s.metrics.canopy_rekey.thresholds).toEqual({
      'p(95)<2000': { ok: true },
      'p(99.9)<900': { ok: false },
    });
    expect(s.metrics.canopy_join_failed.thresholds).toEqual({ 'rate<0.2': { ok: true } });
    expect(s.metrics.canopy_commits.thresholds).toBeUndefined();
    expect(s.thresholdsOk).toBe(false);
    expect(s.segments).toEqual([{ index: 1, count: 1 }]);
    expect(s.startedAt).toBe('2026-12-01T12:00:00.000Z');
    // An empty metric is present with zeros.
    expect(s.metrics.canopy_probe_first_frame.values.count).toBe(0);
  });

  test('no thresholds: they hold; a JSON round trip validates to the same summary', () => {
    const s = buildSummary(input({ fill: (m) => m.add('canopy_rekey', 1, 2) }));
    expect(s.thresholdsOk).toBe(true);
    expect(validateSummary(JSON.parse(JSON.stringify(s)))).toEqual(s);
  });

  test('bad input is a typed error', () => {
    expect(() => buildSummary(input({ thresholds: { canopy_nope: ['avg<1'] } }))).toThrow(
      ThresholdError,
    );
    expect(() => buildSummary(input({ thresholds: { canopy_commits: ['p(95)<1'] } }))).toThrow(
      code('unsupported-aggregation'),
    );
    expect(() => buildSummary(input({ startedAt: new Date('nope') }))).toThrow(
      code('invalid-input'),
    );
    expect(() => buildSummary(input({ durationMs: -1 }))).toThrow(code('invalid-input'));
    expect(() => buildSummary(input({ segment: { index: 3, count: 2 } }))).toThrow(
      code('invalid-input'),
    );
  });
});

describe('renderSummary', () => {
  const summary = () =>
    buildSummary(
      input({
        options: {
          participants: 40,
          executor: {
            executor: 'constant-arrival-rate',
            rate: 4,
            timeUnit: 1000,
            duration: 10_000,
          },
        },
        fill: (m) => {
          m.addAll('canopy_rekey', [
            [0, 100],
            [1, 200],
            [2, 300],
            [3, 600],
          ]);
          m.addAll('canopy_commits', [
            [0, 10],
            [1, 20],
          ]);
          m.addAll('canopy_data_received', [[0, 1_500_000]]);
          m.addAll('canopy_participant_data_received', [
            [0, 2000],
            [1, 4000],
          ]);
          m.addAll('canopy_join_failed', [
            [0, 0],
            [1, 0],
            [2, 0],
            [3, 1],
          ]);
          m.addAll('canopy_participants', [
            [0, 0],
            [5000, 40],
            [9000, 38],
          ]);
        },
        checks: [
          { name: 'admitted', passes: 40, fails: 0 },
          { name: 'rekeyed', passes: 199, fails: 1 },
        ],
        thresholds: { canopy_rekey: ['p(95)<1000', 'avg<200'], canopy_join_failed: ['rate<0.01'] },
      }),
    );

  test('thresholds first with ✓/✗, checks with pass %, each metric on a dotted line', () => {
    const out = renderSummary(summary());
    const lines = out.split('\n');
    expect(out).not.toContain('\x1b[');
    expect(lines).toContain('  scenario: churn (slice 1/1)');
    expect(lines).toContain(
      '  executor: constant arrival rate: 4 joins/s for 10s, 40 participants',
    );
    expect(lines).toContain('  options: participants=40');
    expect(lines).toContain('  started: 2026-12-01T12:00:00.000Z, ran 10s');
    // thresholds, with the value each one tested: p(95) of 100, 200, 300, 600 is 555
    const th = lines.indexOf('  █ THRESHOLDS');
    const ch = lines.indexOf('  █ CHECKS');
    const me = lines.indexOf('  █ METRICS');
    expect(th).toBeGreaterThan(0);
    expect(ch).toBeGreaterThan(th);
    expect(me).toBeGreaterThan(ch);
    expect(lines.slice(th, ch)).toEqual([
      '  █ THRESHOLDS',
      '',
      '    canopy_join_failed',
      "    ✗ 'rate<0.01' rate=25.00%",
      '    canopy_rekey',
      "    ✓ 'p(95)<1000' p(95)=555ms",
      "    ✗ 'avg<200' avg=300ms",
      '',
    ]);
    expect(lines).toContain('    checks_succeeded....................: 99.58% 239 out of 240');
    expect(lines).toContain('    ✓ admitted: 100.00% — ✓ 40 / ✗ 0');
    expect(lines).toContain('    ✗ rekeyed: 99.50% — ✓ 199 / ✗ 1');
    const metric = (name: string) => lines.find((l) => l.startsWith(`    ${name}.`));
    expect(metric('canopy_rekey')).toBe(
      '    canopy_rekey........................: avg=300ms min=100ms med=250ms max=600ms ' +
        'p(90)=510ms p(95)=555ms p(99)=591ms count=4',
    );
    expect(metric('canopy_commits')).toBe('    canopy_commits......................: 30 3/s');
    expect(metric('canopy_data_received')).toBe(
      '    canopy_data_received................: 1.5 MB 150 kB/s',
    );
    expect(metric('canopy_participant_data_received')).toMatch(
      /^ {4}canopy_participant_data_received\.{4}: avg=3 kB min=2 kB med=3 kB max=4 kB .* count=2$/,
    );
    expect(metric('canopy_join_failed')).toBe(
      '    canopy_join_failed..................: 25.00% 1 out of 4',
    );
    expect(metric('canopy_participants')).toBe(
      '    canopy_participants.................: 38 min=0 max=40',
    );
    expect(metric('canopy_probe_first_frame')).toBe(
      '    canopy_probe_first_frame............: no samples',
    );
    expect(metric('canopy_commits_refused')).toBe(
      '    canopy_commits_refused..............: 0 0/s',
    );
    // every metric has its line
    for (const d of METRICS) expect(metric(d.name), d.name).toBeDefined();
  });

  test('colour paints ✓ green and ✗ red', () => {
    const out = renderSummary(summary(), { color: true });
    expect(out).toContain("\x1b[31m✗\x1b[0m 'avg<200'");
    expect(out).toContain("\x1b[32m✓\x1b[0m 'p(95)<1000'");
  });

  test('no thresholds and no checks: no such sections; warnings and sweep shown', () => {
    const s: Summary = {
      ...buildSummary(input()),
      warnings: ['missing slice 2/2: the figures cover 1 of 2 slices'],
      sweep: [{ participants: 100, metrics: { canopy_rekey: { med: 120, 'p(95)': 1500 } } }],
    };
    const out = renderSummary(s);
    expect(out).not.toContain('THRESHOLDS');
    expect(out).not.toContain('CHECKS');
    expect(out).toContain('  ⚠ missing slice 2/2: the figures cover 1 of 2 slices');
    expect(out).toContain('    100 participants');
    expect(out).toMatch(/ {6}canopy_rekey\.+: med=120ms p\(95\)=1\.5s/);
  });
});

/** Splits a known whole into two slices: B starts `lag` ms after A. */
function slices(lag: number) {
  const w = wholeSamples();
  const whole = buildSummary(
    input({
      fill: (m) => {
        m.addAll('canopy_rekey', w.rekey);
        m.addAll('canopy_join_admitted', w.joins);
        m.addAll('canopy_commits', w.commits);
        m.addAll('canopy_join_failed', w.failed);
        m.addAll('canopy_tree_size', w.tree);
      },
      thresholds: { canopy_rekey: ['p(95)<1000'] },
      checks: [{ name: 'admitted', passes: 38, fails: 2 }],
    }),
  );
  const part = (xs: Sample[], index: 0 | 1) =>
    xs.filter((_, k) => k % 2 === index).map(([t, v]): Sample => [t - index * lag, v]);
  const slice = (index: 0 | 1) =>
    buildSummary(
      input({
        segment: { index: index + 1, count: 2 },
        startedAt: new Date(T0.getTime() + index * lag),
        durationMs: 10_000 - index * lag,
        machine: `machine ${index + 1}`,
        fill: (m) => {
          m.addAll('canopy_rekey', part(w.rekey, index));
          m.addAll('canopy_join_admitted', part(w.joins, index));
          m.addAll('canopy_commits', part(w.commits, index));
          m.addAll('canopy_join_failed', part(w.failed, index));
          m.addAll('canopy_tree_size', part(w.tree, index));
        },
        thresholds: { canopy_rekey: ['p(95)<1000'] },
        checks: [{ name: 'admitted', passes: 19, fails: 1 }],
      }),
    );
  return { whole, a: slice(0), b: slice(1) };
}

describe('mergeSummaries', () => {
  test('two slices of a known whole give the whole’s values', () => {
    const { whole, a, b } = slices(500);
    const m = mergeSummaries([b, a]);
    expect(m.startedAt).toBe(whole.startedAt);
    expect(m.durationMs).toBe(10_000);
    expect(m.segments).toEqual([
      { index: 1, count: 2 },
      { index: 2, count: 2 },
    ]);
    expect(m.warnings).toBeUndefined();
    for (const name of [
      'canopy_rekey',
      'canopy_join_admitted',
      'canopy_commits',
      'canopy_join_failed',
      'canopy_tree_size',
    ]) {
      const got = m.metrics[name].values;
      const want = whole.metrics[name].values;
      expect(Object.keys(got), name).toEqual(Object.keys(want));
      for (const k of Object.keys(want)) expect(got[k], `${name} ${k}`).toBeCloseTo(want[k], 9);
      expect(m.metrics[name].samples, name).toEqual(whole.metrics[name].samples);
    }
    expect(m.metrics.canopy_rekey.thresholds).toEqual(whole.metrics.canopy_rekey.thresholds);
    expect(m.thresholdsOk).toBe(whole.thresholdsOk);
    expect(m.checks).toEqual([{ name: 'admitted', passes: 38, fails: 2 }]);
    expect(m.machine).toBe('2 machines: machine 2 | machine 1');
  });

  test('property: n slices with random start lags merge back to the whole', () => {
    const w = wholeSamples();
    const whole = buildSummary(
      input({
        fill: (m) => {
          m.addAll('canopy_rekey', w.rekey);
          m.addAll('canopy_commits', w.commits);
          m.addAll('canopy_join_failed', w.failed);
        },
      }),
    );
    let seed = 99;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let run = 0; run < 20; run++) {
      const n = 1 + rnd(5);
      const lags = Array.from({ length: n }, (_, i) => (i === 0 ? 0 : rnd(2000)));
      const owner = w.rekey.map(() => rnd(n));
      const list = lags.map((lag, i) =>
        buildSummary(
          input({
            segment: { index: i + 1, count: n },
            startedAt: new Date(T0.getTime() + lag),
            durationMs: 10_000 - lag,
            fill: (m) => {
              const mine = (xs: Sample[]) =>
                xs.filter((_, k) => owner[k] === i).map(([t, v]): Sample => [t - lag, v]);
              m.addAll('canopy_rekey', mine(w.rekey));
              m.addAll('canopy_commits', mine(w.commits));
              m.addAll('canopy_join_failed', mine(w.failed));
            },
          }),
        ),
      );
      const merged = mergeSummaries(list.reverse());
      expect(merged.durationMs).toBe(10_000);
      for (const name of ['canopy_rekey', 'canopy_commits', 'canopy_join_failed']) {
        const want = whole.metrics[name].values;
        for (const k of Object.keys(want)) {
          expect(merged.metrics[name].values[k], `${name} ${k}`).toBeCloseTo(want[k], 9);
        }
      }
    }
  });

  test('a slice alone does not give the whole (the test can tell)', () => {
    const { whole, a } = slices(500);
    expect(mergeSummaries([a]).metrics.canopy_commits.values.count).not.toBe(
      whole.metrics.canopy_commits.values.count,
    );
  });

  test('thresholds are re-evaluated on the merged values', () => {
    const { a, b } = slices(0);
    // each slice's max is under 1000 ms … but p(95) of the whole is not the max
    const p95 = mergeSummaries([a, b]).metrics.canopy_rekey.values['p(95)'];
    const m = mergeSummaries([a, b], { canopy_rekey: [`p(95)<${p95}`, 'p(99.9)>0'] });
    expect(m.metrics.canopy_rekey.thresholds).toEqual({
      [`p(95)<${p95}`]: { ok: false },
      'p(99.9)>0': { ok: true },
    });
    expect(m.metrics.canopy_rekey.values['p(99.9)']).toBeGreaterThan(0);
    expect(m.thresholdsOk).toBe(false);
    expect(() => mergeSummaries([a, b], { canopy_nope: ['avg<1'] })).toThrow(ThresholdError);
  });

  test('gauges each slice holds a part of are summed at aligned seconds', () => {
    const sliceWith = (
      index: number,
      lag: number,
      participants: Sample[],
      timeline: TimelinePoint[],
    ) =>
      buildSummary(
        input({
          segment: { index, count: 2 },
          startedAt: new Date(T0.getTime() + lag),
          fill: (m) => {
            m.addAll('canopy_participants', participants);
            m.addAll('canopy_server_cpu', [[0, 10 * index]]);
          },
          timeline,
        }),
      );
    const a = sliceWith(
      1,
      0,
      [
        [0, 0],
        [1000, 5],
        [2000, 10],
      ],
      [
        { t: 0, participants: 0, serverCpu: 50, runnerCpu: 10, runnerRss: 100 },
        { t: 1000, participants: 5, serverCpu: 60, runnerCpu: 20, runnerRss: 200 },
      ],
    );
    const b = sliceWith(
      2,
      500,
      [
        [0, 0],
        [600, 3],
        [1600, 6],
      ],
      [
        { t: 0, participants: 0, serverCpu: 55, runnerCpu: 1, runnerRss: 10 },
        { t: 1000, participants: 3, runnerCpu: 2, runnerRss: 20 },
      ],
    );
    const m = mergeSummaries([a, b]);
    expect(m.metrics.canopy_participants.samples).toEqual([
      [0, 0],
      [1000, 8],
      [2000, 16],
    ]);
    expect(m.metrics.canopy_participants.values).toEqual({ value: 16, min: 0, max: 16 });
    // the server is one process every slice sees: its samples are pooled, not summed
    expect(m.metrics.canopy_server_cpu.values).toEqual({ value: 20, min: 10, max: 20 });
    expect(m.timeline).toEqual([
      { t: 0, participants: 0, serverCpu: 55, runnerCpu: 11, runnerRss: 110 },
      { t: 1000, participants: 8, serverCpu: 60, runnerCpu: 22, runnerRss: 220 },
    ]);
  });

  test('sweep points merge per size: exactly from samples, else from values', () => {
    const rekey = def('canopy_rekey');
    const point = (participants: number, values: number[], withSamples: boolean) => {
      const samples = values.map((v, i): Sample => [i, v]);
      return {
        participants,
        metrics: { canopy_rekey: aggregate(rekey, samples, 1000) },
        ...(withSamples && { samples: { canopy_rekey: samples }, durationMs: 1000 }),
      };
    };
    const mk = (index: number, sweep: Summary['sweep']) => ({
      ...buildSummary(input({ segment: { index, count: 2 } })),
      sweep,
    });
    const exact = mergeSummaries([
      mk(1, [point(100, [1, 2, 3], true), point(200, [10], true)]),
      mk(2, [point(100, [4, 5], true)]),
    ]).sweep!;
    expect(exact.map((p) => p.participants)).toEqual([100, 200]);
    expect(exact[0].metrics.canopy_rekey).toEqual(
      aggregate(
        rekey,
        [1, 2, 3, 4, 5].map((v, i): Sample => [i, v]),
        1000,
      ),
    );
    const approx = mergeSummaries([
      mk(1, [point(100, [1, 2, 3], false)]),
      mk(2, [point(100, [4, 5], true)]),
    ]).sweep![0].metrics.canopy_rekey;
    expect(approx.count).toBe(5);
    expect(approx.avg).toBeCloseTo(3, 12);
    expect(approx.min).toBe(1);
    expect(approx.max).toBe(5);
    // percentiles: the slices' maximum, an upper bound
    expect(approx['p(95)']).toBeCloseTo(
      aggregate(
        rekey,
        [
          [0, 4],
          [1, 5],
        ],
        1000,
      )['p(95)'],
      12,
    );
  });

  test('the same slice twice, different splits or scenarios are refused; missing slices warned', () => {
    const { a, b } = slices(0);
    expect(() => mergeSummaries([a, a])).toThrow(code('overlap'));
    const third = buildSummary(input({ segment: { index: 2, count: 3 } }));
    expect(() => mergeSummaries([a, third])).toThrow(code('mismatch'));
    expect(() => mergeSummaries([a, { ...b, scenario: 'smoke' }])).toThrow(code('mismatch'));
    expect(() => mergeSummaries([])).toThrow(code('invalid-input'));
    const kind: Summary = {
      ...b,
      metrics: { ...b.metrics, canopy_rekey: { ...b.metrics.canopy_rekey, type: 'gauge' } },
    };
    expect(() => mergeSummaries([a, kind])).toThrow(code('mismatch'));
    const lone = mergeSummaries([buildSummary(input({ segment: { index: 2, count: 4 } }))]);
    expect(lone.warnings).toEqual([
      'missing slices 1/4, 3/4, 4/4: the figures cover 1 of 4 slices',
    ]);
  });
});

describe('validateSummary', () => {
  const good = () => JSON.parse(JSON.stringify(slices(0).a));

  test.each([
    ['null', null],
    ['an array', []],
    ['a string', 'summary'],
    ['an empty object', {}],
  ])('%s is a SummaryError', (_, json) => {
    expect(() => validateSummary(json)).toThrow(code('invalid-summary'));
  });

  test('another version is named as such', () => {
    expect(() => validateSummary({ ...good(), version: 2 })).toThrow(code('unsupported-version'));
  });

  // biome-ignore lint/suspicious/noExplicitAny: mutating parsed JSON at will
  test.each<[string, (j: Record<string, any>) => void]>([
    ['a sample that is not a pair', (j) => j.metrics.canopy_rekey.samples.push([1])],
    ['a sample value that is a string', (j) => j.metrics.canopy_rekey.samples.push([1, '2'])],
    ['a trend without p(95)', (j) => delete j.metrics.canopy_rekey.values['p(95)']],
    ['an unknown metric kind', (j) => (j.metrics.canopy_rekey.type = 'histogram')],
    [
      'a garbage threshold',
      (j) => (j.metrics.canopy_rekey.thresholds = { 'rm -rf': { ok: true } }),
    ],
    [
      'a threshold its kind lacks',
      (j) => (j.metrics.canopy_commits.thresholds = { 'p(95)<1': { ok: true } }),
    ],
    ['a bad metric name', (j) => (j.metrics['a b'] = j.metrics.canopy_rekey)],
    ['a bad date', (j) => (j.startedAt = 'yesterday')],
    ['a negative duration', (j) => (j.durationMs = -5)],
    ['no segments', (j) => (j.segments = [])],
    ['a segment beyond its count', (j) => (j.segments = [{ index: 3, count: 2 }])],
    ['a slice twice', (j) => (j.segments = [j.segments[0], j.segments[0]])],
    ['negative check counts', (j) => (j.checks = [{ name: 'x', passes: -1, fails: 0 }])],
    [
      'a timeline point without t',
      (j) => (j.timeline = [{ participants: 1, runnerCpu: 1, runnerRss: 1 }]),
    ],
  ])('%s is a SummaryError', (_, mutate) => {
    const j = good();
    mutate(j);
    expect(() => validateSummary(j)).toThrow(code('invalid-summary'));
  });

  test('a __proto__ key is dropped, not merged into the prototype', () => {
    const text = JSON.stringify(good()).replace(
      '"metrics":{',
      '"metrics":{"__proto__":{"polluted":1},',
    );
    const s = validateSummary(JSON.parse(text));
    expect(Object.getPrototypeOf(s.metrics)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('fuzz: corrupted summaries are accepted or refused with a SummaryError, never a crash', () => {
    const base = JSON.stringify(good());
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const junk = [null, -1, 0, 1e308, 'x', '', {}, [], [1, 2], true, { index: 1, count: 1 }];
    let refused = 0;
    for (let run = 0; run < 400; run++) {
      const j = JSON.parse(base);
      // set a random path to a junk value
      // biome-ignore lint/suspicious/noExplicitAny: walking parsed JSON at will
      let node: any = j;
      for (let depth = 0; depth < 4 && node !== null && typeof node === 'object'; depth++) {
        const keys = Object.keys(node);
        if (keys.length === 0) break;
        const key = keys[rnd(keys.length)];
        if (depth === 3 || rnd(3) === 0 || node[key] === null || typeof node[key] !== 'object') {
          node[key] = junk[rnd(junk.length)];
          break;
        }
        node = node[key];
      }
      try {
        const s = validateSummary(j);
        renderSummary(s);
        mergeSummaries([s]);
      } catch (e) {
        expect(e, String(e)).toBeInstanceOf(CanopyError);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
  });
});

describe('mergeFiles', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'canopy-merge-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('reads, validates and merges slice files', async () => {
    const { whole, a, b } = slices(250);
    await writeFile(join(dir, 'a.json'), JSON.stringify(a));
    await writeFile(join(dir, 'b.json'), JSON.stringify(b));
    const m = await mergeFiles([join(dir, 'a.json'), join(dir, 'b.json')]);
    expect(m.metrics.canopy_commits.values).toEqual(whole.metrics.canopy_commits.values);
    expect(m.metrics.canopy_rekey.samples).toEqual(whole.metrics.canopy_rekey.samples);
  });

  test('a missing, truncated or garbled file is a SummaryError naming it', async () => {
    const { a } = slices(0);
    const text = JSON.stringify(a);
    await writeFile(join(dir, 'cut.json'), text.slice(0, text.length / 2));
    await writeFile(join(dir, 'bin.json'), Buffer.from([0xff, 0xfe, 0x00, 0x01]));
    await writeFile(join(dir, 'other.json'), JSON.stringify({ metrics: 'everything' }));
    await expect(mergeFiles([join(dir, 'nope.json')])).rejects.toThrow(code('unreadable'));
    await expect(mergeFiles([join(dir, 'cut.json')])).rejects.toThrow(/cut\.json: not JSON/);
    await expect(mergeFiles([join(dir, 'bin.json')])).rejects.toThrow(code('invalid-summary'));
    await expect(mergeFiles([join(dir, 'other.json')])).rejects.toThrow(
      /other\.json: not a version 1 summary/,
    );
    await expect(mergeFiles([])).rejects.toThrow(code('invalid-input'));
  });
});
