// The participant's heartbeat as a state machine, on fake timers: pings at
// each interval, lost after `misses` unanswered in a row, any frame from the
// server answers, a stalled thread is not a miss, bad options are refused.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { Heartbeat } from '../../src/participant/heartbeat.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function make(misses = 3) {
  const pings: number[] = [];
  let lost = 0;
  const hb = new Heartbeat(
    { intervalMs: 1_000, misses },
    (seq) => pings.push(seq),
    () => lost++,
  );
  return { hb, pings, lost: () => lost };
}

describe('heartbeat', () => {
  test('pings every interval; lost after `misses` unanswered pings, once, then silent', () => {
    const { hb, pings, lost } = make(3);
    hb.start();
    vi.advanceTimersByTime(3_000);
    expect(pings).toEqual([1, 2, 3]);
    expect(lost()).toBe(0);
    vi.advanceTimersByTime(1_000);
    expect(lost()).toBe(1);
    vi.advanceTimersByTime(10_000);
    expect(lost()).toBe(1);
    expect(pings).toEqual([1, 2, 3]);
  });

  test('an answer (any frame) resets the count', () => {
    const { hb, pings, lost } = make(2);
    hb.start();
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(1_000);
      hb.alive();
    }
    expect(pings).toHaveLength(10);
    expect(lost()).toBe(0);
    vi.advanceTimersByTime(3_000);
    expect(lost()).toBe(1);
  });

  test('a tick far later than scheduled (a stalled thread) is not a miss', () => {
    const { hb, lost } = make(1);
    hb.start();
    vi.advanceTimersByTime(1_000); // ping 1, unanswered
    // the thread stalls for 5 s: the next tick comes late
    vi.setSystemTime(Date.now() + 5_000);
    vi.advanceTimersByTime(1_000);
    expect(lost()).toBe(0);
    vi.advanceTimersByTime(1_000);
    expect(lost()).toBe(1);
  });

  test('stop() ends pinging', () => {
    const { hb, pings, lost } = make(1);
    hb.start();
    hb.stop();
    vi.advanceTimersByTime(10_000);
    expect(pings).toEqual([]);
    expect(lost()).toBe(0);
  });

  test('bad options are refused', () => {
    expect(
      () =>
        new Heartbeat(
          { intervalMs: 0 },
          () => {},
          () => {},
        ),
    ).toThrow(RangeError);
    expect(
      () =>
        new Heartbeat(
          { intervalMs: Number.NaN },
          () => {},
          () => {},
        ),
    ).toThrow(RangeError);
    expect(
      () =>
        new Heartbeat(
          { misses: 0 },
          () => {},
          () => {},
        ),
    ).toThrow(RangeError);
    expect(
      () =>
        new Heartbeat(
          { misses: 1.5 },
          () => {},
          () => {},
        ),
    ).toThrow(RangeError);
  });
});
