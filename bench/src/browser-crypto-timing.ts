// harness.ts's timing, for a browser page (harness.ts itself imports node:os):
// calibrate a batch until one run takes `minRunMs`, then time `runs` runs and
// keep the median per operation. Same options, same result shape.
import type { BenchOptions, BenchResult } from './harness.js';

export type { BenchOptions, BenchResult };

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function summarize(name: string, perOp: number[], batch: number): BenchResult {
  return {
    name,
    medianNs: median(perOp),
    minNs: Math.min(...perOp),
    maxNs: Math.max(...perOp),
    runs: perOp.length,
    batch,
  };
}

const nextBatch = (batch: number, dt: number, minRunMs: number, maxBatch: number) =>
  Math.min(maxBatch, dt <= 0 ? batch * 10 : Math.ceil((batch * minRunMs * 1.2) / dt));

/** Times an operation, awaiting it when it returns a promise (WebCrypto), one at a time. */
export async function benchAsync(
  name: string,
  op: () => unknown,
  opts: BenchOptions = {},
): Promise<BenchResult> {
  const { runs = 15, minRunMs = 40, maxBatch = 1e6 } = opts;
  const first = op(); // warm-up and JIT
  const isAsync = first instanceof Promise;
  if (isAsync) await first;
  const batchOf = isAsync
    ? async (n: number) => {
        for (let i = 0; i < n; i++) await op();
      }
    : (n: number) => {
        for (let i = 0; i < n; i++) op();
      };
  let batch = 1;
  for (;;) {
    const t0 = performance.now();
    await batchOf(batch);
    const dt = performance.now() - t0;
    if (dt >= minRunMs || batch >= maxBatch) break;
    batch = nextBatch(batch, dt, minRunMs, maxBatch);
  }
  const perOp: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await batchOf(batch);
    perOp.push(((performance.now() - t0) * 1e6) / batch);
  }
  return summarize(name, perOp, batch);
}
