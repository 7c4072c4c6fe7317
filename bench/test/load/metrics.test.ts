// Metric samples and k6's aggregated values, against hand-computed figures.
import { describe, expect, test } from 'vitest';
import { aggregate, MetricError, MetricSet, percentile } from '../../src/load/metrics.js';
import { METRICS, type MetricDef, type Sample } from '../../src/load/types.js';

const trend: MetricDef = { name: 't', type: 'trend', contains: 'time', description: '' };
const counter: MetricDef = { name: 'c', type: 'counter', contains: 'default', description: '' };
const rate: MetricDef = { name: 'r', type: 'rate', contains: 'default', description: '' };
const gauge: MetricDef = { name: 'g', type: 'gauge', contains: 'default', description: '' };

describe('percentile (linear interpolation between closest ranks)', () => {
  test('hand-computed values on 1, 2, 3, 4', () => {
    const xs = [1, 2, 3, 4];
    // rank h = (n - 1) p / 100
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile(xs, 50)).toBeCloseTo(2.5, 12); // h = 1.5
    expect(percentile(xs, 90)).toBeCloseTo(3.7, 12); // h = 2.7
    expect(percentile(xs, 95)).toBeCloseTo(3.85, 12); // h = 2.85
    expect(percentile(xs, 99)).toBeCloseTo(3.97, 12); // h = 2.97
    expect(percentile(xs, 100)).toBe(4);
    expect(percentile(xs, 100 / 3)).toBeCloseTo(2, 12); // h = 1 exactly: no interpolation
  });

  test('1..100: p(95) = 95.05, p(99.9) = 99.901', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 95)).toBeCloseTo(95.05, 10); // h = 94.05
    expect(percentile(xs, 99.9)).toBeCloseTo(99.901, 10); // h = 98.901
    expect(percentile(xs, 50)).toBeCloseTo(50.5, 10);
  });

  test('one value is every percentile; no values is NaN; p outside [0, 100] is an error', () => {
    expect(percentile([7], 1)).toBe(7);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(MetricError);
    expect(() => percentile([1], -1)).toThrow(MetricError);
    expect(() => percentile([1], Number.NaN)).toThrow(MetricError);
  });
});

describe('aggregate', () => {
  test('trend: avg, min, med, max, p(90), p(95), p(99), count, and requested percentiles', () => {
    const samples: Sample[] = [
      [0, 4],
      [1, 1],
      [2, 3],
      [3, 2],
    ];
    const v = aggregate(trend, samples, 1000, [99.9, 50]);
    expect(Object.keys(v)).toEqual([
      'avg',
      'min',
      'med',
      'max',
      'p(90)',
      'p(95)',
      'p(99)',
      'count',
      'p(99.9)',
      'p(50)',
    ]);
    expect(v.avg).toBe(2.5);
    expect(v.min).toBe(1);
    expect(v.med).toBeCloseTo(2.5, 12);
    expect(v.max).toBe(4);
    expect(v['p(90)']).toBeCloseTo(3.7, 12);
    expect(v['p(95)']).toBeCloseTo(3.85, 12);
    expect(v['p(99)']).toBeCloseTo(3.97, 12);
    expect(v['p(99.9)']).toBeCloseTo(3.997, 12);
    expect(v['p(50)']).toBeCloseTo(2.5, 12);
    expect(v.count).toBe(4);
  });

  test('counter: count is the sum, rate is per second of the run', () => {
    const v = aggregate(
      counter,
      [
        [0, 1],
        [10, 2],
        [20, 3],
      ],
      2000,
    );
    expect(v).toEqual({ count: 6, rate: 3 });
  });

  test('rate: share of non-zero samples, passes and fails', () => {
    const v = aggregate(
      rate,
      [
        [0, 1],
        [1, 0],
        [2, 1],
        [3, 1],
      ],
      1000,
    );
    expect(v).toEqual({ rate: 0.75, passes: 3, fails: 1 });
  });

  test('gauge: value is the latest sample by time (later one on a tie), with min and max', () => {
    expect(
      aggregate(
        gauge,
        [
          [5, 10],
          [1, 20],
          [3, 5],
        ],
        1000,
      ),
    ).toEqual({ value: 10, min: 5, max: 20 });
    expect(
      aggregate(
        gauge,
        [
          [1, 1],
          [1, 2],
        ],
        1000,
      ).value,
    ).toBe(2);
  });

  test('an empty metric aggregates to zeros, with count (or passes + fails) 0', () => {
    expect(aggregate(trend, [], 1000)).toEqual({
      avg: 0,
      min: 0,
      med: 0,
      max: 0,
      'p(90)': 0,
      'p(95)': 0,
      'p(99)': 0,
      count: 0,
    });
    expect(aggregate(counter, [], 1000)).toEqual({ count: 0, rate: 0 });
    expect(aggregate(counter, [[0, 5]], 0)).toEqual({ count: 5, rate: 0 });
    expect(aggregate(rate, [], 1000)).toEqual({ rate: 0, passes: 0, fails: 0 });
    expect(aggregate(gauge, [], 1000)).toEqual({ value: 0, min: 0, max: 0 });
  });
});

describe('MetricSet', () => {
  test('records samples of the runner metrics by name', () => {
    const m = new MetricSet();
    expect(m.defs.map((d) => d.name)).toEqual(METRICS.map((d) => d.name));
    m.add('canopy_rekey', 10, 250);
    m.addAll('canopy_rekey', [
      [20, 300],
      [30, 350],
    ]);
    expect(m.samples('canopy_rekey')).toEqual([
      [10, 250],
      [20, 300],
      [30, 350],
    ]);
    expect(m.samples('canopy_commits')).toEqual([]);
    expect(m.def('canopy_commits').type).toBe('counter');
  });

  test('an unknown metric is a typed error', () => {
    const m = new MetricSet([trend]);
    expect(() => m.add('nope', 0, 1)).toThrow(expect.objectContaining({ code: 'unknown-metric' }));
    expect(() => m.addAll('nope', [[0, 1]])).toThrow(MetricError);
    expect(() => m.samples('nope')).toThrow(MetricError);
    expect(m.has('nope')).toBe(false);
  });

  test('a sample that is not two finite numbers is refused, and addAll records nothing then', () => {
    const m = new MetricSet([trend]);
    expect(() => m.add('t', 0, Number.NaN)).toThrow(
      expect.objectContaining({ code: 'invalid-sample' }),
    );
    expect(() => m.add('t', Number.POSITIVE_INFINITY, 1)).toThrow(MetricError);
    expect(() =>
      m.addAll('t', [
        [0, 1],
        [1, '2' as unknown as number],
      ]),
    ).toThrow(MetricError);
    expect(() => m.addAll('t', [[0] as unknown as Sample])).toThrow(MetricError);
    expect(m.samples('t')).toEqual([]);
  });

  test('a metric defined twice is refused', () => {
    expect(() => new MetricSet([trend, { ...trend }])).toThrow(
      expect.objectContaining({ code: 'invalid-definition' }),
    );
  });
});
