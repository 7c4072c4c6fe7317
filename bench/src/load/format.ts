/**
 * Human-readable figures for the terminal summary and executor descriptions,
 * in k6's style: durations as µs/ms/s/m/h, data in SI units (kB = 1000 bytes).
 */

/** 0.45 → "450µs", 12.345 → "12.35ms", 1234 → "1.23s", 62000 → "1m2s", 3723000 → "1h2m3s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return '-' + formatDuration(-ms);
  if (ms === 0) return '0s';
  // Each unit while its rounded figure stays below the next unit (999.999ms is "1s").
  if (ms < 1 && round2(ms * 1000) < 1000) return `${round2(ms * 1000)}µs`;
  if (ms < 1000 && round2(ms) < 1000) return `${round2(ms)}ms`;
  if (ms < 60_000 && round2(ms / 1000) < 60) return `${round2(ms / 1000)}s`;
  const totalSeconds = Math.round(ms / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  return h > 0 ? `${h}h${m}m${s}s` : `${m}m${s}s`;
}

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB'] as const;

/** 999 → "999 B", 1500 → "1.5 kB", 2_345_678 → "2.35 MB" (SI, as k6). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  if (bytes < 0) return '-' + formatBytes(-bytes);
  let v = bytes;
  let unit = 0;
  while (round2(v) >= 1000 && unit < BYTE_UNITS.length - 1) {
    v /= 1000;
    unit++;
  }
  return `${round2(v)} ${BYTE_UNITS[unit]}`;
}

/** A plain count or value: integers as they are, others with up to two decimals. */
export function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(round2(n));
}

/** A ratio in [0, 1] as k6 prints a Rate: 0.995 → "99.50%". */
export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(2)}%`;
}

/** Rounded to two decimals (printed without trailing zeros: 1.5, 2). */
function round2(n: number): number {
  return Number(n.toFixed(2));
}
