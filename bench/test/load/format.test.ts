// Human-readable figures for the terminal summary (k6's units).
import { describe, expect, test } from 'vitest';
import { formatBytes, formatDuration, formatNumber, formatPercent } from '../../src/load/format.js';

describe('formatDuration', () => {
  test.each([
    [0, '0s'],
    [0.45, '450µs'],
    [0.0123, '12.3µs'],
    [0.9999999, '1ms'],
    [12.346, '12.35ms'],
    [250, '250ms'],
    [999.999, '1s'],
    [1234, '1.23s'],
    [59_999, '1m0s'],
    [62_000, '1m2s'],
    [3_723_000, '1h2m3s'],
    [-5, '-5ms'],
    [Number.NaN, 'NaN'],
  ])('%s ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('formatBytes', () => {
  test.each([
    [0, '0 B'],
    [999, '999 B'],
    [1500, '1.5 kB'],
    [999_999, '1 MB'],
    [2_345_678, '2.35 MB'],
    [3e9, '3 GB'],
    [5e15, '5000 TB'],
  ])('%s → %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

test('formatNumber and formatPercent', () => {
  expect(formatNumber(42)).toBe('42');
  expect(formatNumber(2 / 3)).toBe('0.67');
  expect(formatPercent(0.995)).toBe('99.50%');
  expect(formatPercent(0)).toBe('0.00%');
});
