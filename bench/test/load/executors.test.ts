// Executor schedules against hand-computed arrival times, and segments.
import { describe, expect, test } from 'vitest';
import {
  arrivals,
  describeExecutor,
  ExecutorError,
  executorDuration,
  MAX_ARRIVALS,
  parseSegment,
  sliceArrivals,
  validateExecutor,
} from '../../src/load/executors.js';
import type { Executor } from '../../src/load/types.js';

const code = (c: string) => expect.objectContaining({ code: c });

function expectTimes(actual: number[], expected: number[]) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((t, i) => {
    expect(t, `arrival ${i}`).toBeCloseTo(expected[i], 6);
  });
}

describe('arrivals', () => {
  test('constant arrival rate: every 1/r from 0, none at the end', () => {
    expectTimes(
      arrivals({ executor: 'constant-arrival-rate', rate: 10, timeUnit: 1000, duration: 1000 }),
      [0, 100, 200, 300, 400, 500, 600, 700, 800, 900],
    );
    expectTimes(
      arrivals({ executor: 'constant-arrival-rate', rate: 3, timeUnit: 1000, duration: 1000 }),
      [0, 1000 / 3, 2000 / 3],
    );
    // 2 per 500 ms for 1.2 s: 4.8 expected → 5 arrivals, every 250 ms
    expectTimes(
      arrivals({ executor: 'constant-arrival-rate', rate: 2, timeUnit: 500, duration: 1200 }),
      [0, 250, 500, 750, 1000],
    );
  });

  test('decimal rates do not gain an arrival at the end from rounding', () => {
    // 0.1/s for 30 s = 3 arrivals (0.1 × 30 is 3.0000000000000004 in floating point)
    expectTimes(
      arrivals({ executor: 'constant-arrival-rate', rate: 0.1, timeUnit: 1000, duration: 30_000 }),
      [0, 10_000, 20_000],
    );
  });

  test('ramping up from 0: arrival k when 5t² = k (t in s)', () => {
    // 0 → 10/s over 1 s: N(t) = 5t², 5 arrivals at √(k/5) s
    expectTimes(
      arrivals({
        executor: 'ramping-arrival-rate',
        startRate: 0,
        timeUnit: 1000,
        stages: [{ target: 10, duration: 1000 }],
      }),
      [0, 447.213595, 632.455532, 774.596669, 894.427191],
    );
  });

  test('a ramp then a plateau continue from the ramp’s cumulative count', () => {
    const t = arrivals({
      executor: 'ramping-arrival-rate',
      startRate: 0,
      timeUnit: 1000,
      stages: [
        { target: 10, duration: 1000 },
        { target: 10, duration: 1000 },
      ],
    });
    expectTimes(
      t,
      [
        0, 447.213595, 632.455532, 774.596669, 894.427191, 1000, 1100, 1200, 1300, 1400, 1500, 1600,
        1700, 1800, 1900,
      ],
    );
  });

  test('ramping down: N(s) = 10s − 2.5s², arrival k at 2 − √(4 − 0.4k) s', () => {
    const t = arrivals({
      executor: 'ramping-arrival-rate',
      startRate: 10,
      timeUnit: 1000,
      stages: [{ target: 0, duration: 2000 }],
    });
    expectTimes(
      t,
      Array.from({ length: 10 }, (_, k) => (2 - Math.sqrt(4 - 0.4 * k)) * 1000),
    );
    expect(t[1]).toBeCloseTo(102.633403, 5);
    expect(t[9]).toBeCloseTo(1367.544468, 5);
  });

  test('a zero-rate stage holds no arrivals and shifts the next ones', () => {
    expectTimes(
      arrivals({
        executor: 'ramping-arrival-rate',
        startRate: 0,
        timeUnit: 1000,
        stages: [
          { target: 0, duration: 5000 },
          { target: 2, duration: 1000 },
          { target: 2, duration: 1000 },
        ],
      }),
      [5000, 5000 + 1000 * Math.sqrt(1), 6500],
    );
  });

  test('totals: ⌈∫rate⌉ arrivals, ascending, all before the executor ends', () => {
    const cases: Executor[] = [
      { executor: 'constant-arrival-rate', rate: 50, timeUnit: 1000, duration: 20_000 },
      {
        executor: 'ramping-arrival-rate',
        startRate: 5,
        timeUnit: 1000,
        stages: [
          { target: 100, duration: 10_000 },
          { target: 100, duration: 5000 },
          { target: 0, duration: 3000 },
        ],
      },
      {
        executor: 'ramping-arrival-rate',
        startRate: 7,
        timeUnit: 60_000,
        stages: [{ target: 13, duration: 90_000 }],
      },
    ];
    const expected = [1000, 525 + 500 + 150, 15];
    cases.forEach((e, i) => {
      const t = arrivals(e);
      expect(t).toHaveLength(expected[i]);
      for (let k = 1; k < t.length; k++) expect(t[k]).toBeGreaterThanOrEqual(t[k - 1]);
      expect(t[0]).toBe(0);
      expect(t[t.length - 1]).toBeLessThan(executorDuration(e));
    });
  });

  test('constant participants all start at 0', () => {
    expect(
      arrivals({ executor: 'constant-participants', participants: 4, duration: 30_000 }),
    ).toEqual([0, 0, 0, 0]);
    // duration 0: they stay until the scenario has them leave (mass-leave, churn)
    expect(arrivals({ executor: 'constant-participants', participants: 2, duration: 0 })).toEqual([
      0, 0,
    ]);
  });
});

describe('validateExecutor', () => {
  test.each([
    [null, /must be an object/],
    ['constant-arrival-rate', /must be an object/],
    [{ executor: 'shared-iterations' }, /unknown executor "shared-iterations"/],
    [
      { executor: 'constant-arrival-rate', rate: 0, timeUnit: 1000, duration: 1000 },
      /rate must be a positive/,
    ],
    [{ executor: 'constant-arrival-rate', rate: -1, timeUnit: 1000, duration: 1000 }, /rate/],
    [
      { executor: 'constant-arrival-rate', rate: Number.NaN, timeUnit: 1000, duration: 1000 },
      /rate/,
    ],
    [{ executor: 'constant-arrival-rate', rate: '5', timeUnit: 1000, duration: 1000 }, /rate/],
    [{ executor: 'constant-arrival-rate', rate: 5, timeUnit: 0, duration: 1000 }, /timeUnit/],
    [{ executor: 'constant-arrival-rate', rate: 5, timeUnit: 1000, duration: 0 }, /duration/],
    [
      { executor: 'constant-arrival-rate', rate: 1e9, timeUnit: 1, duration: 1000 },
      /more than 1000000/,
    ],
    [
      {
        executor: 'ramping-arrival-rate',
        startRate: -1,
        timeUnit: 1000,
        stages: [{ target: 1, duration: 1 }],
      },
      /startRate/,
    ],
    [{ executor: 'ramping-arrival-rate', startRate: 0, timeUnit: 1000, stages: [] }, /non-empty/],
    [{ executor: 'ramping-arrival-rate', startRate: 0, timeUnit: 1000 }, /non-empty/],
    [{ executor: 'ramping-arrival-rate', startRate: 0, timeUnit: 1000, stages: [null] }, /stage 1/],
    [
      {
        executor: 'ramping-arrival-rate',
        startRate: 0,
        timeUnit: 1000,
        stages: [{ target: -2, duration: 1 }],
      },
      /stages\[0\]\.target/,
    ],
    [
      {
        executor: 'ramping-arrival-rate',
        startRate: 0,
        timeUnit: 1000,
        stages: [{ target: 2, duration: 0 }],
      },
      /stages\[0\]\.duration/,
    ],
    [
      {
        executor: 'ramping-arrival-rate',
        startRate: 0,
        timeUnit: 1000,
        stages: [{ target: 0, duration: 10 }],
      },
      /no arrivals/,
    ],
    [{ executor: 'constant-participants', participants: 0, duration: 1 }, /participants/],
    [{ executor: 'constant-participants', participants: 2.5, duration: 1 }, /whole number/],
    [{ executor: 'constant-participants', participants: 2, duration: -1 }, /duration/],
  ])('%j is refused', (e, message) => {
    expect(() => validateExecutor(e)).toThrow(code('invalid-executor'));
    expect(() => validateExecutor(e)).toThrow(message);
  });

  test('arrivals refuses an invalid executor too', () => {
    expect(() =>
      arrivals({ executor: 'constant-participants', participants: MAX_ARRIVALS + 1, duration: 1 }),
    ).toThrow(ExecutorError);
  });
});

describe('segments', () => {
  test('parseSegment', () => {
    expect(parseSegment('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseSegment(' 1 / 1 ')).toEqual({ index: 1, count: 1 });
    for (const bad of ['0/4', '5/4', '2', '2/', '/4', 'a/b', '1.5/4', '-1/4', '2/4/8', '', '1/0']) {
      expect(() => parseSegment(bad), bad).toThrow(code('invalid-segment'));
    }
    expect(() => parseSegment(undefined as unknown as string)).toThrow(ExecutorError);
  });

  test('slice i of n takes arrivals i-1, i-1+n, …', () => {
    const all = [0, 10, 20, 30, 40, 50, 60];
    expect(sliceArrivals(all, { index: 1, count: 3 })).toEqual([0, 30, 60]);
    expect(sliceArrivals(all, { index: 2, count: 3 })).toEqual([10, 40]);
    expect(sliceArrivals(all, { index: 3, count: 3 })).toEqual([20, 50]);
    expect(sliceArrivals(all, { index: 1, count: 1 })).toEqual(all);
    expect(() => sliceArrivals(all, { index: 4, count: 3 })).toThrow(ExecutorError);
  });

  test('property: the slices are disjoint and together exactly the whole, each ramping like it', () => {
    let seed = 12345;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let run = 0; run < 200; run++) {
      const e: Executor = {
        executor: 'ramping-arrival-rate',
        startRate: Math.floor(rnd() * 20),
        timeUnit: 1000,
        stages: Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => ({
          target: 1 + Math.floor(rnd() * 50),
          duration: 100 + Math.floor(rnd() * 5000),
        })),
      };
      const all = arrivals(e);
      const n = 1 + Math.floor(rnd() * 7);
      const seen = new Array<number>(all.length).fill(0);
      const union: number[] = [];
      for (let i = 1; i <= n; i++) {
        const slice = sliceArrivals(all, { index: i, count: n });
        // each slice holds ⌊len/n⌋ or ⌈len/n⌉ arrivals: it ramps like the whole
        expect(Math.abs(slice.length - all.length / n)).toBeLessThan(1);
        slice.forEach((t, j) => {
          const k = i - 1 + j * n;
          expect(all[k]).toBe(t);
          seen[k]++;
        });
        union.push(...slice);
      }
      expect(seen.every((c) => c === 1)).toBe(true);
      expect(union.sort((a, b) => a - b)).toEqual(all);
    }
  });
});

describe('describeExecutor', () => {
  test('one line per kind, with the participant count and the slice', () => {
    expect(
      describeExecutor({
        executor: 'constant-arrival-rate',
        rate: 10,
        timeUnit: 1000,
        duration: 30_000,
      }),
    ).toBe('constant arrival rate: 10 joins/s for 30s, 300 participants');
    expect(
      describeExecutor(
        {
          executor: 'ramping-arrival-rate',
          startRate: 0,
          timeUnit: 1000,
          stages: [
            { target: 50, duration: 10_000 },
            { target: 50, duration: 90_000 },
          ],
        },
        { index: 2, count: 4 },
      ),
    ).toBe(
      'ramping arrival rate (joins/s): 0 → 50 over 10s → 50 over 1m30s, 4750 participants; slice 2/4: 1188 of them',
    );
    expect(
      describeExecutor({ executor: 'constant-participants', participants: 1, duration: 60_000 }),
    ).toBe('constant participants: all at once, staying 1m0s, 1 participant');
    expect(
      describeExecutor({
        executor: 'constant-arrival-rate',
        rate: 3,
        timeUnit: 60_000,
        duration: 120_000,
      }),
    ).toBe('constant arrival rate: 3 joins per 1m0s for 2m0s, 6 participants');
  });
});
