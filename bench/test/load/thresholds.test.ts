// k6 threshold expressions: parsing, every operator, kinds, errors.
import { describe, expect, test } from 'vitest';
import {
  allHeld,
  checkThresholds,
  compileThresholds,
  evaluateThreshold,
  parseThreshold,
  parseThresholdOption,
  ThresholdError,
  thresholdPercentiles,
  withThresholdOptions,
} from '../../src/load/thresholds.js';
import { METRICS } from '../../src/load/types.js';

const code = (c: string) => expect.objectContaining({ code: c });

describe('parseThreshold', () => {
  test.each([
    ['p(95)<1000', 'p(95)', '<', 1000],
    ['  p( 99.9 ) <=  250.5 ', 'p(99.9)', '<=', 250.5],
    ['p(95.0)<1', 'p(95)', '<', 1],
    ['p(100)>0', 'p(100)', '>', 0],
    ['p(0.1)>=0', 'p(0.1)', '>=', 0],
    ['rate<0.01', 'rate', '<', 0.01],
    ['rate < .5', 'rate', '<', 0.5],
    ['count>=1', 'count', '>=', 1],
    ['avg==12', 'avg', '==', 12],
    ['avg===12', 'avg', '==', 12],
    ['med!=3', 'med', '!=', 3],
    ['min>-1', 'min', '>', -1],
    ['max<1e3', 'max', '<', 1000],
    ['value>+2', 'value', '>', 2],
  ])('%s', (source, aggregation, op, value) => {
    expect(parseThreshold(source)).toEqual({ source, aggregation, op, value });
  });

  test.each([
    ['', /expected an aggregation/],
    ['   ', /expected an aggregation/],
    ['<1000', /expected an aggregation/],
    ['p95<1000', /unknown aggregation "p95"/],
    ['average<1', /unknown aggregation "average"/],
    ['avg', /expected an operator/],
    ['avg 1000', /expected an operator/],
    ['avg=1000', /expected an operator/],
    ['avg=>1', /expected an operator/],
    ['avg<', /expected a number after </],
    ['avg<1s', /"1s" is not a number/],
    ['avg<1000ms', /is not a number/],
    ['avg<1 000', /is not a number/],
    ['avg<abc', /is not a number/],
    ['avg<NaN', /is not a number/],
    ['avg<Infinity', /is not a number/],
    ['avg<1e999', /not a finite number/],
    ['avg<<1', /is not a number/],
    ['avg<1 && avg>0', /is not a number/],
    ['p(0)<1', /percentile must be in \(0, 100\]/],
    ['p(100.5)<1', /percentile must be in \(0, 100\]/],
    ['p(-5)<1', /p\(N\)/],
    ['p()<1', /p\(N\)/],
    ['p(abc)<1', /p\(N\)/],
    ['p(95<1', /p\(N\)/],
    ['P(95)<1', /unknown aggregation "P"/],
  ])('%j is a ThresholdError', (source, message) => {
    expect(() => parseThreshold(source)).toThrow(ThresholdError);
    expect(() => parseThreshold(source)).toThrow(message);
  });

  test('a non-string is a ThresholdError, not a crash', () => {
    expect(() => parseThreshold(42 as unknown as string)).toThrow(ThresholdError);
  });
});

describe('evaluateThreshold', () => {
  const values = { avg: 10, 'p(95)': 100 };
  test.each([
    ['avg<10', false],
    ['avg<10.5', true],
    ['avg<=10', true],
    ['avg<=9.99', false],
    ['avg>9', true],
    ['avg>10', false],
    ['avg>=10', true],
    ['avg>=11', false],
    ['avg==10', true],
    ['avg==11', false],
    ['avg!=11', true],
    ['avg!=10', false],
    ['p(95)<1000', true],
    ['p(95.00)<100', false],
  ])('%s → %s', (source, ok) => {
    expect(evaluateThreshold(parseThreshold(source), values, 'trend')).toBe(ok);
    expect(evaluateThreshold(parseThreshold(source), values)).toBe(ok);
  });

  test('an aggregation the kind lacks is a typed error', () => {
    const counterValues = { count: 3, rate: 1 };
    expect(() => evaluateThreshold(parseThreshold('p(95)<1'), counterValues, 'counter')).toThrow(
      code('unsupported-aggregation'),
    );
    expect(() => evaluateThreshold(parseThreshold('p(95)<1'), counterValues)).toThrow(
      code('unsupported-aggregation'),
    );
    expect(() => evaluateThreshold(parseThreshold('avg<1'), { rate: 0 }, 'rate')).toThrow(
      code('unsupported-aggregation'),
    );
    expect(() => evaluateThreshold(parseThreshold('value<1'), { count: 0 }, 'trend')).toThrow(
      code('unsupported-aggregation'),
    );
    expect(() =>
      evaluateThreshold(parseThreshold('count<1'), { value: 0, min: 0, max: 0 }, 'gauge'),
    ).toThrow(code('unsupported-aggregation'));
  });

  test('a percentile that was not computed is a missing value, not a pass', () => {
    expect(() => evaluateThreshold(parseThreshold('p(99.9)<1'), values, 'trend')).toThrow(
      code('missing-value'),
    );
  });

  test('values inherited from Object.prototype are not values', () => {
    expect(() => evaluateThreshold(parseThreshold('min<1'), {})).toThrow(ThresholdError);
  });
});

describe('checkThresholds', () => {
  const metrics = {
    canopy_rekey: { type: 'trend' as const, values: { avg: 300, 'p(95)': 900, count: 10 } },
    canopy_join_failed: { type: 'rate' as const, values: { rate: 0.02, passes: 2, fails: 98 } },
  };

  test('per metric, per expression, ok or not', () => {
    const r = checkThresholds(
      { canopy_rekey: ['p(95)<1000', 'avg<200'], canopy_join_failed: ['rate<0.01'] },
      metrics,
    );
    expect(r).toEqual({
      canopy_rekey: { 'p(95)<1000': { ok: true }, 'avg<200': { ok: false } },
      canopy_join_failed: { 'rate<0.01': { ok: false } },
    });
    expect(allHeld(r)).toBe(false);
    expect(allHeld(checkThresholds({ canopy_rekey: ['p(95)<1000'] }, metrics))).toBe(true);
    expect(allHeld({})).toBe(true);
  });

  test('an unknown metric name, a bad expression or a bad list is a ThresholdError', () => {
    expect(() => checkThresholds({ canopy_nope: ['avg<1'] }, metrics)).toThrow(
      code('unknown-metric'),
    );
    expect(() => checkThresholds({ toString: ['avg<1'] }, metrics)).toThrow(code('unknown-metric'));
    expect(() => checkThresholds({ canopy_rekey: ['avg<1', 'avg<'] }, metrics)).toThrow(
      code('invalid-threshold'),
    );
    expect(() =>
      checkThresholds({ canopy_rekey: 'avg<1' as unknown as string[] }, metrics),
    ).toThrow(code('invalid-threshold'));
    expect(() => checkThresholds({ canopy_join_failed: ['p(95)<1'] }, metrics)).toThrow(
      code('unsupported-aggregation'),
    );
  });
});

describe('compileThresholds', () => {
  test('checks names and kinds against the metric definitions before a run', () => {
    const c = compileThresholds(
      { canopy_rekey: ['p(99.9)<2000'], canopy_commits: ['count>0'] },
      METRICS,
    );
    expect(c.get('canopy_rekey')?.[0].aggregation).toBe('p(99.9)');
    expect(() => compileThresholds({ canopy_commits: ['p(95)<1'] }, METRICS)).toThrow(
      code('unsupported-aggregation'),
    );
    expect(() => compileThresholds({ nope: ['avg<1'] }, METRICS)).toThrow(code('unknown-metric'));
  });

  test('thresholdPercentiles lists the percentiles a metric needs', () => {
    expect(
      thresholdPercentiles(
        { canopy_rekey: ['p(99.9)<1', 'p(95)<2', 'avg<3', 'p(99.90)<4'] },
        'canopy_rekey',
      ),
    ).toEqual([99.9, 95]);
    expect(thresholdPercentiles({}, 'canopy_rekey')).toEqual([]);
  });
});

describe('parseThresholdOption (--threshold)', () => {
  test('metric:expression', () => {
    const o = parseThresholdOption('canopy_rekey:p(95)<1000');
    expect(o.metric).toBe('canopy_rekey');
    expect(o.expression).toBe('p(95)<1000');
    expect(o.threshold.aggregation).toBe('p(95)');
    expect(parseThresholdOption(' canopy_rekey : avg < 5 ').expression).toBe('avg < 5');
  });

  test.each([
    'p(95)<1000',
    ':p(95)<1000',
    'canopy rekey:avg<1',
    '1abc:avg<1',
    'canopy_rekey:',
    'canopy_rekey:p(95)<1s',
  ])('%j is a ThresholdError', (o) => {
    expect(() => parseThresholdOption(o)).toThrow(ThresholdError);
  });

  test('withThresholdOptions appends to the scenario thresholds', () => {
    const base = { canopy_rekey: ['p(95)<1000'] };
    expect(
      withThresholdOptions(base, ['canopy_rekey:p(99)<2000', 'canopy_join_failed:rate<0.01']),
    ).toEqual({
      canopy_rekey: ['p(95)<1000', 'p(99)<2000'],
      canopy_join_failed: ['rate<0.01'],
    });
    expect(base).toEqual({ canopy_rekey: ['p(95)<1000'] });
  });
});
